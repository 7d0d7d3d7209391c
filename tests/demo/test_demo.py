"""``steward demo`` as a new user runs it: any end date, and a failing duty listed rather than fatal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from deployments.demo.run import DutyFailure, _attempt, owner_months
from runbooks.spec import Duty
from tasks.core.errors import DataError

REPO = Path(__file__).resolve().parents[2]


def test_demo_at_small_scale_on_a_leap_day_month_edge(tmp_path: Path) -> None:
    """The log starts mid-January, so the cost review judges a first month the log only partly covers."""
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("PREFECT_API")}
    env |= {"STEWARD_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    result = subprocess.run([sys.executable, "-m", "deployments.cli", "demo", "--days", "40", "--scale", "0.05",
                             "--end", "2024-02-29"], capture_output=True, text=True, env=env, cwd=REPO, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "failed" not in output.lower().replace("failed the gate", ""), output
    assert "ran support-assistant · cost · 2024-01-01..2024-01-31" in output  # the log's first, partial month
    assert "Summary per system" in output and "Traceback" not in output


@pytest.mark.parametrize(("end", "months"), [
    ("2026-12-01", ["2026-12", "2026-11"]),  # the day after the 1st: the owner reads November, December to date
    ("2026-11-30", ["2026-11"]),  # the month is whole: nothing to date
    ("2024-02-29", ["2024-02"]),
    ("2027-01-15", ["2027-01", "2026-12"]),
])
def test_the_demo_builds_the_owner_pages_of_the_last_whole_month_and_the_month_to_date(end, months) -> None:
    from datetime import date

    assert owner_months(date.fromisoformat(end)) == months


def _boom() -> None:
    raise ZeroDivisionError("division by zero")


def _refused() -> None:
    raise DataError("table 'fraud_decisions' has no column 'amount'")


def test_a_failing_duty_is_recorded_with_its_reason_and_kind() -> None:
    failures: list[DutyFailure] = []
    assert _attempt("fraud-scoring", Duty.cost, "2026-09", _boom, failures) is None
    assert _attempt("fraud-scoring", Duty.drift, "2026-09-02", _refused, failures) is None
    assert [(f.duty, f.window, f.internal) for f in failures] == [(Duty.cost, "2026-09", True),
                                                                  (Duty.drift, "2026-09-02", False)]
    assert failures[0].reason == "internal error: ZeroDivisionError: division by zero"
    assert failures[1].reason == "table 'fraud_decisions' has no column 'amount'"


def test_demo_lists_failures_after_the_summary_and_exits_non_zero(prefect_api: str, monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    """A duty that fails does not abort the demo: the others still run and the failure is listed at the end."""
    import deployments.demo.run as demo
    import flows.registry as registry

    real = registry.duty_flow

    def flaky(duty: Duty):
        if duty is Duty.cost:
            def broken(**_: object) -> None:
                raise ZeroDivisionError("injected")
            return broken
        return real(duty)

    monkeypatch.setattr(demo, "duty_flow", flaky)
    monkeypatch.setattr(demo, "available", lambda duty: duty in (Duty.cost, Duty.compliance))
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    console = Console(record=True, width=200)
    code = demo.run_demo(days=35, end=__import__("datetime").date(2026, 3, 31), scale=0.02, console=console)
    text = console.export_text()
    assert code == demo.EXIT_DEMO_FAILED
    assert "ran support-assistant · compliance" in text  # the other duty still ran
    tail = text[text.index("duty run(s) failed"):]
    assert "fraud-scoring · cost" in tail and "internal error: ZeroDivisionError: injected" in tail
