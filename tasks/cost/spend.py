"""Spend from the aggregates: priced groups, the daily series, budget, forecast and anomalous days.

Plain functions on the small frame that :mod:`tasks.cost.data` returns; no I/O.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pandas as pd
from pydantic import BaseModel

from runbooks.spec import RunbookSpec, SystemKind
from tasks.core.errors import WindowError
from tasks.core.windows import Coverage
from tasks.cost.pricing import UnitPrice, unit_price

MAD_TO_SD = 1.4826
MIN_SPREAD = 0.05  # a ratio spread below 5% is noise-free data, not a reason for infinite z-scores
HISTORY_WEEKS = 4


class Period(BaseModel):
    """The review's calendar: the window judged, the part already observed, and what is read before it."""

    model_config = {"frozen": True}

    first: date  # first day judged
    last: date  # last day judged (inclusive)
    observed_last: date  # last complete day with data; before ``last`` in a month-to-date run
    previous_first: date  # the calendar month before: month-over-month comparisons
    history_first: date  # what the anomaly baseline and the previous month need

    @classmethod
    def of(cls, start: datetime, end: datetime, today: date) -> Period:
        first, last = start.date(), (end - timedelta(microseconds=1)).date()
        if today <= first:
            raise WindowError(f"window {first}..{last} has no complete day yet (today is {today})")
        previous_first = (first.replace(day=1) - timedelta(days=1)).replace(day=1)
        history_first = min(previous_first, first - timedelta(weeks=HISTORY_WEEKS))
        return cls(first=first, last=last, observed_last=min(last, today - timedelta(days=1)),
                   previous_first=previous_first, history_first=history_first)

    @classmethod
    def covering(cls, coverage: Coverage, today: date) -> Period:
        """The period judged in a window the log covers (partly): from its first covered day to the window's end,
        so a system's first month starts the day its log does and a month to date still forecasts the rest."""
        assert coverage.covered is not None, "an uncovered window is not judged"
        return cls.of(coverage.covered.start, coverage.window.end, today)

    @property
    def month_to_date(self) -> bool:
        return self.observed_last < self.last

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def read_range(self) -> tuple[datetime, datetime]:
        """The UTC instants to read: the history before the window, then the window up to the last observed day."""
        end = self.observed_last + timedelta(days=1)
        return datetime.combine(self.history_first, time(), UTC), datetime.combine(end, time(), UTC)

    def budget_share(self) -> float:
        """The share of a monthly budget that this window is allowed: 1.0 for a calendar month, its days' share
        for a part of one (a system's first month is judged from the day its log starts)."""
        return self.days / calendar.monthrange(self.first.year, self.first.month)[1]


def prices_for(models: list[str], spec: RunbookSpec, at: datetime) -> dict[str, UnitPrice | None]:
    assert spec.cost is not None
    return {m: unit_price(m, spec.cost.prices, at) for m in models}


def priced(agg: pd.DataFrame, spec: RunbookSpec, prices: dict[str, UnitPrice | None]) -> pd.DataFrame:
    """Adds ``cost``, ``unpriced_calls`` and ``untokened_calls`` per group: a logged cost wins, then token
    prices, never a silent $0. A call with neither a logged cost nor token counts is *untokened*: its cost
    is unknown, counted apart from the unpriced models' calls.

    Classic ML systems cost ``cost_per_1k_predictions`` per thousand calls when the runbook gives the rate.
    """
    assert spec.cost is not None
    out = agg.copy()
    if spec.kind is not SystemKind.llm_app:
        rate = spec.cost.cost_per_1k_predictions
        out["cost"] = out["logged_cost"] + (0.0 if rate is None else (out["calls"] - out["logged_calls"]) * rate / 1000)
        out["unpriced_calls"] = 0.0 if rate is not None else out["calls"] - out["logged_calls"]
        out["untokened_calls"] = 0.0
        return out
    token_cost = [
        p.cost(i, o, c) if (p := prices.get(m)) else np.nan
        for m, i, o, c in zip(out["model"], out["unlogged_in"], out["unlogged_out"], out["unlogged_cached"], strict=True)
    ]
    known = pd.Series(token_cost, index=out.index)
    out["cost"] = out["logged_cost"] + known.fillna(0.0)
    out["unpriced_calls"] = np.where(known.isna(), out["unlogged_token_calls"], 0.0)
    out["untokened_calls"] = out["calls"] - out["logged_calls"] - out["unlogged_token_calls"]
    return out


