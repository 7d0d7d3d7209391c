"""Windows every duty judges, and how the CLI turns --window, --month and --from/--to into one."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from deployments.cli.duties import _period
from tasks.core.errors import StewardError, WindowError
from tasks.core.windows import Window


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


@pytest.mark.parametrize(
    ("text", "message"),
    [("2026-11-01..", "open-ended"), ("..2026-11-01", "open-ended"), ("2026-02-30", "day is out of range"),
     ("2026-11-07..2026-11-01", "is reversed"), ("9999-12-31", "the last day a date can hold")],
)
def test_bad_window_is_a_window_error_naming_it(text: str, message: str) -> None:
    with pytest.raises(WindowError, match=message):
        Window.parse(text)


def test_last_representable_month_is_a_window_error() -> None:
    with pytest.raises(WindowError, match="9999-12-31"):
        Window.month("9999-12")


DAY = st.one_of(st.dates(), st.dates(min_value=date(9999, 11, 1))).map(date.isoformat)  # and the calendar's end
DAYISH = st.from_regex(r"\A-?\d{1,5}-\d{1,2}-\d{1,2}\Z", fullmatch=True)
WINDOWISH = st.one_of(
    st.text(max_size=30),
    DAY, DAYISH,
    st.tuples(st.one_of(DAY, DAYISH, st.just("")), st.sampled_from(["..", "...", " .. ", "."]),
              st.one_of(DAY, DAYISH, st.just(""))).map("".join),
)
MONTHISH = st.one_of(st.text(max_size=12), st.from_regex(r"\A\d{1,5}-\d{1,2}\Z", fullmatch=True),
                     st.dates().map(lambda d: f"{d:%Y-%m}"), st.just("9999-12"))


@settings(max_examples=400, deadline=None)
@example(window="2026-11-01..", month=None, start=None, end=None)
@given(window=st.one_of(st.none(), WINDOWISH), month=st.one_of(st.none(), MONTHISH),
       start=st.one_of(st.none(), DAY, DAYISH), end=st.one_of(st.none(), DAY, DAYISH))
def test_any_window_arguments_give_a_label_or_a_steward_error(window, month, start, end) -> None:
    """Whatever a user types: a window label that reads back as itself, or a one-line StewardError."""
    try:
        label = _period(window, month, start, end)
    except StewardError as exc:
        assert "\n" not in str(exc)
        return
    if label is not None:
        assert Window.parse(label).label() == label


@pytest.mark.parametrize(("day", "month"), [("2026-12-02", "2026-11"), ("2026-01-01", "2025-12"),
                                            ("2024-03-31", "2024-02"), ("2026-11-30", "2026-10")])
def test_the_month_before_a_day_is_what_a_monthly_duty_run_that_day_reads(day: str, month: str) -> None:
    assert Window.month_before(date.fromisoformat(day)) == month
