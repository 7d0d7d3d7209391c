"""The owner's monthly report, portfolio and readiness on the demo: real duty runs through Prefect, then
the report read against the simulator's injected truth (the raw log and its ground-truth labels)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select, update

from conftest import edited_runbooks
from flows.cost_review import cost_review
from flows.outcome_review import outcome_review
from runbooks.loader import load_catalog
from tasks.core.status import ApprovalState
from tasks.owner.build import monthly_report, portfolio
from tasks.store.alerts import acknowledge
from tasks.store.approvals import decide, request_approval
from tasks.store.database import open_store
from tasks.store.models import Alert, AliasChange, ApprovalRequest, CheckResult, RefreshRequest
from tasks.store.registry import register_version, set_alias

from cli_support import steward

FRAUD, SUPPORT = "fraud-scoring", "support-assistant"
BREACHED = ["2026-11-04", "2026-11-05", "2026-11-06"]  # three nights of app-recall breach: a refresh request
NOVEMBER = "2026-11-01..2026-11-21"  # the demo log ends on the 21st
# Public list prices (USD per million tokens: input, cached input, output) and the runbook's own rate:
# the truth side prices the raw log itself, independently of Steward's price lookup.
PRICES = {"gpt-4o": (2.50, 1.25, 10.00), "gpt-4o-mini": (0.15, 0.075, 0.60), "acme-llama-70b": (0.60, 0.60, 0.80)}
SCALE = 0.2  # the demo_home fixture's traffic scale: the support budget is scaled with it


def within(value: float, truth: float, tolerance: float = 0.10) -> bool:
    return abs(value - truth) <= tolerance * abs(truth)


def raw(home: Path, query: str) -> pd.DataFrame:
    with sqlite3.connect(home / "demo.db") as db:
        return pd.read_sql_query(query, db)


def _fraud_money(home: Path, span: str) -> tuple[float, float]:
    """(caught, missed) fraud amounts on the days of ``span``, from the simulator's own labels."""
    first, _, last = span.partition("..")
    rows = raw(home, "SELECT d.amount, d.decision, o.is_fraud FROM fraud_decisions d JOIN fraud_outcomes o "
                     f"USING (request_id) WHERE d.ts >= '{first}' AND d.ts < date('{last}', '+1 day') AND o.is_fraud = 1")
    caught = rows.loc[rows["decision"] == "decline", "amount"].sum()
    return float(caught), float(rows["amount"].sum() - caught)


def _support_cost(frame: pd.DataFrame) -> float:
    cost = 0.0
    for model, (fresh, cached, out) in PRICES.items():
        part = frame[frame["model_name"] == model]
        cost += ((part["tokens_in"] - part["cached_tokens"]).sum() * fresh + part["cached_tokens"].sum() * cached
                 + part["tokens_out"].sum() * out) / 1e6
    return cost