def daily(groups: pd.DataFrame, first: date, last: date) -> pd.DataFrame:
    """Calls and cost per day from ``first`` to ``last``; days before the log began are NaN, quiet days 0."""
    days = pd.Index([first + timedelta(days=i) for i in range((last - first).days + 1)], name="day")
    sums = groups.groupby("day")[["calls", "cost"]].sum().reindex(days)
    began = groups["day"].min() if len(groups) else last + timedelta(days=1)
    sums.loc[[d >= began for d in days]] = sums.loc[[d >= began for d in days]].fillna(0.0)
    return sums


class Anomaly(BaseModel):
    """A run of consecutive days whose spend is out of line with the same weekdays before them."""

    first: date
    last: date
    direction: str  # "high" or "low"
    cost: float
    expected_cost: float
    calls: float
    expected_calls: float
    max_z: float

    @property
    def cost_ratio(self) -> float:
        return self.cost / self.expected_cost if self.expected_cost else float("inf")

    @property
    def volume_ratio(self) -> float:
        return self.calls / self.expected_calls if self.expected_calls else float("inf")


def anomalies(series: pd.DataFrame, first: date, threshold: float) -> tuple[list[Anomaly], pd.DataFrame]:
    """Days from ``first`` whose cost, over the median of the same weekday in the four weeks before,
    has a robust z-score (median and MAD over the judged days) beyond ``threshold``.

    The weekday baseline absorbs weekly seasonality; the robust z-score asks whether a day is out of
    line with the month's other days, so a level shift is not a string of anomalies.
    """
    frame = series.copy()
    for measure in ("cost", "calls"):
        history = pd.concat([frame[measure].shift(7 * k) for k in range(1, HISTORY_WEEKS + 1)], axis=1)
        enough = history.notna().sum(axis=1) >= 2
        frame[f"expected_{measure}"] = history.median(axis=1, skipna=True).where(enough)
    judged = frame[[d >= first for d in frame.index]].copy()
    ratio = judged["cost"] / judged["expected_cost"].replace(0.0, np.nan)
    centre = ratio.median()
    spread = max(MAD_TO_SD * (ratio - centre).abs().median(), MIN_SPREAD) if ratio.notna().any() else MIN_SPREAD
    judged["ratio"] = ratio
    judged["z"] = (ratio - centre) / spread
    flagged = judged[judged["z"].abs() >= threshold]
    found: list[Anomaly] = []
    for day, row in flagged.iterrows():
        direction = "high" if row["z"] > 0 else "low"
        previous = found[-1] if found else None
        if previous and previous.direction == direction and previous.last == day - timedelta(days=1):
            found[-1] = previous.model_copy(update={
                "last": day, "cost": previous.cost + row["cost"], "expected_cost": previous.expected_cost + row["expected_cost"],
                "calls": previous.calls + row["calls"], "expected_calls": previous.expected_calls + row["expected_calls"],
                "max_z": max(previous.max_z, abs(row["z"]))})
        else:
            found.append(Anomaly(first=day, last=day, direction=direction, cost=row["cost"], expected_cost=row["expected_cost"],
                                 calls=row["calls"], expected_calls=row["expected_calls"], max_z=abs(row["z"])))
    return found, judged


class Budget(BaseModel):
    spend: float
    budget: float | None
    forecast: float | None  # month-to-date runs only
    run_rate_per_day: float | None

    @property
    def over(self) -> bool:
        return self.budget is not None and self.spend > self.budget

    @property
    def forecast_over(self) -> bool:
        return self.budget is not None and self.forecast is not None and self.forecast > self.budget


def budget(judged: pd.DataFrame, period: Period, monthly_budget: float | None, trailing_days: int,
           anomalous: set[date]) -> Budget:
    """The window's spend against its share of the monthly budget; a month-to-date run forecasts the rest
    from the mean of the trailing days, leaving anomalous days out of the run rate."""
    spend = float(judged["cost"].sum())
    allowed = None if monthly_budget is None else monthly_budget * period.budget_share()
    if not period.month_to_date:
        return Budget(spend=spend, budget=allowed, forecast=None, run_rate_per_day=None)
    recent = judged[[d not in anomalous for d in judged.index]]["cost"].tail(trailing_days)
    rate = float(recent.mean()) if len(recent) else 0.0
    remaining = (period.last - period.observed_last).days
    return Budget(spend=spend, budget=allowed, forecast=spend + rate * remaining, run_rate_per_day=rate)
