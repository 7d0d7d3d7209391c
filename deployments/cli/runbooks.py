"""``steward validate``, ``systems``, ``deployments``: what the runbooks say and ask for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from deployments.cli.app import (
    EXIT_OK,
    EXIT_USAGE,
    FormatOption,
    RunbooksOption,
    _catalog,
    _check_format,
    app,
    out,
)


@app.command()
def validate(
    path: Annotated[Path | None, typer.Argument(help="A runbook file or folder (default: runbooks/).")] = None,
    fmt: FormatOption = "table",
) -> None:
    """Check runbook specs: one line per problem (file:line: field: message), exit 2 if any."""
    _check_format(fmt)
    from runbooks.loader import load_catalog

    catalog = load_catalog(path)
    if fmt == "json":
        out.print_json(json.dumps({"valid": not catalog.problems, "systems": sorted(catalog.specs),
                                   "problems": [p.model_dump() for p in catalog.problems]}))
    else:
        for problem in catalog.problems:
            print(str(problem))
        if not catalog.problems:
            out.print(f"ok: {len(catalog.specs)} runbook(s) valid: {', '.join(sorted(catalog.specs))}")
    raise typer.Exit(EXIT_USAGE if catalog.problems else EXIT_OK)


@app.command()
def systems(runbooks: RunbooksOption = None) -> None:
    """List each system with its owner, its duties and their schedules."""
    catalog = _catalog(runbooks)
    table = Table("system", "kind", "owner", "duty", "schedule", "playbook", box=None)
    for name, spec in sorted(catalog.specs.items()):
        owner = f"{spec.owner.name} ({spec.owner.role}); backup {spec.owner.backup.name}"
        for i, (duty, section) in enumerate(spec.duties().items()):
            schedule = f"{section.schedule.cron} {section.schedule.timezone}" if section.schedule else "manual"
            table.add_row(name if i == 0 else "", spec.kind.value if i == 0 else "", owner if i == 0 else "",
                          duty.value, schedule, spec.playbook(duty))
    out.print(table)


@app.command("deployments")
def list_deployments(
    write: Annotated[Path | None, typer.Option(help="Write prefect.yaml (work-pool deployments) to this path.")] = None,
    runbooks: RunbooksOption = None,
) -> None:
    """The deployments the runbooks ask for: one per (duty, system), with its schedule."""
    from deployments.plan import plan_deployments, render_prefect_yaml

    plans = plan_deployments(_catalog(runbooks))
    if write:
        write.write_text(render_prefect_yaml(plans), encoding="utf-8")
        out.print(f"wrote {len(plans)} deployment(s) to {write}")
        return
    table = Table("deployment", "schedule", "entrypoint", box=None)
    for p in plans:
        table.add_row(p.full_name, p.when, p.entrypoint)
    out.print(table)


@app.command("index")
def index_log(
    system: Annotated[str, typer.Argument(help="The system whose SQL log gets what its runbook's source declares.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the statements without running them.")] = False,
    runbooks: RunbooksOption = None,
) -> None:
    """Create the runbook's declared timestamp index (and PostgreSQL's day statistics); no duty run ever does."""
    from tasks.io.indexes import create, statements

    source = _catalog(runbooks).get(system).source
    ddl = statements(source)
    for statement in ddl:
        print(f"{statement};")
    if not ddl:
        out.print(f"nothing to create: {system}'s runbook declares no source.timestamp_index")
    elif not dry_run:
        create(source, ddl)
        out.print(f"done: {len(ddl)} statement(s) on {system}'s log")
