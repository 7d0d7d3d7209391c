"""Every report as the owner opens it: from file:// in headless Chromium, charts drawn by the shipped plotly.js.

The demo (small scale) writes the reports; one of each duty, each owner's monthly page and the portfolio are
opened without a server, their DOM checked for drawn plots, and a screenshot of each kept under
.test-artifacts/. The figures the demo embedded are read back too: the axes, formats and bands the owner sees.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from browser_support import chromium
from chart_support import figures, titled
from runbooks.loader import load_catalog
from tasks.core.money import currency_symbol

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / ".test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--allow-file-access-from-files"]
CHARTED = {"outcomes", "cost", "owner"}  # always charted; drift only on a night with drifted columns (the date's)
MONTH = "2026-11"  # the demo below ends on 2026-11-21: November to date has the incidents and the approval
WHOLE_MONTH = "2026-10"  # its last whole month: what the portfolio shows, as the monthly deployment would
FRAUD, SUPPORT = "fraud-scoring", "support-assistant"
CATALOG = load_catalog(REPO / "runbooks")


def open_page(page: Path, profile: Path, shot: Path) -> str:
    """The page's DOM after its scripts ran, and its screenshot, from one Chromium start (each costs seconds)."""
    shot.unlink(missing_ok=True)
    result = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=15000",
                             "--window-size=1400,1000", "--dump-dom", f"--screenshot={shot}", page.as_uri()],
                            capture_output=True, text=True, timeout=180)
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", page
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


def test_each_report_opens_from_file_and_draws_its_charts(demo_reports: Path, tmp_path: Path) -> None:
    assert (demo_reports / "assets" / "plotly.min.js").stat().st_size > 1_000_000  # shipped once, beside them
    SCREENSHOTS.mkdir(exist_ok=True)
    opened, charted = set(), set()

    def check(page: Path, name: str) -> int:
        text = page.read_text()
        assert "cdn." not in text and "http://" not in text.split("</head>")[0]  # nothing fetched online
        dom = open_page(page, tmp_path / f"p-{time.monotonic_ns()}", SCREENSHOTS / f"report-{name}.png")
        drawn = dom.count("class=\"plot-container")
        assert drawn == len(figures(text)), f"{page}: {drawn} of {len(figures(text))} charts drawn"
        assert "<h1>" in dom and ("table-wrap" in dom or drawn), page
        return drawn

    for system_dir in sorted(p for p in demo_reports.iterdir() if p.is_dir() and p.name != "assets"):
        for duty_dir in sorted(p for p in system_dir.iterdir() if p.is_dir()):  # owner/ holds the monthly page
            pages = sorted(duty_dir.glob("*.html"))
            # the page with the most charts (a quiet night's drift page has none), else the latest
            page = max(pages, key=lambda p: (len(figures(p.read_text())), p.name))
            if check(page, f"{system_dir.name}-{duty_dir.name}"):
                charted.add(duty_dir.name)
            opened.add(duty_dir.name)
    assert opened >= {"drift", "outcomes", "cost", "compliance", "refresh", "owner"}, opened
    assert charted >= CHARTED, charted  # a system whose every drift night was skipped has no chart: another has
    check(demo_reports / "portfolio.html", "portfolio")
    portfolio = (demo_reports / "portfolio.html").read_text()
    links = re.findall(r"href='([^']+)'", portfolio)
    assert f"{FRAUD}/owner/{WHOLE_MONTH}.html" in links and f"{SUPPORT}/owner/{WHOLE_MONTH}.html" in links
    assert all((demo_reports / link).is_file() for link in links), links  # relative links open as files


def _trace(figure: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in figure["data"] if t["name"] == name)


def _rate_trend_with_band(figure: dict[str, Any], band: str) -> None:
    """A trend on a date axis, in percent from zero, the label-free estimate filled in its band."""
    layout = figure["layout"]
    assert layout["xaxis"]["type"] == "date" and layout["yaxis"]["tickformat"].endswith("%")
    assert layout["yaxis"]["range"][0] == 0 <= layout["yaxis"]["range"][1] <= 1
    filled = _trace(figure, band)
    assert filled["fill"] == "tonexty" and any(v is not None for v in filled["y"])
    upper = figure["data"][figure["data"].index(filled) - 1]  # the edge the band fills up to
    assert all(lo <= hi for lo, hi in zip(filled["y"], upper["y"], strict=True) if lo is not None and hi is not None)


def _spend_against_budget(figure: dict[str, Any], currency: str) -> float:
    """Cumulative spend in the owner's currency on a date axis, and the (flat) budget line it is held to."""
    layout = figure["layout"]
    assert layout["xaxis"]["type"] == "date" and layout["yaxis"]["tickprefix"] == currency_symbol(currency)
    assert layout["yaxis"]["rangemode"] == "tozero" and layout["yaxis"]["range"][0] == 0
    [budget, again] = _trace(figure, "budget")["y"]
    assert budget == again > 0
    return budget


def test_the_demo_pages_embed_dated_percent_and_money_axes_and_the_estimates_band(demo_reports: Path) -> None:
    """What the owner reads off the demo's charts, from the figures embedded in its pages (no browser needed)."""
    fraud = CATALOG.get(FRAUD)
    outcomes = sorted((demo_reports / FRAUD / "outcomes").glob("*.html"))[-1].read_text()  # immature: estimated
    [recall] = titled(outcomes, "recall per window")
    _rate_trend_with_band(recall, f"recall (estimated): {fraud.outcomes.confidence:.0%} band")
    [business] = titled(outcomes, "Business metrics per window")
    assert business["layout"]["xaxis"]["type"] == "date"
    assert business["layout"]["yaxis"]["tickprefix"] == currency_symbol(fraud.outcomes.currency)

    for system in (FRAUD, SUPPORT):
        spec = CATALOG.get(system)
        [cost_page] = (demo_reports / system / "cost").glob(f"{MONTH}-*.html")
        [cost_chart] = titled(cost_page.read_text(), "Spend to date")
        owner = (demo_reports / system / "owner" / f"{MONTH}.html").read_text()
        [owner_chart] = titled(owner, "Spend against budget")
        # the owner's page reads the cost review's stored result: the same budget, the same spend to date
        assert _spend_against_budget(owner_chart, spec.currency()) == _spend_against_budget(cost_chart,
                                                                                            spec.cost.currency)
        assert _trace(owner_chart, "spend to date")["y"] == _trace(cost_chart, "spend to date")["y"]
    [detection] = titled((demo_reports / FRAUD / "owner" / f"{MONTH}.html").read_text(), "Fraud in money")
    _rate_trend_with_band(detection, "estimated: confidence band")
    assert _trace(detection, "estimated")["line"]["dash"] == "dash"

    refresh = next((demo_reports / FRAUD / "refresh").glob("*.html")).read_text()  # the owner approved in the demo
    assert "approved by Dana Whitfield on " in refresh and "v2 promoted to champion" in refresh
    assert "asked to approve" not in refresh
    impact = refresh[refresh.index("<h2>Business impact"):refresh.index("<h2>Slices")]
    assert len(re.findall(re.escape(currency_symbol(fraud.currency())) + r"[\d,]+\.\d\d<", impact)) >= 4