def run_the_month(demo_home: Path, tmp_path: Path):
    """The duties the month needs, run for real; the refresh and the owner's clicks written through the store."""
    runbooks = edited_runbooks(tmp_path, SUPPORT, "monthly_budget: 80", f"monthly_budget: {80 * SCALE:g}")
    for night in BREACHED:
        outcome_review(system=FRAUD, window=night, runbooks=str(runbooks))
    for system in (FRAUD, SUPPORT):
        cost_review(system=system, window=NOVEMBER, runbooks=str(runbooks))
    outcome_review(system=SUPPORT, window="2026-11-18", runbooks=str(runbooks))
    store = open_store()
    with store.session() as session:
        first = session.scalars(select(CheckResult).where(CheckResult.system == FRAUD, CheckResult.duty == "outcomes")
                                .order_by(CheckResult.window_end)).first()
        breach = first.created_at
        [request] = session.scalars(select(RefreshRequest).where(RefreshRequest.system == FRAUD)).all()
        request.requested_at = breach + timedelta(hours=1)
        # The refresh the request led to: challenger 2 h later, the owner decides 3 h after, promoted 30 min on.
        for uri in ("logged:fraud-gbm-1.4", "file:///models/fraud-v2"):
            register_version(session, system=FRAUD, artifact_uri=uri, metrics={})
        set_alias(session, system=FRAUD, alias="champion", version=1, actor="steward")
        set_alias(session, system=FRAUD, alias="challenger", version=2, actor="steward")
        asked = request_approval(session, system=FRAUD, action="promote", summary="promote v2",
                                 approvers=["U04DANA0001"])
        assert decide(session, asked.id, approved=True, by="U04DANA0001")
        set_alias(session, system=FRAUD, alias="champion", version=2, actor="U04DANA0001", approval_id=asked.id)
        session.flush()
        champion, challenger, promoted = session.scalars(select(AliasChange).order_by(AliasChange.id)).all()
        champion.changed_at = breach
        challenger.changed_at = breach + timedelta(hours=3)
        session.execute(update(ApprovalRequest).values(requested_at=breach + timedelta(hours=3, minutes=1),
                                                       decided_at=breach + timedelta(hours=6)))
        promoted.changed_at = breach + timedelta(hours=6, minutes=30)
        # The owner acknowledges the app-recall alert 90 minutes after it was raised.
        alert = session.scalars(select(Alert).where(Alert.system == FRAUD, Alert.duty == "outcomes")).one()
        acknowledge(session, alert.id, by="U04DANA0001")
        alert.acknowledged_at = alert.first_seen + timedelta(minutes=90)
    return load_catalog(runbooks), runbooks


def test_the_demo_month_for_each_owner_and_the_portfolio(prefect_api, demo_home, tmp_path) -> None:
    """One run of the month's duties (about a minute and a half), then each page read against the truth."""
    ran = run_the_month(demo_home, tmp_path)
    fraud_november(ran, demo_home)
    support_november(ran, demo_home)
    portfolio_and_assess(ran, demo_home, tmp_path)


def fraud_november(ran, demo_home: Path) -> None:
    """The app-recall incident in money (fraud missed against the reference rate), the refresh cycle's step
    times and the incident's time to acknowledge."""
    catalog, _ = ran
    report = monthly_report(catalog, FRAUD, "2026-11")
    money = report.money
    assert money is not None and money.evaluation == "2026-10-24..2026-11-06"
    caught, missed = _fraud_money(demo_home, money.evaluation)
    ref_caught, ref_missed = _fraud_money(demo_home, money.reference)
    assert within(money.caught, caught) and within(money.missed, missed)
    truth_ref_rate = ref_caught / (ref_caught + ref_missed)
    assert within(money.reference_detection_rate, truth_ref_rate)
    truth_excess = missed - (caught + missed) * (1 - truth_ref_rate)
    assert truth_excess > 1000  # the planted incident: app fraud slips through
    assert within(money.excess_missed, truth_excess)
    assert any("more fraud missed than at the reference rate" in line for line in report.headline)
    assert report.sla_state == "breached"
    app = [p for p in report.quality if p.segment == "channel=app" and p.metric == "recall"]
    assert app and all(p.verdict == "breached" and p.realised < 0.8 for p in app)
    assert {p.plain for p in app} == {"fraud detection rate"}

    [cycle] = report.refresh_cycles
    assert cycle.promoted_version == 2 and cycle.decision == ApprovalState.approved
    hours = {k: round(v, 2) for k, v in cycle.hours.items() if v is not None}
    assert hours == {"breach_to_request": 1.0, "request_to_challenger": 2.0, "challenger_to_decision": 3.0,
                     "decision_to_promotion": 0.5}
    assert report.refresh_step_medians_hours["challenger_to_decision"] == pytest.approx(3.0)

    outcomes = [r for r in report.incidents.rows if r["duty"] == "outcomes"]
    assert [round(r["hours_to_acknowledge"], 2) for r in outcomes] == [1.5]
    assert report.incidents.median_hours_to_acknowledge == pytest.approx(1.5)
    page = Path(report.path).read_text()
    assert "1.5 h" in page and "fraud detection rate (recall)" in page and "Refresh cycles" in page


