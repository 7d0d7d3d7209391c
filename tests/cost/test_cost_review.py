"""The cost review's verdicts on the simulated logs, checked against what the simulator injected.

The injected magnitudes are computed here from the simulator's own frames and
constants, never by re-running the review's code.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine

from conftest import DEMO_END
from duty_support import cost_report
from deployments.demo.simulator import (SMALLTALK_4O_DAY, SPIKE_FIRST_DAY, SPIKE_LAST_DAY, PROMPT_V3_DAY,
                                   simulate_support)
from runbooks.loader import default_runbooks_dir, load_catalog
from runbooks.spec import RunbookSpec
from tasks.cost.data import aggregate_frame, aggregate_sql, read_calls
from tasks.common.findings import DutyReport
from tasks.core.windows import Window

START = DEMO_END - timedelta(days=89)  # the simulator's day 0
TODAY = DEMO_END + timedelta(days=1)
GPT4O, MINI = (2.50, 10.0), (0.15, 0.60)  # $ per million input / output tokens, from OpenAI's price list


def support(**cost_changes) -> RunbookSpec:
    spec = load_catalog(default_runbooks_dir()).get("support-assistant")
    return spec.model_copy(update={"cost": spec.cost.model_copy(update=cost_changes)}) if cost_changes else spec


def run(spec: RunbookSpec, label: str, today: date = TODAY) -> DutyReport:
    return cost_report(spec, label, today)


def finding(report: DutyReport, key: str):
    return next((f for f in report.findings if f.key == key), None)


@pytest.fixture(scope="module")
def frames() -> pd.DataFrame:
    calls, _ = simulate_support(DEMO_END, 90, per_day=160)  # the demo database at scale 0.2
    return calls.assign(day=calls["ts"].dt.date)


@pytest.fixture
def months(demo_home: Path) -> dict[str, DutyReport]:
    spec = support()
    return {m: run(spec, Window.month(m).label()) for m in ("2026-09", "2026-10")} | {
        "2026-11": run(spec, f"2026-11-01..{DEMO_END}")}


def test_prompt_bloat_found_in_its_month_with_the_injected_size(months, frames) -> None:
    assert (START + timedelta(days=PROMPT_V3_DAY)).month == 10
    key = "prompt-bloat:support-v3:billing"
    bloat = finding(months["2026-10"], key)
    assert bloat is not None and bloat.evidence["monthly_saving"] > 0
    assert bloat.evidence["added_tokens_per_call"] == pytest.approx(1200, rel=0.10)  # rng.normal(1200, 60) per call
    # Against the frames directly: billing prompts under support-v3 versus support-v2.
    billing = frames[frames["route"] == "billing"]
    injected = billing.groupby("prompt_version")["tokens_in"].mean().diff().iloc[-1]
    assert bloat.evidence["added_tokens_per_call"] == pytest.approx(injected, rel=0.10)
    assert finding(months["2026-09"], key) is None and finding(months["2026-11"], key) is None


def test_traffic_spike_days_found_with_the_injected_volume(months) -> None:
    first, last = START + timedelta(days=SPIKE_FIRST_DAY), START + timedelta(days=SPIKE_LAST_DAY)
    spike = finding(months["2026-11"], f"anomalous-days:{first}")
    assert spike is not None and spike.evidence["direction"] == "high"
    assert (spike.evidence["first"], spike.evidence["last"]) == (str(first), str(last))
    assert spike.evidence["volume_ratio"] == pytest.approx(2.5, rel=0.10)  # day_factor 2.5 in simulate_support
    assert not [f for r in (months["2026-09"], months["2026-10"]) for f in r.findings if f.key.startswith("anomalous")]


def test_costly_model_on_easy_found_with_share_and_saving_by_hand(months, frames) -> None:
    assert (START + timedelta(days=SMALLTALK_4O_DAY)).month == 10
    october = frames[(frames["route"] == "smalltalk") & (frames["ts"].dt.month == 10)]
    on_4o = october[october["model_name"] == "gpt-4o"]
    found = finding(months["2026-10"], "costly-model-on-easy:smalltalk")
    assert found is not None and found.evidence["cheaper_model"] == "gpt-4o-mini"
    assert found.evidence["share"] == pytest.approx(len(on_4o) / len(october), rel=0.10)
    tokens_in, tokens_out = on_4o["tokens_in"].sum(), on_4o["tokens_out"].sum()
    by_hand = (tokens_in * (GPT4O[0] - MINI[0]) + tokens_out * (GPT4O[1] - MINI[1])) / 1e6
    assert found.evidence["avoidable_cost_in_window"] == pytest.approx(by_hand, rel=0.01)
    assert finding(months["2026-09"], "costly-model-on-easy:smalltalk") is None


def test_unpriced_model_is_reported_with_its_calls(demo_home, frames) -> None:
    report = run(support(prices={}), Window.month("2026-10").label())
    unpriced = finding(report, "unpriced:acme-llama-70b")
    october = frames[frames["ts"].dt.month == 10]
    assert unpriced is not None and unpriced.severity == "warning"
    assert unpriced.evidence["calls"] == (october["model_name"] == "acme-llama-70b").sum() > 0
    assert f"+ {unpriced.evidence['calls']:,} unpriced calls" in report.headline
    priced = run(support(), Window.month("2026-10").label())
    assert report.metrics.spend < priced.metrics.spend  # left out, not counted as $0 in a total that claims to be whole


def test_a_month_before_the_log_is_skipped_with_the_reason(demo_home) -> None:
    report = run(support(), Window.month("2026-06").label())
    assert report.status == "skipped" and report.findings == [] and report.model_dump()["metrics"] == {}
    assert report.headline == f"Not judged: window 2026-06-01..2026-06-30 ends before the log's first row ({START})"


def test_no_budget_reports_spend_without_budget_findings(demo_home) -> None:
    report = run(support(monthly_budget=None), Window.month("2026-10").label())
    assert report.metrics.budget is None and report.metrics.spend > 0
    assert "budget" not in report.headline and finding(report, "budget") is None


def test_over_budget_is_critical_and_forecast_over_budget_warns(demo_home) -> None:
    october = run(support(monthly_budget=1.0), Window.month("2026-10").label())
    assert finding(october, "budget").severity == "critical" and october.status == "attention"
    # Mid-month: 10 days seen, the other 21 forecast from the trailing week's run rate.
    mid = run(support(monthly_budget=1.0), Window.month("2026-10").label(), today=date(2026, 10, 11))
    spent = mid.metrics.spend
    assert mid.metrics.month_to_date and mid.metrics.forecast == pytest.approx(spent + 21 * mid.metrics.run_rate_per_day, rel=1e-4)
    budget_ok_now = run(support(monthly_budget=spent * 1.5), Window.month("2026-10").label(), today=date(2026, 10, 11))
    forecast = finding(budget_ok_now, "budget")
    assert forecast is not None and forecast.severity == "warning" and "Forecast" in forecast.title


def test_classic_ml_spend_per_thousand_predictions(demo_home) -> None:
    fraud = load_catalog(default_runbooks_dir()).get("fraud-scoring")
    report = run(fraud, Window.month("2026-10").label())
    assert report.metrics.spend == pytest.approx(report.metrics.calls * 0.42 / 1000, rel=1e-6)


def _same(pushed: pd.DataFrame, naive: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(pushed.reset_index(drop=True), naive.reset_index(drop=True), check_exact=False, rtol=1e-9)


def test_sql_pushdown_equals_pandas_on_sqlite(demo_home) -> None:
    spec, window = support(), Window.month("2026-10")
    pushed = aggregate_sql(spec, window)
    assert len(pushed) < 300 and pushed["calls"].sum() > 4000  # thousands of calls arrive as a few hundred groups
    _same(pushed, aggregate_frame(*read_calls(spec, window), spec))


@pytest.mark.parametrize("column_type", ["timestamp", "timestamptz"])
def test_sql_pushdown_equals_pandas_on_postgresql(demo_home, postgres_url, frames, column_type) -> None:
    from deployments.demo.simulator import naive_utc  # the simulator's own SQL representation

    engine = create_engine(postgres_url)
    with engine.begin() as connection:
        october = frames[frames["ts"].dt.month == 10].drop(columns="day")
        (october if column_type == "timestamptz" else naive_utc(october)).to_sql(
            "support_interactions", connection, index=False)
        # A session in another zone must not move calls across midnight.
        connection.exec_driver_sql(f'ALTER DATABASE "{engine.url.database}" SET timezone = \'America/Los_Angeles\'')
        outcomes = pd.read_sql_table("support_outcomes", f"sqlite:///{demo_home / 'demo.db'}")
        outcomes.to_sql("support_outcomes", connection, index=False)
    engine.dispose()
    spec = support()
    spec = spec.model_copy(update={"source": spec.source.model_copy(update={"url": postgres_url})})
    window = Window.month("2026-10")
    pushed = aggregate_sql(spec, window)
    _same(pushed, aggregate_frame(*read_calls(spec, window), spec))
    sqlite_spec = support()
    _same(pushed, aggregate_sql(sqlite_spec, window))


def test_logged_cost_wins_over_tokens_in_both_paths(tmp_path, frames) -> None:
    calls = frames[frames["ts"].dt.month == 10].drop(columns="day").head(2000).copy()
    calls["cost"] = [0.01 if i % 2 else None for i in range(len(calls))]  # half the calls carry their bill
    from deployments.demo.simulator import naive_utc

    url = f"sqlite:///{tmp_path / 'billed.db'}"
    naive_utc(calls).to_sql("support_interactions", url, index=False)
    spec = support(success_outcome=None)
    source = spec.source.model_copy(update={"url": url, "outcomes": None,
                                            "columns": spec.source.columns.model_copy(update={"cost": "cost"})})
    spec = spec.model_copy(update={"source": source})
    window = Window.month("2026-10")
    pushed = aggregate_sql(spec, window)
    _same(pushed, aggregate_frame(*read_calls(spec, window), spec))
    unbilled = calls[calls["cost"].isna()]
    assert pushed["logged_cost"].sum() == pytest.approx(0.01 * calls["cost"].notna().sum())
    assert pushed["unlogged_in"].sum() == unbilled["tokens_in"].sum() < pushed["tokens_in"].sum()


def test_a_missing_column_is_named_in_one_line(demo_home) -> None:
    from tasks.io.sources import SourceError

    spec = support()
    columns = spec.source.columns.model_copy(update={"tokens_in": "input_tokens"})
    spec = spec.model_copy(update={"source": spec.source.model_copy(update={"columns": columns})})
    with pytest.raises(SourceError, match="has no column 'input_tokens'"):
        aggregate_sql(spec, Window.month("2026-10"))


def test_demo_months_cover_the_incidents_and_a_past_end_stops_there() -> None:
    from deployments.demo.run import monthly_windows

    incidents = [date(2026, 10, 13), date(2026, 10, 23), date(2026, 11, 7)]
    assert monthly_windows(DEMO_END, incidents) == [
        "2026-09-01..2026-09-30", "2026-10-01..2026-10-31", f"2026-11-01..{DEMO_END}"]


def test_demo_notes_show_each_story_finding_in_its_first_month() -> None:
    from datetime import UTC, datetime

    from runbooks.spec import Duty
    from deployments.demo.notes import cost_notes
    from tasks.common.findings import DutyReport, Finding

    def month(m: int, *keys: str) -> DutyReport:
        return DutyReport(system="s", duty=Duty.cost, window_start=datetime(2026, m, 1, tzinfo=UTC),
                          window_end=datetime(2026, m + 1, 1, tzinfo=UTC), status="healthy", headline="-",
                          findings=[Finding(key=k, severity="info", title=f"{k} in {m}") for k in keys])

    reports = [month(11, "prompt-bloat:v3:billing", "anomalous-days:2026-11-08", "budget"),
               month(10, "prompt-bloat:v3:billing", "prompt-caching:technical:gpt-4o")]
    assert cost_notes(reports) == ["2026-10: prompt-bloat:v3:billing in 10",
                                   "2026-11: anomalous-days:2026-11-08 in 11"]


def test_duplicate_and_empty_outcomes_count_each_call_once_in_both_paths(tmp_path, demo_home, frames) -> None:
    """A request with two outcome rows (a correction) must not double its calls; a NULL outcome is no outcome."""
    from deployments.demo.simulator import naive_utc

    calls = frames[frames["ts"].dt.month == 10].drop(columns="day").head(500)
    outcomes = pd.read_sql_table("support_outcomes", f"sqlite:///{demo_home / 'demo.db'}")
    outcomes = outcomes[outcomes["request_id"].isin(calls["request_id"])]
    corrected = outcomes.head(40).assign(resolved=True)  # a second row for 40 requests, marking them resolved
    emptied = outcomes.iloc[40:60].assign(resolved=None)  # 20 requests whose outcome is not known
    outcomes = pd.concat([corrected, emptied, outcomes.iloc[60:], outcomes.head(40)])
    url = f"sqlite:///{tmp_path / 'dup.db'}"
    naive_utc(calls).to_sql("support_interactions", url, index=False)
    outcomes.to_sql("support_outcomes", url, index=False)
    spec = support()
    spec = spec.model_copy(update={"source": spec.source.model_copy(update={"url": url})})
    window = Window.month("2026-10")

    pushed = aggregate_sql(spec, window)
    _same(pushed, aggregate_frame(*read_calls(spec, window), spec))
    assert pushed["calls"].sum() == len(calls)
    assert pushed["tokens_in"].sum() == calls["tokens_in"].sum()
    assert pushed["outcomes"].sum() == outcomes.dropna(subset=["resolved"])["request_id"].nunique()
