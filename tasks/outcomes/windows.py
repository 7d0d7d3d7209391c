"""Which days the outcome review reads and judges, when labels count as mature, and what earlier runs left.

Maturity is judged against the outcome feed's own progress (its newest outcome, capped at now): a window
is mature once ``label_delay_days`` of outcomes have arrived after it. Replaying history (the demo, a
backfill) is then judged exactly as it was at the time, and a stalled feed never makes a window look
complete.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from runbooks.spec import RunbookSpec
from tasks.core.windows import Coverage, Window, cover
from tasks.store.models import CheckResult


class Maturity(BaseModel):
    """Whether the window's labels are complete, judged against the outcome feed's own progress."""

    mature: bool
    mature_on: date
    outcomes_until: str | None


class OutcomePlan(BaseModel):
    window: Window  # what the result is stored under
    span: Window  # what is judged: the window widened back to evaluation_days
    read: Window  # everything read: the reference period and the span
    reference: Window | None  # mature labelled days before the span: calibration, and the baseline for changes
    maturity: Maturity
    coverage: Coverage | None = None  # the part of the widened span the log covers, when the plan was clipped to it


def _midnight(moment: datetime) -> datetime:
    return datetime.combine(moment.astimezone(UTC).date(), time.min, UTC)


def default_windows(spec: RunbookSpec, arrived: datetime | None, now: datetime) -> list[Window]:
    """A scheduled run: the day whose labels matured most recently (realised), then yesterday (estimated)."""
    assert spec.source.outcomes is not None
    yesterday = Window.yesterday(now)
    delay = timedelta(days=spec.source.outcomes.label_delay_days)
    if arrived is None:
        return [yesterday]
    matured = _midnight(min(now, arrived) - delay) - timedelta(days=1)
    newest = Window.days(min(matured.date(), yesterday.start.date()))
    return [newest] if newest == yesterday else [newest, yesterday]


def plan_windows(spec: RunbookSpec, window: Window, arrived: datetime | None, now: datetime,
                 first_row: datetime | None) -> OutcomePlan:
    """What to read and judge for ``window``; the span and reference keep to the days the log covers
    (``first_row`` is the log's first row), so per-day rates are never diluted by days before it or not over."""
    assert spec.outcomes is not None and spec.source.outcomes is not None
    section = spec.outcomes
    delay = timedelta(days=spec.source.outcomes.label_delay_days)
    horizon = min(now, arrived) if arrived else None
    widened = Window(start=min(window.start, window.end - timedelta(days=section.evaluation_days)), end=window.end)
    coverage = cover(widened, first_row, now)
    assert coverage.covered is not None, "a window the log does not cover is refused before it is planned"
    span = coverage.covered
    maturity = Maturity(mature=horizon is not None and window.end + delay <= horizon,
                        mature_on=(window.end + delay).date(),
                        outcomes_until=horizon.isoformat(timespec="seconds") if horizon else None)
    reference = None
    if horizon is not None:
        end = min(span.start, _midnight(horizon - delay))
        reference = cover(Window(start=end - timedelta(days=section.reference_days), end=end), first_row, now).covered
    return OutcomePlan(window=window, span=span, read=Window(start=min(span.start, (reference or span).start), end=span.end),
                       reference=reference, maturity=maturity, coverage=coverage)


def prior_streak(session: Session, system: str, window: Window) -> int:
    """How many windows immediately before this one (back to back) had a realised breach.

    Uncapped: the refresh request is deduplicated over the whole streak, so a capped count would ask again
    every few days of one long breach.
    """
    rows = session.scalars(
        select(CheckResult)
        .where(CheckResult.system == system, CheckResult.duty == "outcomes", CheckResult.window_end <= window.start)
        .order_by(CheckResult.window_end.desc())
        .execution_options(yield_per=64)
    )
    streak, expected_end = 0, window.start
    for row in rows:
        metrics = row.findings.get("metrics", {})
        if row.window_end != expected_end or not metrics.get("breached"):
            break
        streak, expected_end = streak + 1, row.window_start
    return streak


def stored_estimate(session: Session, system: str, window: Window) -> dict[str, float | None] | None:
    """The label-free estimate first stored for this window (while it was immature, or at its first mature
    review): the value the owner saw, carried forward by every later review so the estimator's error stays put."""
    row = session.scalars(select(CheckResult).where(
        CheckResult.system == system, CheckResult.duty == "outcomes",
        CheckResult.window_start == window.start, CheckResult.window_end == window.end)).first()
    metrics = row.findings.get("metrics", {}) if row else {}
    return (metrics.get("total") or {}).get("estimated") or None