def support_november(ran, demo_home: Path) -> None:
    """The budget overrun and the savings on offer, priced from the raw log."""
    catalog, _ = ran
    report = monthly_report(catalog, SUPPORT, "2026-11")
    rows = raw(demo_home, "SELECT * FROM support_interactions WHERE ts >= '2026-11-01' AND ts < '2026-11-22'")
    truth_spend = _support_cost(rows)
    budget = 80 * SCALE * 21 / 30  # the month's budget pro-rated to the 21 days the log covers
    assert within(report.spend.spend, truth_spend, 0.02)
    assert truth_spend > budget and within(report.spend.over_budget, truth_spend - budget)
    assert any("over budget" in line for line in report.headline)
    # The planted costly-model-on-easy incident: small talk on gpt-4o, worth the same on gpt-4o-mini.
    small = rows[(rows["route"] == "smalltalk") & (rows["model_name"] == "gpt-4o")]
    as_mini = _support_cost(small.assign(model_name="gpt-4o-mini"))
    truth_saving = (_support_cost(small) - as_mini) / small["ts"].str[:10].nunique() * 30
    [easy] = [r for r in report.spend.recommendations if r["key"] == "costly-model-on-easy:smalltalk"]
    assert within(easy["monthly_saving"], truth_saving)
    assert report.spend.savings_on_offer == pytest.approx(sum(r["monthly_saving"] for r in report.spend.recommendations),
                                                          abs=0.01)
    assert report.llm and within(report.llm["cost_per_resolved"],
                                 truth_spend / raw(demo_home, "SELECT o.resolved FROM support_interactions i JOIN "
                                                   "support_outcomes o USING (request_id) WHERE i.ts >= '2026-11-01' "
                                                   "AND i.ts < '2026-11-22' AND o.resolved = 1").shape[0])
    assert 0.6 < report.llm["resolution_rate"] < 0.9


def portfolio_and_assess(ran, demo_home: Path, tmp_path: Path) -> None:
    """Every system on one page; assess names each honest hole with its fix and gates on the minimum level."""
    catalog, runbooks = ran
    page, rows, _ = portfolio(catalog, "2026-11")
    html = page.read_text()
    assert {r.system for r in rows} == {FRAUD, SUPPORT}
    assert "href='fraud-scoring/owner/2026-11.html'" in html  # relative: opens as a file
    assert "Dana Whitfield" in html and "Priya Raman" in html

    result = steward("assess", "--format", "json", "--runbooks", str(runbooks), home=demo_home)
    assert result.returncode == 0, result.stderr
    found = {a["system"]: a for a in json.loads(result.stdout)}
    for system, hole, fix in ((SUPPORT, "refresh-path", "add a 'refresh:' section"),
                              (FRAUD, "duty:drift", "steward run drift fraud-scoring")):
        item = next(i for i in found[system]["items"] if i["key"] == hole)
        assert not item["passed"] and fix in item["fix"] and item["evidence"]
        assert 0 <= found[system]["level"] < 5
    fraud = {i["key"]: i for i in found[FRAUD]["items"]}
    assert fraud["refresh-path"]["passed"] and "U04DANA0001" in fraud["refresh-path"]["evidence"]
    assert fraud["acknowledged"]["passed"] and "1 of 1" in fraud["acknowledged"]["evidence"]
    support = {i["key"]: i for i in found[SUPPORT]["items"]}
    assert not support["acknowledged"]["passed"]  # the budget alert was never acknowledged

    strict = edited_runbooks(tmp_path / "strict", SUPPORT, "kind: llm_app", "kind: llm_app\nreadiness: {minimum_level: 5}")
    gated = steward("assess", SUPPORT, "--runbooks", str(strict), home=demo_home)
    assert gated.returncode == 1 and "level" in gated.stdout and "fix:" in gated.stdout
    red = steward("report", "--portfolio", "--month", "2026-11", "--runbooks", str(strict), home=demo_home)
    assert red.returncode == 0 and "below minimum" in red.stdout
    row = next(line for line in (demo_home / "reports/portfolio.html").read_text().split("<tr") if SUPPORT in line)
    assert "background:#fdd" in row
