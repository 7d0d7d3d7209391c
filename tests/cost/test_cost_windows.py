"""The cost review on any window: the log's first month, before it, in the future, to date; odd data.

Pure: the flow's steps (coverage, aggregates, verdict) without Prefect, on the simulated demo log
(first row 2026-08-24) and on small logs written here.
"""

from __future__ import annotations

import json
import sqlite3
import time as clock
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from conftest import DEMO_END
from test_cost_review import START, frames, run, support  # noqa: F401 - frames is a fixture
from tasks.cost.data import KEYS, MEASURES, aggregate_frame, aggregate_sql, read_calls
from tasks.cost.report import top_lines, write_cost_report
from tasks.cost.verdict import review
from tasks.core.windows import Window, cover


def count(home, first: date, last: date) -> int:
    with sqlite3.connect(home / "demo.db") as connection:
        return connection.execute("select count(*) from support_interactions where ts >= ? and ts < ?",
                                  (str(first), str(last + timedelta(days=1)))).fetchone()[0]


def test_the_logs_first_month_is_judged_on_its_covered_days(demo_home) -> None:
    assert START == date(2026, 8, 24)
    report = run(support(), Window.month("2026-08").label())
    assert report.status in ("healthy", "attention") and report.coverage == "2026-08-24..2026-08-31"
    assert "partial window: judged on 2026-08-24..2026-08-31 only (8 of 31 days)" in report.headline
    m = report.metrics
    assert [d.day for d in m.by_day] == [str(START + timedelta(days=i)) for i in range(8)]
    assert all(d.calls > 0 for d in m.by_day)
    assert m.calls == count(demo_home, START, date(2026, 8, 31))
    assert m.budget == pytest.approx(80 * 8 / 31) and "pro-rated to 8 of 31 days" in report.headline
    assert m.forecast is None and not m.month_to_date
    assert json.loads(report.model_dump_json())["coverage"] == "2026-08-24..2026-08-31"
    page = write_cost_report(report, support()).read_text()  # the charts of the first month render
    assert page.count("Plotly.newPlot") >= 3


def test_a_window_straddling_the_first_row_is_not_padded_with_empty_days(demo_home) -> None:
    report = run(support(), "2026-08-20..2026-09-05")
    assert report.coverage == "2026-08-24..2026-09-05"
    assert report.metrics.by_day[0].day == "2026-08-24"
    assert report.metrics.calls == count(demo_home, START, date(2026, 9, 5))


def test_a_future_month_and_today_are_skipped(demo_home) -> None:
    future = run(support(), Window.month("2027-01").label())
    assert future.status == "skipped" and future.headline == "Not judged: window 2027-01-01..2027-01-31 is in the future"
    today = run(support(), str(DEMO_END), today=DEMO_END)
    assert today.status == "skipped" and "is today and not over yet" in today.headline
    assert future.findings == today.findings == [] and not future.needs_attention()


def test_the_current_month_to_date_excludes_today_and_forecasts_the_rest(demo_home) -> None:
    today = date(2026, 11, 15)
    report = run(support(), Window.month("2026-11").label(), today=today)
    assert report.coverage == "2026-11-01..2026-11-14" and "(14 of 30 days)" in report.headline
    m = report.metrics
    assert m.month_to_date and m.by_day[-1].day == "2026-11-14" and len(m.by_day) == 14
    assert m.calls == count(demo_home, date(2026, 11, 1), date(2026, 11, 14))  # the log holds the 15th too
    assert m.budget == 80 and m.forecast == pytest.approx(m.spend + 16 * m.run_rate_per_day, rel=1e-4)


def test_a_quiet_window_inside_the_logs_life_is_no_data(demo_home) -> None:
    report = run(support(), "2026-11-25..2026-11-27", today=date(2026, 12, 1))
    assert report.status == "no_data" and report.needs_attention() and report.findings == []
    assert report.headline.startswith("No calls logged from 2026-11-25 to 2026-11-27")


def _log(tmp_path, calls: pd.DataFrame):
    """``support`` reading ``calls`` from a SQLite file of its own, without outcomes."""
    from deployments.demo.simulator import naive_utc

    url = f"sqlite:///{tmp_path / 'log.db'}"
    naive_utc(calls).to_sql("support_interactions", url, index=False)
    spec = support(success_outcome=None)
    return spec.model_copy(update={"source": spec.source.model_copy(update={"url": url, "outcomes": None})})


