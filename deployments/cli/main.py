"""The error boundary: a ``StewardError`` is one line and exit 2; anything else is a bug, and says so."""

from __future__ import annotations

import os
import sys
import traceback

from deployments.cli.app import (
    EXIT_INTERNAL,
    EXIT_USAGE,
    QUIET_PREFECT,
    app,
    err,
)
from tasks.core.errors import StewardError, one_line


def main() -> None:
    """Console entry point: a ``StewardError`` is one line and exit 2; anything else is a bug, and says so."""
    for name, value in QUIET_PREFECT.items():
        os.environ.setdefault(name, value)
    try:
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

