"""``steward models`` and ``steward rollback``: the model registry, and rolling the champion back."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from deployments.cli.app import (
    EXIT_ATTENTION,
    EXIT_OK,
    FormatOption,
    RunbooksOption,
    _catalog,
    _check_format,
    app,
    err,
    out,
)


@app.command()
def models(
    system: Annotated[str, typer.Argument(help="The system id from its runbook.")],
    fmt: FormatOption = "table",
    runbooks: RunbooksOption = None,
) -> None:
    """The model registry of one system: its versions (an LLM app's: prompt/model configurations), and which
    version served under each alias when."""
    _check_format(fmt)
    from tasks.store.database import open_store
    from tasks.store.registry import alias_history, versions

    _catalog(runbooks).get(system)
    with open_store().session() as session:
        rows = [{"version": v.version, "artifact": v.artifact_uri, "metrics": v.metrics,
                 "training": f"{v.training_start:%Y-%m-%d}..{v.training_end:%Y-%m-%d}" if v.training_start and v.training_end else None,
                 "data_fingerprint": v.data_fingerprint, "code_version": v.code_version,
                 "created_at": f"{v.created_at:%Y-%m-%d %H:%M} UTC"} for v in versions(session, system)]
        history = [{"at": f"{c.changed_at:%Y-%m-%d %H:%M:%S} UTC", "alias": c.alias, "version": c.version,
                    "previous": c.previous_version, "actor": c.actor, "reason": c.reason, "approval_id": c.approval_id}
                   for c in alias_history(session, system)]
    if fmt == "json":
        print(json.dumps({"versions": rows, "alias_history": history}, indent=2))
        return
    table = Table("version", "artifact", "training window", "data fingerprint", "code version", "pr_auc", box=None)
    for r in rows:
        table.add_row(f"v{r['version']}", r["artifact"], r["training"] or "-", (r["data_fingerprint"] or "-")[:12],
                      r["code_version"] or "-", str(r["metrics"].get("pr_auc", "-")))
    what = ("prompt/model configurations yet (run 'steward run change-review" if _catalog(runbooks).get(system).evaluation
            else "model versions yet (run 'steward run refresh")
    out.print(table if rows else f"{system} has no registered {what} {system}')")
    if history:
        changes = Table("when", "alias", "version", "was", "by", "reason", "approval", box=None)
        for c in history:
            changes.add_row(c["at"], c["alias"], f"v{c['version']}", f"v{c['previous']}" if c["previous"] else "-",
                            c["actor"], c["reason"] or "", (c["approval_id"] or "")[:8])
        out.print("[bold]alias history[/bold]")
        out.print(changes)


@app.command()
def rollback(
    system: Annotated[str, typer.Argument(help="The system id from its runbook.")],
    to: Annotated[int | None, typer.Option("--to", help="Version to restore (default: the previous champion).")] = None,
    runbooks: RunbooksOption = None,
) -> None:
    """Ask the owner (in Slack) to roll the champion back; on approval the alias switches, with its audit entry."""
    from flows.model_rollback import model_rollback, rollback_target

    rollback_target(_catalog(runbooks).get(system), to)  # a rollback that cannot be asked for fails here, fast
    with err.status(f"waiting for {system}'s owner to approve the rollback…"):
        result = model_rollback(system=system, to_version=to, runbooks=str(runbooks) if runbooks else None)
    who = f" by {result.decided_by}" if result.decided_by and result.outcome != "Expired" else ""
    out.print(f"{system}: rollback v{result.from_version} → v{result.to_version}: {result.outcome}{who}")
    raise typer.Exit(EXIT_OK if result.outcome == "Rolled back" else EXIT_ATTENTION)