def test_calls_without_tokens_are_counted_and_left_out_of_averages_in_both_paths(tmp_path, frames) -> None:
    calls = frames[frames["ts"].dt.month == 10].drop(columns="day").head(600).copy()
    calls["tokens_in"] = calls["tokens_in"].astype("float")
    calls["tokens_out"] = calls["tokens_out"].astype("float")
    calls.iloc[:50, calls.columns.get_loc("tokens_in")] = None
    calls.iloc[50:80, calls.columns.get_loc("tokens_out")] = None
    spec, window = _log(tmp_path, calls), Window.month("2026-10")
    pushed = aggregate_sql(spec, window)
    pd.testing.assert_frame_equal(pushed, aggregate_frame(*read_calls(spec, window), spec), check_exact=False, rtol=1e-9)
    counted = calls.iloc[80:]
    assert pushed["token_calls"].sum() == len(counted) and pushed["calls"].sum() == len(calls)
    assert pushed["tokens_in"].sum() == counted["tokens_in"].sum()

    report = review(spec, cover(window, datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)),
                    pushed, date(2026, 11, 2))
    assert report.metrics.calls_without_tokens == 80 == report.metrics.calls_of_unknown_cost
    [missing] = [f for f in report.findings if f.key == "calls-without-tokens"]
    assert missing.severity == "warning" and missing.evidence["calls"] == 80
    model = counted["model_name"].value_counts().index[0]
    [row] = [r for r in report.metrics.by_model if r["model"] == model]
    of_model = counted[counted["model_name"] == model]
    assert row["tokens_in_per_call"] == pytest.approx(of_model["tokens_in"].mean(), rel=1e-3)
    assert row["calls_without_tokens"] == int((calls["model_name"] == model).sum() - len(of_model))
    assert "+ 80 unpriced calls" in report.headline  # their cost is unknown: never a silent $0


def aggregates(routes: int, calls: int, prompt: int = 2_000) -> pd.DataFrame:
    """October aggregates: ``routes`` routes on gpt-4o, ``calls`` calls each, every prompt ``prompt`` tokens, no cache."""
    days = [date(2026, 10, 1) + timedelta(days=i % 31) for i in range(routes)]
    frame = pd.DataFrame({"day": days, "model": "gpt-4o", "route": [f"r{i:05d}" for i in range(routes)],
                          "template": "t"} | {m: 0.0 for m in MEASURES})
    frame = frame.assign(calls=float(calls), token_calls=float(calls), unlogged_token_calls=float(calls),
                         tokens_in=float(calls * prompt), unlogged_in=float(calls * prompt), min_tokens_in=float(prompt),
                         tokens_out=float(calls * 100), unlogged_out=float(calls * 100))
    return frame[[*KEYS, *MEASURES]]


OCTOBER = cover(Window.month("2026-10"), datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC))


def test_a_route_with_one_call_gets_no_advice() -> None:
    spec = support(monthly_budget=None, easy_routes=[])
    once = review(spec, OCTOBER, aggregates(1, 1), date(2026, 11, 2))
    assert once.metrics.recommendations == [] and once.findings == []
    lowered = support(monthly_budget=None, easy_routes=[], min_calls_for_advice=1)
    advised = review(lowered, OCTOBER, aggregates(1, 1), date(2026, 11, 2))
    assert [f.key for f in advised.findings] == ["prompt-caching:r00000:gpt-4o"]  # the threshold is what held it back


def test_ten_thousand_routes_give_a_bounded_report_in_seconds() -> None:
    spec = support(monthly_budget=None, easy_routes=[])
    started = clock.monotonic()
    report = review(spec, OCTOBER, aggregates(10_000, 200), date(2026, 11, 2))
    elapsed = clock.monotonic() - started
    assert elapsed < 15, f"{elapsed:.1f}s"
    assert len(report.findings) == 21 and report.findings[-1].key == "prompt-caching:more"
    assert report.findings[-1].evidence["count"] == 9_980
    savings = [f.evidence["monthly_saving"] for f in report.findings[:20]]
    assert savings == sorted(savings, reverse=True)
    stored = report.model_dump_json(include={"findings", "metrics"})
    assert len(stored) < 200_000, len(stored)  # the ops-store row
    assert report.metrics.rows_omitted == {"by_route": 9_950, "caching": 9_950, "recommendations": 9_950}
    assert len(top_lines(report)) == 4  # the Slack summary
    assert len(write_cost_report(report, spec).read_text()) < 500_000


def test_the_classic_model_report_shows_price_per_1000_predictions_and_nothing_llm_only(demo_home) -> None:
    from chart_support import titled
    from runbooks.loader import default_runbooks_dir, load_catalog

    fraud = load_catalog(default_runbooks_dir()).get("fraud-scoring")
    report = run(fraud, Window.month("2026-10").label())
    page = write_cost_report(report, fraud).read_text()
    for llm_only in ("Tokens per call", "Prompt caching", "per million tokens", "unpriced", "tokens in per call",
                     "cache hit rate", "Easy routes"):
        assert llm_only not in page, llm_only
    assert "price per 1,000 predictions" in page and "<td class='num'>$0.42</td>" in page
    [volume] = titled(page, "Volume by day")
    assert volume["layout"]["yaxis"]["tickformat"] == ",d" and volume["layout"]["xaxis"]["type"] == "date"
    [spend] = titled(page, "Spend to date")
    budget = next(t for t in spend["data"] if t["name"] == "budget")
    assert budget["y"] == [report.metrics.budget] * 2 and budget["x"][-1] == "2026-10-31"
    assert spend["layout"]["yaxis"]["range"][0] == 0 and spend["data"][0]["y"][-1] == pytest.approx(
        report.metrics.spend, rel=1e-3)
