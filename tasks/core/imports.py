"""The ``module:function`` references a runbook names (a trainer, a responder), resolved with one-line errors."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from tasks.core.errors import StewardError


def load_callable(reference: str, field: str, error: type[StewardError]) -> Callable[..., Any]:
    """The function ``reference`` names; ``error`` (naming the runbook ``field``) when it cannot be used."""
    module, _, name = reference.partition(":")
    try:
        found = getattr(import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise error(f"{field} {reference!r} cannot be imported: {exc}") from None
    if not callable(found):
        raise error(f"{field} {reference!r} is not a function")
    return found
