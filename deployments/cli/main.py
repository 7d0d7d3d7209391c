"""The entry point: register the command's group, then the error boundary (a ``StewardError`` is one line and
exit 2; anything else is a bug, and says so)."""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Sequence

from deployments.cli.app import (
    EXIT_INTERNAL,
    EXIT_USAGE,
    QUIET_PREFECT,
    app,
    err,
)
from tasks.core.errors import StewardError, one_line

GROUPS = ("runbooks", "duties", "alerts", "drift", "serving", "models", "compliance", "change", "report", "demo")
"""The command-group modules of ``deployments.cli``, in help order."""

COMMANDS = {
    "validate": "runbooks", "systems": "runbooks", "deployments": "runbooks", "index": "runbooks",
    "run": "duties", "night": "duties", "status": "duties",
    "alerts": "alerts", "ack": "alerts", "resolve": "alerts",
    "baseline": "drift", "drift": "drift",
    "serve": "serving", "up": "serving", "approvals": "serving",
    "models": "models", "rollback": "models",
    "purge": "compliance", "golden": "change", "report": "report", "assess": "report", "demo": "demo",
}
"""Each command (or sub-command group) and the group module that registers it."""


def register(argv: Sequence[str]) -> None:
    """Register the commands ``argv`` (without the program name) can run: the one group of a known command,
    else every group, so help lists them all and a misspelt name gets click's own error."""
    group = COMMANDS.get(argv[0]) if argv else None
    for name in (group,) if group else GROUPS:
        importlib.import_module(f"deployments.cli.{name}")


def main() -> None:
    """Console entry point: a ``StewardError`` is one line and exit 2; anything else is a bug, and says so."""
    for name, value in QUIET_PREFECT.items():
        os.environ.setdefault(name, value)
    try:
        register(sys.argv[1:])
        app()
    except StewardError as exc:
        err.print(f"error: {one_line(exc)}", markup=False)
        sys.exit(EXIT_USAGE)
    except Exception as exc:  # noqa: BLE001 - the boundary: every other exception is a bug, reported as one
        if os.environ.get("STEWARD_DEBUG") == "1":
            traceback.print_exc()
        err.print(f"internal error: {type(exc).__name__}: {one_line(exc)} "
                  "(a bug: rerun with STEWARD_DEBUG=1 for the traceback)", markup=False)
        sys.exit(EXIT_INTERNAL)

