"""``steward demo``: the simulated systems, every available duty."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from deployments.cli.app import (
    UsageError,
    app,
    out,
)


@app.command()
def demo(
    days: Annotated[int, typer.Option(min=35, max=365, help="Days of simulated logs.")] = 90,
    end: Annotated[str | None, typer.Option(help="Last simulated day, YYYY-MM-DD (default: yesterday, UTC).")] = None,
    scale: Annotated[float, typer.Option(min=0.01, max=10, help="Multiplies daily traffic.")] = 1.0,
) -> None:
    """Simulate the two demo systems, run every available duty through Prefect, print a summary."""
    from deployments.demo.run import run_demo

    try:
        last = date.fromisoformat(end) if end else None
    except ValueError:
        raise UsageError(f"--end {end!r} is not a date (YYYY-MM-DD)") from None
    raise typer.Exit(run_demo(days=days, end=last, scale=scale, console=out))

