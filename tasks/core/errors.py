"""Errors a user can fix, by kind: the CLI shows each as one line (exit 2), never a traceback.

Anything that is not a ``StewardError`` is a bug and is reported as an internal error.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from pydantic import ValidationError


class StewardError(Exception):
    """A configuration, input or environment problem; its message names the file, field or value."""


class ConfigError(StewardError):
    """A runbook, flag or environment variable is wrong or missing."""


class DataError(StewardError):
    """The data is not what the runbook says: a missing column, an unreadable file, a value of the wrong type."""


class WindowError(StewardError):
    """A window argument is malformed, reversed, or cannot be judged against the log."""


class Unavailable(StewardError):
    """A service Steward needs (a database, Slack, the Prefect API) did not answer; worth retrying."""


class FieldProblem(NamedTuple):
    """One pydantic error as a user reads it: where, what, and the value given (None when it was missing)."""

    loc: tuple[int | str, ...]
    message: str
    value: str | None

    @property
    def field(self) -> str:
        return ".".join(str(p) for p in self.loc)

    def __str__(self) -> str:
        field = f"{self.field}: " if self.loc else ""
        return f"{field}{self.message}" + (f" (got {self.value})" if self.value is not None else "")


MAX_LINE = 500  # an error line stays readable even when a library's message is a page long
_CREDENTIALS = re.compile(r"(://[^/@:]*:)[^/@]+@")


def shown(value: Any) -> str | None:
    """An offending value as the user wrote it, shortened, with any URL password masked."""
    if isinstance(value, dict):
        return None
    text = _CREDENTIALS.sub(r"\1***@", repr(value))
    return text if len(text) <= 80 else text[:77] + "..."


def field_problems(exc: ValidationError) -> list[FieldProblem]:
    """pydantic's errors, one per field, without its multi-line dump or its internal location parts."""
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = "unknown key (typo?)" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
        problems.append(FieldProblem(loc, message, None if err["type"] == "missing" else shown(err.get("input"))))
    return problems


def one_line(exc: BaseException) -> str:
    """An exception's message on one line: pydantic errors as ``field: message (got value)``, joined by '; '."""
    if isinstance(exc, ValidationError):
        return "; ".join(map(str, field_problems(exc)))
    text = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return text if len(text) <= MAX_LINE else text[: MAX_LINE - 3] + "..."
