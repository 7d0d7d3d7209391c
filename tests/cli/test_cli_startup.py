"""``steward`` imports only the command group it runs, and ``steward drift`` only what a drift check needs:
it is timed whole-process against other tools, start-up included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from cli_support import steward
from conftest import REPO

from deployments.cli import COMMANDS, GROUPS

NOT_FOR_DRIFT = ("prefect", "sqlalchemy", "pandas", "runbooks.spec", "runbooks.loader", "numpy.ma", "rich.table",
                 *(f"deployments.cli.{group}" for group in GROUPS if group != "drift"))


def _python(script: str, home: Path) -> str:
    env = {**os.environ, "STEWARD_HOME": str(home)}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=REPO, check=False,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_command_is_mapped_to_the_group_that_registers_it(_isolated_home: Path) -> None:
    script = ("import importlib, json, typer.main\nfrom deployments.cli import GROUPS, app\nseen, found = set(), {}\n"
              "for group in GROUPS:\n    importlib.import_module(f'deployments.cli.{group}')\n"
              "    names = set(typer.main.get_command(app).commands) - seen\n"
              "    found.update(dict.fromkeys(names, group))\n    seen |= names\nprint(json.dumps(found))\n")
    assert json.loads(_python(script, _isolated_home)) == COMMANDS


def test_help_lists_every_command(_isolated_home: Path) -> None:
    result = steward("--help", home=_isolated_home)
    assert result.returncode == 0, result.stderr
    listed = {line.split()[1] for line in result.stdout.splitlines() if line.startswith("│ ") and line[2] != " "}
    assert set(COMMANDS) <= listed


def test_a_command_runs_with_only_its_group_registered(tmp_path: Path, _isolated_home: Path) -> None:
    result = steward("purge", "--help", home=_isolated_home)  # the one command of its group
    assert result.returncode == 0 and "purge [OPTIONS]" in result.stdout, result.stdout + result.stderr
    result = steward("no-such-command", home=_isolated_home)
    assert result.returncode == 2 and "No such command 'no-such-command'" in result.stderr


def test_drift_imports_neither_prefect_nor_pandas_nor_the_other_commands(tmp_path: Path, _isolated_home: Path) -> None:
    rng = np.random.default_rng(5)
    for side, mean in (("ref", 0.0), ("cur", 1.0)):
        pq.write_table(pa.table({"x": rng.normal(mean, 1, 5_000), "c": rng.choice(["a", "b", "c"], 5_000)}),
                       tmp_path / f"{side}.parquet")
    args = ["drift", str(tmp_path / "ref.parquet"), str(tmp_path / "cur.parquet"), "--format", "json"]
    script = (f"import sys\nsys.argv = ['steward', *{args!r}]\nimport deployments.cli as cli\n"
              "try:\n    cli.main()\nexcept SystemExit as exit:\n    code = exit.code\n"
              f"print(code, [m for m in {NOT_FOR_DRIFT!r} if m in sys.modules])\n")
    *_, last = _python(script, _isolated_home).splitlines()
    assert last == "1 []"  # x drifted, and none of those modules was imported
