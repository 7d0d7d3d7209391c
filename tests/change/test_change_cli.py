"""``steward golden`` builds and curates; ``steward run change-review`` without a candidate is a one-line usage error."""

from __future__ import annotations

import json
from pathlib import Path

from cli_support import assert_one_line_error, steward


def test_golden_build_list_remove(demo_home: Path) -> None:
    built = steward("golden", "support-assistant", "--size", "40", "--from", "2026-11-01", "--to", "2026-11-18",
                    home=demo_home)
    assert built.returncode == 0 and "golden set v1 built from 2026-11-01..2026-11-18" in built.stdout
    listed = json.loads(steward("golden", "support-assistant", "--list", "--format", "json", home=demo_home).stdout)
    assert listed["version"] == 1 and len(listed["examples"]) == 40
    first = listed["examples"][0]["request_id"]
    removed = steward("golden", "support-assistant", "--remove", first, home=demo_home)
    assert removed.returncode == 0 and f"golden set v2 (-{first})" in removed.stdout
    again = steward("golden", "support-assistant", "--remove", first, home=demo_home)
    assert_one_line_error(again, "has no example")


def test_change_review_needs_a_candidate(demo_home: Path) -> None:
    result = steward("run", "change-review", "support-assistant", home=demo_home)
    assert_one_line_error(result, "change-review needs --candidate")
