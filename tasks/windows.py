"""Time windows a duty judges: half-open UTC intervals [start, end)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel, model_validator


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
        end = datetime.combine(last or first, datetime.min.time(), UTC) + timedelta(days=1)
        return cls(start=start, end=end)

    @classmethod
    def yesterday(cls, now: datetime | None = None) -> Window:
        today = (now or datetime.now(UTC)).astimezone(UTC).date()
        return cls.days(today - timedelta(days=1))

    @classmethod
    def parse(cls, text: str) -> Window:
        """``2026-11-20`` (one day) or ``2026-11-01..2026-11-07`` (inclusive days)."""
        first, _, last = text.partition("..")
        try:
            return cls.days(date.fromisoformat(first.strip()), date.fromisoformat(last.strip()) if last else None)
        except ValueError as exc:
            raise ValueError(f"window {text!r} is not YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD ({exc})") from None

    @classmethod
    def month(cls, text: str) -> Window:
        """A calendar month, ``2026-10``: what the monthly cost review judges."""
        try:
            first = date.fromisoformat(f"{text.strip()}-01")
        except ValueError:
            raise ValueError(f"month {text!r} is not YYYY-MM") from None
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return cls.days(first, following - timedelta(days=1))

    def label(self) -> str:
        last = (self.end - timedelta(microseconds=1)).date()
        return str(self.start.date()) if last == self.start.date() else f"{self.start.date()}..{last}"
