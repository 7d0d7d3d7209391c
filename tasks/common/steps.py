"""A duty's steps: task runs of their own in the duty's flow run, plain calls inside a fleet's nightly batch.

In a duty's own flow run each step (read the window, persist and notify, ...) is a task run, so the Prefect UI
shows where a run spent its time and a database hiccup retries the step alone. In a nightly batch the duty
itself is the task (``flows/fleet_night.py``, retried as a whole: every step is idempotent), and six more task
runs per duty would be most of what a thousand systems cost the Prefect server: each is three state events
for the server to record, and client-side orchestration longer than a small system's step itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from prefect import Task

P = ParamSpec("P")
R = TypeVar("R")

_inline: ContextVar[bool] = ContextVar("steward_inline_steps", default=False)


class Step(Task[P, R]):
    """A Prefect task that runs as a plain call while ``inline_steps()`` is in effect."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _inline.get():
            return self.fn(*args, **kwargs)
        return super().__call__(*args, **kwargs)


def step(fn: Callable[P, R] | None = None, /, **options: Any) -> Any:
    """``@step`` / ``@step(**RETRY)`` / ``step(fn, name=...)``: what ``prefect.task`` would make, as a ``Step``."""
    if fn is None:
        return lambda f: Step(fn=f, **options)
    return Step(fn=fn, **options)


@contextmanager
def inline_steps() -> Iterator[None]:
    """Run every step called in this block (in this thread) as a plain call."""
    token = _inline.set(True)
    try:
        yield
    finally:
        _inline.reset(token)
