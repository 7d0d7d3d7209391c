"""The README's performance tables are the results files, rendered; the harness measures what it says."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # benchmarks/ is scripts beside the product, not an installed package

from benchmarks import harness, readme_tables  # noqa: E402


def test_readme_tables_match_the_results_files() -> None:
    readme = (ROOT / "README.md").read_text()
    assert readme_tables.rewrite(readme) == readme, "README.md is stale: run benchmarks/readme_tables.py"


def test_a_changed_result_changes_the_readme(tmp_path: Path) -> None:
    for name, _ in readme_tables.TABLES.values():
        if (readme_tables.RESULTS / name).is_file():
            shutil.copy(readme_tables.RESULTS / name, tmp_path / name)
    drift = json.loads((tmp_path / "drift_vs_peers.json").read_text())
    steward = next(iter(drift["sizes"].values()))["tools"]["steward"]
    steward["wall_s"] *= 2
    steward["summary"]["wall_s"]["median"] *= 2
    (tmp_path / "drift_vs_peers.json").write_text(json.dumps(drift))
    readme = (ROOT / "README.md").read_text()
    assert readme_tables.rewrite(readme, tmp_path) != readme


def test_a_benchmark_not_run_yet_says_so_and_names_its_script(tmp_path: Path) -> None:
    assert readme_tables.rendered("fleet", tmp_path) == (
        "Not measured yet: `benchmarks/nightly_fleet.py` writes `benchmarks/results/nightly_fleet.json`.")


def test_every_drift_figure_is_dated_and_says_what_it_includes() -> None:
    table = readme_tables.rendered("drift")
    assert "start-up, imports and reading both files included" in table
    results = json.loads((readme_tables.RESULTS / "drift_vs_peers.json").read_text())
    for size in results["sizes"].values():
        for tool in size["tools"].values():
            assert tool["measured_at"][:10] in table


def test_every_cost_figure_is_dated_says_what_it_includes_and_shows_the_plans() -> None:
    table = readme_tables.rendered("cost")
    assert "start-up, imports, the query, building the frame" in table and "fixed start-up" in table
    results = json.loads((readme_tables.RESULTS / "cost_review.json").read_text())
    for row in results["rows"]:
        for path in ("pushdown", "naive"):
            if path in row:
                assert row[path]["process"]["measured_at"][:10] in table
                assert f"{row[path]['process']['runs']} run" in table
    postgres = [r for r in results["rows"] if r["database"] == "postgresql"]
    assert postgres and all(any("Partial HashAggregate" in line for line in r["setup"]["plan"]) for r in postgres)
    assert table.count("Before: ") == table.count("After: ") == len(postgres)


def test_harness_counts_the_childs_cpu_and_memory() -> None:
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\nb = b'x' * (200 << 20)\n"
    run = harness.measure([sys.executable, "-c", burn])
    assert run.exit_code == 0 and run.error is None
    assert run.cpu_s >= 0.3 and run.wall_s >= run.user_s * 0.5
    assert run.peak_rss_mb >= 200


def test_harness_summary_keeps_median_min_max_and_load() -> None:
    result = harness.repeat([sys.executable, "-c", "pass"], runs=3)
    summary = result["summary"]
    assert summary["runs"] == 3 and len(summary["every_run"]) == 3
    walls = [r["wall_s"] for r in summary["every_run"]]
    assert summary["wall_s"] == {"median": sorted(walls)[1], "min": min(walls), "max": max(walls)}
    assert set(summary["load_1min"]) == {"before", "after"}


def test_a_childs_peak_memory_is_its_own_not_the_benchmarks() -> None:
    """Linux carries a parent's peak RSS into a forked child; the launcher keeps the benchmark's data out."""
    held = b"x" * (300 << 20)  # what a benchmark holding its generated data looks like
    run = harness.measure(["/bin/true"])
    assert run.exit_code == 0 and run.peak_rss_mb < 100
    del held
