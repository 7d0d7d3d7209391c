"""``steward report`` and ``steward assess`` as a user types them: usage errors are one line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

from cli_support import assert_one_line_error, steward


def test_report_needs_a_system_or_the_portfolio_and_a_real_month(tmp_path: Path) -> None:
    assert_one_line_error(steward("report", home=tmp_path), "SYSTEM or --portfolio")
    assert_one_line_error(steward("report", "fraud-scoring", "--portfolio", home=tmp_path), "SYSTEM or --portfolio")
    assert_one_line_error(steward("report", "fraud-scoring", "--month", "2026-13", home=tmp_path), "2026-13")
    assert_one_line_error(steward("assess", "no-such-system", home=tmp_path), "no-such-system")


def test_a_system_with_nothing_run_yet_reports_not_judged_and_assesses_its_holes(tmp_path: Path) -> None:
    """Before any duty ran, the page still builds (nothing judged), and assess says what to run."""
    page = steward("report", "support-assistant", "--month", "2026-11", "--format", "json", home=tmp_path)
    assert page.returncode == 0, page.stderr
    report = json.loads(page.stdout)
    assert report["sla_state"] == "not judged" and report["incidents"]["count"] == 0
    assert Path(report["path"]).is_file()
    found = steward("assess", "support-assistant", "--format", "json", home=tmp_path)
    [a] = json.loads(found.stdout)
    holes = {i["key"]: i["fix"] for i in a["items"] if not i["passed"]}
    assert "steward run outcomes support-assistant" in holes["duty:outcomes"]
    assert a["level"] < 5 and found.returncode == 0  # the shipped runbooks set no minimum level
