"""``steward purge``: the retention purge, through the owner's approval."""

from __future__ import annotations

from typing import Annotated

import typer

from deployments.cli.app import (
    RunbooksOption,
    _catalog,
    app,
    out,
)


@app.command()
def purge(
    system: Annotated[str, typer.Argument(help="The system id from its runbook.")],
    approval: Annotated[str | None, typer.Option(help="Execute this approved purge request.")] = None,
    runbooks: RunbooksOption = None,
) -> None:
    """Delete log rows past retention: first records a request for the owner, then runs it once approved."""
    from tasks.approvals.workflow import post_request
    from tasks.compliance.purge import execute_purge, plan_purge, request_purge
    from tasks.store.database import open_store

    spec = _catalog(runbooks).get(system)
    if approval:
        with open_store().session() as session:
            plan = execute_purge(session, spec, approval)
        out.print(f"{system}: deleted {plan.rows:,} rows of {plan.table} before {plan.cutoff:%Y-%m-%d} "
                  f"(approval {approval}); audit trail: count and ids hash {plan.ids_hash[:12]}…")
        return
    plan = plan_purge(spec)
    if plan.rows == 0:
        out.print(f"{system}: no rows of {plan.table} before {plan.cutoff:%Y-%m-%d}; nothing to purge")
        return
    with open_store().session() as session:
        request = request_purge(session, spec, plan)
    post_request(request.id)
    out.print(f"{system}: {plan.rows:,} rows of {plan.table} are past retention (before {plan.cutoff:%Y-%m-%d}). "
              f"Nothing deleted. Approval request {request.id} sent to {spec.owner.name}; once approved run "
              f"'steward purge {system} --approval {request.id}'")

