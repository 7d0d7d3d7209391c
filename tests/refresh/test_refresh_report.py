"""The refresh report and approval message without Prefect: money in the owner's currency, the page rewritten
with the owner's decision so it never still asks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from runbooks.spec import PromotionGate
from tasks.core.money import money
from tasks.core.windows import Window
from tasks.refresh.evaluate import Comparison, business_rows, evaluate, judge_gate
from tasks.refresh.report import Outcome, approval_blocks, write_refresh_report

HOLDOUT, TRAINING = Window.parse("2026-11-01..2026-11-07"), Window.parse("2026-10-04..2026-11-01")
ROWS = pd.DataFrame({"label": [1, 1, 0, 0, 1, 1, 0, 0], "channel": ["app"] * 4 + ["web"] * 4,
                     "amount": [1200.0, 50.0, 10.0, 20.0, 300.0, 5.0, 1.0, 2.0]})


def comparison() -> Comparison:
    """v1 misses the 1,200 fraud and the 5; v2 catches every fraud."""
    kw = dict(threshold=0.5, slices=["channel"], value_column="amount")
    champion = evaluate(ROWS, np.array([0.2, 0.8, 0.1, 0.7, 0.9, 0.3, 0.6, 0.1]), **kw)
    challenger = evaluate(ROWS, np.array([0.9, 0.8, 0.1, 0.2, 0.9, 0.8, 0.1, 0.2]), **kw)
    return Comparison(champion_version=1, challenger_version=2, holdout_rows=len(ROWS), golden_rows=0,
                      champion=champion, challenger=challenger,
                      gate=judge_gate(champion, challenger, PromotionGate(), min_slice_size=1))


def test_business_rows_write_money_in_the_owners_currency_and_counts_plain() -> None:
    rows = {r["measure"]: r for r in business_rows(comparison().champion, comparison().challenger, "EUR")}
    assert rows["value caught"] == {"measure": "value caught", "champion": "€350.00", "challenger": "€1,555.00",
                                    "change": "+€1,205.00"}
    assert rows["value missed"]["change"] == "-€1,205.00" and rows["positives caught"]["change"] == "+2"
    assert money(-5, "GBP") == "-£5.00" and money(0, "CHF", signed=True) == "+CHF 0.00"


def test_the_page_and_the_approval_message_show_the_currency_then_the_decision_replaces_the_question() -> None:
    c = comparison()
    path = Path(write_refresh_report("fraud-scoring", HOLDOUT, TRAINING, c, "pr_auc", "EUR"))
    asking = path.read_text()
    assert "the owner is asked to approve" in asking and "€1,555.00" in asking and "+€1,205.00" in asking
    _, blocks = approval_blocks("fraud-scoring", HOLDOUT, c, "pr_auc", "EUR", report=str(path), run_url=None)
    assert "€1,555.00" in json.dumps(blocks, ensure_ascii=False)

    at = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
    again = write_refresh_report("fraud-scoring", HOLDOUT, TRAINING, c, "pr_auc", "EUR",
                                 Outcome(state="rejected", by="Dana Whitfield", at=at, reason="wait for Q1"))
    rejected = Path(again).read_text()
    assert again == str(path) and "asked to approve" not in rejected
    assert ("<title>Refresh · fraud-scoring · 2026-11-01..2026-11-07</title>" in rejected
            and "rejected by Dana Whitfield on 2026-11-30 09:15 UTC (wait for Q1): champion v1 stays" in rejected)
    write_refresh_report("fraud-scoring", HOLDOUT, TRAINING, c, "pr_auc", "EUR",
                         Outcome(state="approved", by="Dana Whitfield", at=at, promoted=2))
    assert "approved by Dana Whitfield on 2026-11-30 09:15 UTC: v2 promoted to champion, v1 retired" in path.read_text()
