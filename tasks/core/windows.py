"""Time windows a duty judges: half-open UTC intervals [start, end)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel, model_validator

from tasks.core.errors import WindowError


class Window(BaseModel):
    model_config = {"frozen": True}

    start: datetime
    end: datetime

    @model_validator(mode="after")
    def _ordered_and_aware(self) -> Window:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("window bounds must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("window end must be after its start")
        return self

    @classmethod
    def days(cls, first: date, last: date | None = None) -> Window:
        """Whole UTC days from ``first`` to ``last`` inclusive."""
        start = datetime.combine(first, datetime.min.time(), UTC)
        try:
            end = datetime.combine(last or first, datetime.min.time(), UTC) + timedelta(days=1)
        except OverflowError:
            raise WindowError(f"window ends on {last or first}, the last day a date can hold: end it earlier") from None
        return cls(start=start, end=end)

    @classmethod
    def yesterday(cls, now: datetime | None = None) -> Window:
        today = (now or datetime.now(UTC)).astimezone(UTC).date()
        return cls.days(today - timedelta(days=1))

    @classmethod
    def parse(cls, text: str) -> Window:
        """``2026-11-20`` (one day) or ``2026-11-01..2026-11-07`` (inclusive days)."""
        first, dots, last = text.partition("..")
        if dots and not (first.strip() and last.strip()):
            raise WindowError(f"window {text!r} is open-ended: give both days, YYYY-MM-DD..YYYY-MM-DD")
        try:
            first_day = date.fromisoformat(first.strip())
            last_day = date.fromisoformat(last.strip()) if dots else None
        except ValueError as exc:
            raise WindowError(f"window {text!r} is not YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD ({exc})") from None
        if last_day is not None and last_day < first_day:
            raise WindowError(f"window {text!r} is reversed: {last_day} is before {first_day}")
        return cls.days(first_day, last_day)

    @classmethod
    def month(cls, text: str) -> Window:
        """A calendar month, ``2026-10``: what the monthly cost review judges."""
        try:
            first = date.fromisoformat(f"{text.strip()}-01")
        except ValueError:
            raise WindowError(f"month {text!r} is not YYYY-MM") from None
        return cls.days(first, first.replace(day=calendar.monthrange(first.year, first.month)[1]))

    @classmethod
    def month_before(cls, day: date) -> str:
        """``YYYY-MM`` of the calendar month before ``day``'s: what a monthly duty run on ``day`` reads."""
        return f"{day.replace(day=1) - timedelta(days=1):%Y-%m}"

    def label(self) -> str:
        last = (self.end - timedelta(microseconds=1)).date()
        return str(self.start.date()) if last == self.start.date() else f"{self.start.date()}..{last}"


def midnight(moment: datetime) -> datetime:
    """The start of ``moment``'s UTC day."""
    return datetime.combine(moment.astimezone(UTC).date(), datetime.min.time(), UTC)


class Coverage(BaseModel):
    """Which part of a window a log covers: the only days a duty may judge.

    A log covers whole UTC days from the day of its first row up to, not including, today (a day not over is
    never judged as a full day). ``covered`` is None when no day of the window is covered, with ``reason``.
    """

    model_config = {"frozen": True}

    window: Window
    covered: Window | None
    reason: str | None = None

    @property
    def partial(self) -> bool:
        return self.covered is not None and self.covered != self.window

    def label(self) -> str | None:
        """``first..last`` of the covered days, the ``coverage`` of a report."""
        return self.covered.label() if self.covered else None

    def note(self) -> str:
        """What a headline says about a partly covered window ('' when the window is whole)."""
        if not self.partial or self.covered is None:
            return ""
        return f"partial window: judged on {self.covered.label()} only ({self.covered_days()} of {self.window_days()} days)"

    def covered_days(self) -> int:
        return 0 if self.covered is None else round((self.covered.end - self.covered.start) / timedelta(days=1))

    def window_days(self) -> int:
        return round((self.window.end - self.window.start) / timedelta(days=1))


def cover(window: Window, first_row: datetime | None, now: datetime | None = None) -> Coverage:
    """The part of ``window`` that a log whose first row is ``first_row`` covers as of ``now``."""
    today = midnight(now or datetime.now(UTC))
    if first_row is None:
        return Coverage(window=window, covered=None, reason="the log has no rows yet")
    start = max(window.start, midnight(first_row))
    end = min(window.end, today)
    if window.start >= today:
        day = window.start.date()
        reason = (f"{day} is today and not over yet; it is judged from tomorrow" if window.start == today
                  else f"window {window.label()} is in the future")
        return Coverage(window=window, covered=None, reason=reason)
    if window.end <= midnight(first_row):
        return Coverage(window=window, covered=None,
                        reason=f"window {window.label()} ends before the log's first row ({first_row.date()})")
    if end <= start:  # only today remains of a window that starts on it
        return Coverage(window=window, covered=None, reason=f"{today.date()} is today and not over yet")
    return Coverage(window=window, covered=Window(start=start, end=end))
