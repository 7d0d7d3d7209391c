"""Every duty's report as the owner opens it: from file:// in headless Chromium, charts drawn by the shipped plotly.js.

The demo (small scale) writes the reports; one of each duty is opened without a server, its DOM checked for
drawn plots, and a screenshot kept under .test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chart_support import figures

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / ".test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--allow-file-access-from-files"]
CHARTED = {"outcomes", "cost"}  # always charted; drift only on a night with drifted columns, which depends on the date


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; CI requires the browser test", pytrace=False)
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return found


def open_page(page: Path, profile: Path, *mode: str) -> str:
    result = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=15000",
                             "--window-size=1400,1000", *mode, page.as_uri()],
                            capture_output=True, text=True, timeout=180)
    return result.stdout


@pytest.fixture(scope="module")
def demo_reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo") / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env |= {"STEWARD_HOME": str(home), "COLUMNS": "200"}
    result = subprocess.run([sys.executable, "-m", "deployments.cli", "demo", "--days", "90", "--scale", "0.05",
                             "--end", "2026-11-21"], capture_output=True, text=True, env=env, cwd=REPO, timeout=1800)
    assert result.returncode == 0, result.stdout + result.stderr
    return home / "reports"


def test_each_duty_report_opens_from_file_and_draws_its_charts(demo_reports: Path, tmp_path: Path) -> None:
    assert (demo_reports / "assets" / "plotly.min.js").stat().st_size > 1_000_000  # shipped once, beside them
    SCREENSHOTS.mkdir(exist_ok=True)
    opened, charted = set(), set()
    for system_dir in sorted(p for p in demo_reports.iterdir() if p.is_dir() and p.name != "assets"):
        for duty_dir in sorted(p for p in system_dir.iterdir() if p.is_dir()):
            pages = sorted(duty_dir.glob("*.html"))
            # the page with the most charts (a quiet night's drift page has none), else the latest
            page = max(pages, key=lambda p: (len(figures(p.read_text())), p.name))
            text = page.read_text()
            assert "cdn." not in text and "http://" not in text.split("</head>")[0]  # nothing fetched online
            dom = open_page(page, tmp_path / f"p-{time.monotonic_ns()}", "--dump-dom")
            drawn = dom.count("class=\"plot-container")
            assert drawn == len(figures(text)), f"{page}: {drawn} of {len(figures(text))} charts drawn"
            if drawn:
                charted.add(duty_dir.name)
            assert "<h1>" in dom and ("table-wrap" in dom or drawn), page
            shot = SCREENSHOTS / f"report-{system_dir.name}-{duty_dir.name}.png"
            shot.unlink(missing_ok=True)
            open_page(page, tmp_path / f"s-{time.monotonic_ns()}", f"--screenshot={shot}")
            assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            opened.add(duty_dir.name)
    assert opened >= {"drift", "outcomes", "cost", "compliance", "refresh"}, opened
    assert charted >= CHARTED, charted  # a system whose every drift night was skipped has no chart: another has
