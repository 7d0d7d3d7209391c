"""``steward golden``: build and curate an LLM app's golden set (the change review's evidence)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from deployments.cli.app import EXIT_OK, FormatOption, RunbooksOption, UsageError, _catalog, _check_format, app, out

ACTOR = "steward-cli"


@app.command()
def golden(
    system: Annotated[str, typer.Argument(help="The system id from its runbook (an llm_app with an evaluation section).")],
    size: Annotated[int | None, typer.Option(help="Examples across routes (default: evaluation.golden_size).")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day to draw from, YYYY-MM-DD (with --to).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day to draw from, inclusive, YYYY-MM-DD.")] = None,
    show: Annotated[bool, typer.Option("--list", help="List the current golden set.")] = False,
    add: Annotated[list[str] | None, typer.Option("--add", help="Add the logged interaction with this request id.")] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="Remove this request id from the set.")] = None,
    fmt: FormatOption = "table",
    runbooks: RunbooksOption = None,
) -> None:
    """Build a new golden-set version from the log (PII masked, stratified per route), or list and curate it.
    Every change is a new version with its audit entry."""
    _check_format(fmt)
    from flows.change_review import recent_window
    from tasks.change.data import build_golden, evaluation_section, golden_records, read_candidates
    from tasks.core.windows import Window
    from tasks.store.database import open_store
    from tasks.store.golden import add_interactions, current_interactions, interaction_version, remove_interaction

    spec = _catalog(runbooks).get(system)
    evaluation_section(spec)
    if (start is None) != (end is None):
        raise UsageError("--from and --to go together")
    window = Window.parse(f"{start}..{end}") if start else recent_window(spec)
    if add:
        frame = read_candidates(spec, window)
        found = frame[frame[spec.source.columns.request_id].astype(str).isin(add)]
        missing = sorted(set(add) - set(found[spec.source.columns.request_id].astype(str)))
        if missing:
            raise UsageError(f"no interaction with a known outcome in {window.label()} has request id {missing[0]!r}")
        with open_store().session() as session:
            version = add_interactions(session, system, golden_records(spec, found), actor=ACTOR,
                                       reason="added by hand")
        out.print(f"{system}: golden set v{version} (+{len(found)})")
    for request_id in remove or []:
        with open_store().session() as session:
            version = remove_interaction(session, system, request_id, actor=ACTOR)
        if version is None:
            raise UsageError(f"{system}'s golden set has no example {request_id!r}")
        out.print(f"{system}: golden set v{version} (-{request_id})")
    if not (show or add or remove):
        version = build_golden(spec, window, size, actor=ACTOR, reason="built by hand")
        out.print(f"{system}: golden set v{version} built from {window.label()}")
    if show:
        with open_store().session() as session:
            version = interaction_version(session, system)
            rows = [{"request_id": r.request_id, "route": r.route, "outcome": r.outcome, "input": r.input_text,
                     "reference": r.reference} for r in current_interactions(session, system)]
        if fmt == "json":
            print(json.dumps({"version": version, "examples": rows}, indent=2))
            raise typer.Exit(EXIT_OK)
        table = Table("request", "route", "outcome", "input", "reference", box=None)
        for r in rows:
            table.add_row(r["request_id"], r["route"], r["outcome"], escape(r["input"][:60]), escape(r["reference"][:60]))
        out.print(f"[bold]{system} golden set v{version}[/bold] · {len(rows)} examples")
        out.print(table)
