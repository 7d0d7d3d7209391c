"""Windows every duty judges, and how the CLI turns --window, --month and --from/--to into one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deployments.cli import UsageError, _period
from tasks.errors import StewardError, WindowError
from tasks.windows import Window


@pytest.mark.parametrize(
    ("month", "first", "last"),
    [("2026-10", "2026-10-01", "2026-10-31"), ("2026-02", "2026-02-01", "2026-02-28"),
     ("2024-02", "2024-02-01", "2024-02-29"), ("2026-12", "2026-12-01", "2026-12-31")],
)
def test_month_covers_every_day_of_the_calendar_month(month: str, first: str, last: str) -> None:
    window = Window.month(month)
    assert window.label() == f"{first}..{last}"
    assert window.start == datetime.fromisoformat(first).replace(tzinfo=UTC)


@pytest.mark.parametrize("bad", ["2026-13", "2026", "Oct 2026", "2026-10-01"])
def test_bad_month_names_the_value(bad: str) -> None:
    with pytest.raises(WindowError, match="is not YYYY-MM"):
        Window.month(bad)


def test_period_from_each_option() -> None:
    assert _period(None, None, None, None) is None
    assert _period("2026-11-20", None, None, None) == "2026-11-20"
    assert _period(None, "2026-10", None, None) == "2026-10-01..2026-10-31"
    assert _period(None, None, "2026-11-01", "2026-11-07") == "2026-11-01..2026-11-07"


@pytest.mark.parametrize(
    ("args", "message"),
    [(("2026-11-20", "2026-10", None, None), "one of"), ((None, None, "2026-11-01", None), "go together"),
     ((None, None, "2026-11-07", "2026-11-01"), "is reversed")],
)
def test_period_rejects_conflicting_or_partial_options(args: tuple, message: str) -> None:
    with pytest.raises(StewardError, match=message):
        _period(*args)
