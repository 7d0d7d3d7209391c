"""The ``steward`` command as a user runs it: real subprocesses, exit codes 0 / 1 / 2, no tracebacks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import assert_one_line_error, steward  # noqa: F401 - shared helpers and fixtures
from conftest import DEMO_END, REPO


def test_validate_shipped_runbooks_exits_0(_isolated_home: Path) -> None:
    result = steward("validate", home=_isolated_home)
    assert result.returncode == 0 and "2 runbook(s) valid" in result.stdout


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace("  min_rows: 500", "  min_rows: 500\n  min_row: 5"), "drift.min_row: unknown key"),
        (lambda t: t.replace("kind: classifier", "kind: [classifier"), "invalid YAML"),
        (lambda t: "- a\n- b\n", "top level is a list"),
        (lambda t: "", "file is empty"),
    ],
)
def test_validate_broken_copy_exits_2_naming_file_and_key(tmp_path: Path, _isolated_home: Path, edit, expected) -> None:
    folder = tmp_path / "runbooks"
    shutil.copytree(REPO / "runbooks" / "systems", folder / "systems")
    shutil.copytree(REPO / "runbooks" / "playbooks", folder / "playbooks")
    target = folder / "systems" / "fraud-scoring.yaml"
    target.write_text(edit(target.read_text()))
    result = steward("validate", str(folder), home=_isolated_home)
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr
    [line] = result.stdout.strip().splitlines()
    assert line.startswith(f"{target}:") and expected in line


def test_validate_duplicate_system_and_json_output(tmp_path: Path, _isolated_home: Path) -> None:
    folder = tmp_path / "runbooks"
    shutil.copytree(REPO / "runbooks", folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    shutil.copy(folder / "systems" / "fraud-scoring.yaml", folder / "systems" / "fraud-again.yaml")
    result = steward("validate", str(folder), "--format", "json", home=_isolated_home)
    assert result.returncode == 2
    [problem] = json.loads(result.stdout)["problems"]
    assert problem["field"] == "system" and "duplicate system id" in problem["message"]


def test_usage_errors_are_one_line_and_exit_2(_isolated_home: Path) -> None:
    assert_one_line_error(steward("run", "drift", "no-such-system", home=_isolated_home), "no-such-system", "known:")
    assert_one_line_error(steward("run", "drift", "fraud-scoring", "--window", "2026-13-01", home=_isolated_home),
                          "2026-13-01")
    assert_one_line_error(steward("run", "refresh", "support-assistant", home=_isolated_home), "no enabled 'refresh'")
    missing = steward("validate", "/no/such/folder", home=_isolated_home)
    assert missing.returncode == 2 and "/no/such/folder: no such file or folder" in missing.stdout
    bad_duty = steward("run", "dance", "fraud-scoring", home=_isolated_home)
    assert bad_duty.returncode == 2 and "Traceback" not in bad_duty.stderr
    assert_one_line_error(steward("night", "--shard", "5/4", home=_isolated_home), "a shard is i/n", "'5/4'")


def test_systems_lists_owners_duties_and_schedules(_isolated_home: Path) -> None:
    result = steward("systems", home=_isolated_home)
    assert result.returncode == 0
    assert "Dana Whitfield" in result.stdout and "0 2 * * * UTC" in result.stdout and "manual" in result.stdout


def test_missing_log_table_is_a_clear_error(prefect_api: str, _isolated_home: Path) -> None:
    result = steward("run", "drift", "fraud-scoring", "--window", "2026-11-20", home=_isolated_home, api=prefect_api)
    assert_one_line_error(result, "table 'fraud_decisions' does not exist")


def test_run_exit_codes_follow_findings_and_status_shows_the_alert(prefect_api: str, demo_home: Path) -> None:
    healthy = steward("run", "drift", "fraud-scoring", "--window", "2026-10-10", home=demo_home, api=prefect_api)
    assert healthy.returncode == 0, healthy.stderr
    assert "no drift" in healthy.stdout

    drifted = steward("run", "drift", "fraud-scoring", "--window", str(DEMO_END), "--format", "json",
                      home=demo_home, api=prefect_api)
    assert drifted.returncode == 1, drifted.stderr
    report = json.loads(drifted.stdout)
    assert report["status"] == "attention" and report["alerts"][0]["delivery"] == "not_configured"

    status = steward("status", home=demo_home)
    assert status.returncode == 1
    assert "would go to C0OPSMLOPS" in status.stdout and "never run" in status.stdout
    as_json = json.loads(steward("status", "--format", "json", home=demo_home).stdout)
    assert as_json["fraud-scoring"]["duties"]["drift"]["status"] == "attention"


def _write_pair(folder: Path) -> tuple[Path, Path]:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    n = 20_000
    ref = pd.DataFrame({"amount": rng.lognormal(3, 1, n), "steady": rng.normal(0, 1, n),
                        "channel": rng.choice(["web", "app", "pos"], n), "code": rng.integers(0, 4, n)})
    cur = pd.DataFrame({"amount": rng.lognormal(3.5, 1, n), "steady": rng.normal(0, 1, n),
                        "channel": rng.choice(["web", "app", "crypto"], n), "code": rng.integers(0, 4, n)})
    ref.to_parquet(folder / "ref.parquet")
    cur.to_csv(folder / "cur.csv", index=False)
    return folder / "ref.parquet", folder / "cur.csv"


def test_adhoc_drift_json_contract_and_exit_codes(tmp_path: Path, _isolated_home: Path) -> None:
    ref, cur = _write_pair(tmp_path)
    result = steward("drift", str(ref), str(cur), "--format", "json", home=_isolated_home)
    assert result.returncode == 1, result.stderr
    output = json.loads(result.stdout)
    assert sorted(output["drifted"]) == ["amount", "channel"]
    by_name = {c["name"]: c for c in output["columns"]}
    assert set(by_name["amount"]) == {"name", "kind", "method", "score", "threshold", "drifted", "p_value", "note"}
    assert (by_name["amount"]["kind"], by_name["channel"]["kind"], by_name["code"]["kind"]) == (
        "numeric", "categorical", "categorical")

    steady = steward("drift", str(ref), str(cur), "--columns", "steady,code", home=_isolated_home)
    assert steady.returncode == 0 and "0 of 2 columns drifted" in steady.stdout


def test_adhoc_drift_bad_input_is_one_line(tmp_path: Path, _isolated_home: Path) -> None:
    ref, cur = _write_pair(tmp_path)
    assert_one_line_error(steward("drift", str(ref), str(cur), "--columns", "amount,nope", home=_isolated_home),
                          "no column 'nope'", str(ref))
    assert_one_line_error(steward("drift", str(ref), str(tmp_path / "missing.parquet"), home=_isolated_home),
                          "missing.parquet: no such file")
    (tmp_path / "junk.parquet").write_text("not parquet")
    assert_one_line_error(steward("drift", str(tmp_path / "junk.parquet"), str(cur), home=_isolated_home),
                          "junk.parquet: cannot read")


def test_adhoc_drift_refuses_unprofilable_columns_in_one_line_naming_file_and_column(
    tmp_path: Path, _isolated_home: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    ref, cur = _write_pair(tmp_path)
    nested = tmp_path / "nested.parquet"
    pq.write_table(pa.table({"amount": [1.0, 2.0], "tags": [[1, 2], [3]], "meta": [{"a": 1}, {"a": 2}]}), nested)
    assert_one_line_error(steward("drift", str(nested), str(cur), home=_isolated_home),
                          f"{nested}: column 'tags' is of nested type list")
    assert_one_line_error(steward("drift", str(ref), str(nested), "--columns", "amount,meta", home=_isolated_home),
                          "no column 'meta'")  # the current file is read for the reference's columns
    assert_one_line_error(steward("drift", str(nested), str(nested), "--columns", "meta", home=_isolated_home),
                          "column 'meta' is of nested type struct")

    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(b"amount,city\n" + b"1.5,Montr\xe9al\n2.5,Paris\n" * 200)
    assert_one_line_error(steward("drift", str(latin1), str(latin1), home=_isolated_home),
                          f"{latin1}: column 'city' is not valid UTF-8")

    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"channel": ["web", "app"] * 5_000, "amount": [float(i) for i in range(10_000)]}), plain)
    page = pq.ParquetFile(plain).metadata.row_group(0).column(1).data_page_offset
    data = bytearray(plain.read_bytes())
    data[page + 8 : page + 400] = bytes(range(256)) + bytes(range(136))  # a page header and values gone bad
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(bytes(data))
    assert_one_line_error(steward("drift", str(broken), str(plain), home=_isolated_home),
                          f"{broken}: column 'amount': cannot read")


def test_adhoc_drift_reference_below_min_rows_is_insufficient_data_per_column(tmp_path: Path, _isolated_home: Path) -> None:
    import pandas as pd

    ref, cur = _write_pair(tmp_path)
    small = tmp_path / "small.parquet"
    pd.read_parquet(ref).head(50).to_parquet(small)
    result = steward("drift", str(small), str(cur), "--format", "json", home=_isolated_home)
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["drifted"] == []
    for column in output["columns"]:
        assert column["drifted"] is False and column["score"] is None
        assert column["note"].startswith("insufficient data: 50 ") and "(min_rows 200)" in column["note"]
    table = steward("drift", str(small), str(cur), "--min-rows", "20", home=_isolated_home)
    assert table.returncode == 1 and "columns drifted: amount" in table.stdout  # judged once the bar is lowered


def test_window_arguments_are_refused_in_one_line(_isolated_home: Path) -> None:
    for args, fragment in [(("--window", "2026-11-07..2026-11-01"), "is reversed"),
                           (("--window", "2026-11-01.."), "open-ended"),
                           (("--window", "2026-02-30"), "day is out of range"),
                           (("--from", "2026-11-07", "--to", "2026-11-01"), "is reversed"),
                           (("--month", "2026-13"), "month '2026-13' is not YYYY-MM")]:
        assert_one_line_error(steward("run", "cost", "support-assistant", *args, home=_isolated_home), fragment)


def test_a_pydantic_error_is_one_line_per_field(tmp_path: Path, _isolated_home: Path) -> None:
    ref, cur = _write_pair(tmp_path)
    result = steward("drift", str(ref), str(cur), "--psi", "-1", "--jensen-shannon", "2", home=_isolated_home)
    assert_one_line_error(result, "--psi: Input should be greater than 0 (got -1.0)",
                          "; --jensen-shannon: Input should be less than or equal to 1 (got 2.0)")


def _with_bug(bug: str, *args: str, home: Path, debug: bool = False) -> subprocess.CompletedProcess[str]:
    """``steward ARGS`` with the drift verdict of a numeric column replaced by ``bug``: an injected defect."""
    script = ("import sys, tasks.drift.stats as d, deployments.cli as cli\n"
              f"def verdict(*args, **kwargs):\n    {bug}\n"
              f"d.numeric_drift = verdict\nsys.argv = ['steward', *{list(args)!r}]\ncli.main()\n")
    env = {**os.environ, "STEWARD_HOME": str(home), "STEWARD_DEBUG": "1" if debug else ""}
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=REPO, timeout=300)


def test_an_internal_error_is_one_line_with_its_own_exit_code(tmp_path: Path, _isolated_home: Path) -> None:
    ref, cur = _write_pair(tmp_path)
    hint = "(a bug: rerun with STEWARD_DEBUG=1 for the traceback)"
    result = _with_bug("return 1 / 0", "drift", str(ref), str(cur), home=_isolated_home)
    assert result.returncode == 70 and "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip().splitlines() == [f"internal error: ZeroDivisionError: division by zero {hint}"]

    debug = _with_bug("return 1 / 0", "drift", str(ref), str(cur), home=_isolated_home, debug=True)
    assert debug.returncode == 70
    assert "Traceback (most recent call last)" in debug.stderr and ", in verdict\n" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1] == f"internal error: ZeroDivisionError: division by zero {hint}"

    invalid = _with_bug("from runbooks.spec import DriftThresholds; DriftThresholds(psi=-1, wasserstein=0)",
                        "drift", str(ref), str(cur), home=_isolated_home)
    assert invalid.returncode == 70
    assert invalid.stderr.strip().splitlines() == [
        "internal error: ValidationError: psi: Input should be greater than 0 (got -1); "
        f"wasserstein: Input should be greater than 0 (got 0) {hint}"]


def test_baseline_command(demo_home: Path) -> None:
    result = steward("baseline", "fraud-scoring", "--from", "2026-09-01", "--to", "2026-09-28", home=demo_home)
    assert result.returncode == 0, result.stderr
    assert "baseline v1 from 2026-09-01..2026-09-28" in result.stdout
    empty = steward("baseline", "fraud-scoring", "--from", "2030-01-01", "--to", "2030-01-02", home=demo_home)
    assert_one_line_error(empty, "no rows in 2030-01-01..2030-01-02")


def test_baseline_from_a_training_snapshot(demo_home: Path, tmp_path: Path) -> None:
    from deployments.demo.simulator import simulate_fraud

    decisions, _ = simulate_fraud(DEMO_END, days=7, per_day=300)
    decisions.to_parquet(tmp_path / "train.parquet")
    result = steward("baseline", "fraud-scoring", "--snapshot", str(tmp_path / "train.parquet"), home=demo_home)
    assert result.returncode == 0, result.stderr
    assert "baseline v1 from snapshot" in result.stdout
    decisions.drop(columns=["amount"]).to_parquet(tmp_path / "bad.parquet")
    assert_one_line_error(steward("baseline", "fraud-scoring", "--snapshot", str(tmp_path / "bad.parquet"),
                                  home=demo_home), "no column 'amount'")
