"""The ``steward`` app and what its command groups share: consoles, options, exit codes, flags."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console

from tasks.core.errors import StewardError, field_problems

if TYPE_CHECKING:
    from runbooks.loader import Catalog

M = TypeVar("M", bound=BaseModel)


EXIT_OK, EXIT_ATTENTION, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70  # 70: EX_SOFTWARE (sysexits.h)


app = typer.Typer(
    help="Steward: operations runbooks that keep production AI systems owned, measured and safe.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _always_a_group() -> None:
    """Without a callback, an app of one command runs it with no name: ``main`` may register just one."""


out = Console(highlight=False, soft_wrap=True)


err = Console(stderr=True, highlight=False, soft_wrap=True)


# The CLI speaks for itself on the console; Prefect's run logs (tracebacks included)
# still reach the Prefect API and UI. Export these variables to see them here too.
# Set before Prefect is first imported.
QUIET_PREFECT = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_TASK_RUNS_LEVEL": "CRITICAL",
}


class UsageError(StewardError):
    """A user or configuration error: shown as one line, exit code 2."""


RunbooksOption = Annotated[
    Path | None, typer.Option("--runbooks", help="Runbooks folder (default: $STEWARD_RUNBOOKS or ./runbooks).")
]


FormatOption = Annotated[str, typer.Option("--format", help="table or json.")]


ReceiverPortOption = Annotated[int, typer.Option(help="Port of the report server and approval receiver (reports at /, Slack's Request URL: POST /slack/events).")]


def _catalog(path: Path | None) -> Catalog:
    from runbooks.loader import load_catalog

    catalog = load_catalog(path)
    if catalog.problems:
        raise UsageError(
            f"{len(catalog.problems)} runbook problem(s); run 'steward validate' for details. First: {catalog.problems[0]}"
        )
    return catalog


def _from_flags(model: type[M], **flags: Any) -> M:
    """``model`` built from command-line flags; a value it refuses is one line naming the flag."""
    try:
        return model(**flags)
    except ValidationError as exc:
        raise UsageError("; ".join(str(p._replace(loc=(f"--{p.field.replace('_', '-')}",)))
                                   for p in field_problems(exc))) from None


def _check_format(fmt: str) -> None:
    if fmt not in ("table", "json"):
        raise UsageError(f"--format must be 'table' or 'json', not {fmt!r}")

