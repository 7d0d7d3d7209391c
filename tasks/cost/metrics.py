"""What a cost review measured: the month's spend against budget, its breakdowns, prices and savings."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from tasks.common.findings import DutyMetrics, DutyReport
from tasks.cost.pricing import UnitPrice
from tasks.cost.savings import Recommendation

TableRows = list[dict[str, Any]]  # a breakdown table's rows, costliest first (columns: see tasks/cost/verdict.py)


class DaySpend(BaseModel):
    day: str
    calls: int | None
    cost: float | None
    expected_cost: float | None  # the usual spend for the weekday
    robust_z: float | None


class CostMetrics(DutyMetrics):
    """A month without calls sets ``calls``, ``spend`` and ``month_to_date`` only."""

    currency: str = "USD"
    month_to_date: bool = False
    observed_last_day: str | None = None
    judged_days: int = 0
    budget_share: float = 0.0
    calls: int = 0
    spend: float = 0.0
    unpriced_calls: int = 0
    calls_without_tokens: int = 0
    calls_of_unknown_cost: int = 0
    budget: float | None = None
    forecast: float | None = None
    run_rate_per_day: float | None = None
    cost_per_success: float | None = None
    prices: dict[str, UnitPrice | None] = {}
    by_model: TableRows = []
    by_route: TableRows = []
    by_day: list[DaySpend] = []
    tokens_month_over_month: TableRows = []
    caching: TableRows = []
    easy_routes_on_costliest_model: TableRows = []
    recommendations: list[Recommendation] = []
    rows_omitted: dict[str, int] = {}  # rows left out of each table beyond its first TABLE_ROWS


CostReport = DutyReport[CostMetrics]
