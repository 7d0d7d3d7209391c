"""``steward report`` and ``steward assess``: the owner's monthly page, the portfolio, the readiness rubric."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from deployments.cli.app import EXIT_ATTENTION, FormatOption, RunbooksOption, UsageError, _catalog, _check_format, app, out


def _default_month() -> str:
    """The previous calendar month: what the monthly deployment reports on."""
    return f"{datetime.now(UTC).date().replace(day=1) - timedelta(days=1):%Y-%m}"


@app.command()
def report(
    system: Annotated[str | None, typer.Argument(help="The system id from its runbook.")] = None,
    month: Annotated[str | None, typer.Option(help="YYYY-MM (default: last month).")] = None,
    portfolio: Annotated[bool, typer.Option("--portfolio", help="Every system on one page instead.")] = False,
    slack: Annotated[bool, typer.Option("--slack", help="Also send the owner the summary with the link.")] = False,
    fmt: FormatOption = "table",
    runbooks: RunbooksOption = None,
) -> None:
    """The owner's monthly report in business terms (or, with --portfolio, every system on one page)."""
    from tasks.core.windows import Window
    from tasks.owner.build import monthly_report, portfolio as build_portfolio, post_owner_summary

    _check_format(fmt)
    if (system is None) == (not portfolio):
        raise UsageError("give a SYSTEM or --portfolio (not both)")
    month = month or _default_month()
    Window.month(month)
    catalog = _catalog(runbooks)
    if portfolio:
        page, rows, _ = build_portfolio(catalog, month)
        if fmt == "json":
            print(json.dumps({"month": month, "path": str(page), "systems": [r.model_dump() for r in rows]}, indent=2))
            return
        for r in rows:
            mark = "[red]below minimum[/red] " if r.below_minimum else ""
            out.print(f"{r.system:<20} SLA {r.sla_state:<11} readiness {r.readiness_level} {mark}"
                      f"open incidents {r.open_incidents}")
        out.print(f"portfolio: {page}", markup=False)
        return
    assert system is not None
    catalog.get(system)
    result = monthly_report(catalog, system, month)
    if slack:
        post_owner_summary(catalog, result)
    if fmt == "json":
        print(result.model_dump_json(indent=2))
        return
    out.print(f"[bold]{system} · {month}[/bold] · for {result.owner}, {result.role}")
    for line in result.headline:
        out.print(f"  {line}", markup=False)
    out.print(f"report: {result.path}", markup=False)


@app.command()
def assess(
    system: Annotated[str | None, typer.Argument(help="One system (default: every system).")] = None,
    fmt: FormatOption = "table",
    runbooks: RunbooksOption = None,
) -> None:
    """Readiness against the ML Test Score rubric plus ownership; exits 1 when a system is below its minimum."""
    from tasks.owner.build import assessments

    _check_format(fmt)
    catalog = _catalog(runbooks)
    systems = [catalog.get(system).system] if system else sorted(catalog.specs)
    found = assessments(catalog, systems)
    if fmt == "json":
        print(json.dumps([a.model_dump() for a in found], indent=2))
    else:
        for a in found:
            colour = "red" if a.below_minimum else "green"
            out.print(f"[bold]{a.system}[/bold] · owner {a.owner} · [{colour}]level {a.level} of 5[/{colour}] "
                      f"({a.passed}/{a.total} items; runbook minimum {a.minimum_level})")
            for item in a.items:
                mark = "[green]pass[/green]" if item.passed else "[red]FAIL[/red]"
                out.print(f"  {mark} {item.section:<14} {item.title}: {item.evidence}", highlight=False)
                if not item.passed:
                    out.print(f"       fix: {item.fix}", markup=False)
    if any(a.below_minimum for a in found):
        raise typer.Exit(EXIT_ATTENTION)
