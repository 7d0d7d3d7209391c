"""Roll the champion back to an earlier version, through the same owner approval as a promotion."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.runtime import deployment, flow_run
from prefect.states import Completed, State
from pydantic import BaseModel

from runbooks.loader import load_catalog
from runbooks.spec import RunbookSpec
from tasks.approvals.workflow import CACHED, ask, await_decision
from tasks.core.errors import StewardError
from tasks.core.status import ApprovalState
from tasks.store.database import open_store
from tasks.store.models import ModelVersion
from tasks.store.registry import alias_version, previous_champion, set_alias


class RollbackError(StewardError):
    """A rollback that cannot be asked for (no champion, unknown or same version)."""


class RollbackResult(BaseModel):
    system: str
    from_version: int
    to_version: int
    outcome: str
    decided_by: str | None = None
    approval_id: str


def rollback_target(spec: RunbookSpec, to_version: int | None) -> tuple[int, int]:
    """(current champion, version to restore): by default the version that served before it."""
    with open_store().session() as session:
        current = alias_version(session, spec.system, "champion")
        if current is None:
            raise RollbackError(f"{spec.system} has no champion in the registry; nothing to roll back")
        target = to_version if to_version is not None else previous_champion(session, spec.system)
        if target is None:
            raise RollbackError(f"{spec.system}: champion v{current} has no predecessor; give --to VERSION")
        if session.query(ModelVersion.id).filter_by(system=spec.system, version=target).scalar() is None:
            raise RollbackError(f"{spec.system} has no model version {target}")
        if target == current:
            raise RollbackError(f"{spec.system}: v{target} is already the champion")
    return current, target


def _blocks(spec: RunbookSpec, current: int, target: int) -> tuple[str, list[dict[str, Any]]]:
    with open_store().session() as session:
        rows = {v.version: v for v in session.query(ModelVersion).filter_by(system=spec.system)
                .filter(ModelVersion.version.in_([current, target]))}

    def describe(version: int) -> str:
        record = rows[version]
        trained = (f"trained on {record.training_start:%Y-%m-%d}..{record.training_end:%Y-%m-%d}"
                   if record.training_start and record.training_end else record.artifact_uri)
        return f"v{version}: {trained}" + (f", pr_auc {record.metrics['pr_auc']}" if "pr_auc" in record.metrics else "")

    text = f"{spec.system}: roll the champion back from v{current} to v{target}?"
    return text, [
        {"type": "header", "text": {"type": "plain_text", "text": f"Roll back {spec.system} to model v{target}?"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"Now serving {describe(current)}\n"
                                                                f"Would serve {describe(target)}"}},
    ]


@task(**CACHED)
def request_rollback(spec: RunbookSpec, current: int, target: int, timeout_seconds: float) -> str:
    """Run by hand (``steward rollback``), someone waits at the terminal: when Slack cannot take the question,
    the rollback ends at once with one line, nothing asked or left pending, instead of waiting unseen."""
    text, blocks = _blocks(spec, current, target)
    return ask(spec.owner, system=spec.system, action="rollback", text=text, blocks=blocks,
               timeout=timedelta(seconds=timeout_seconds), flow_run_id=str(flow_run.id),
               payload={"version": target, "previous": current}, fail_fast=deployment.id is None)


def _run_name() -> str:
    return f"rollback/{flow_run.parameters['system']}"


@flow(name="model-rollback", flow_run_name=_run_name)
def model_rollback(system: str, to_version: int | None = None, runbooks: str | None = None,
                   approval_timeout_seconds: float | None = None) -> State:
    """Ask the owner, then point ``champion`` back at ``to_version`` (default: the previous champion)."""
    spec = load_catalog(Path(runbooks) if runbooks else None).get(system)
    current, target = rollback_target(spec, to_version)
    section = spec.refresh or spec.evaluation
    hours = section.approval_timeout_hours if section else 24
    timeout = approval_timeout_seconds or hours * 3600
    request_id = request_rollback(spec, current, target, timeout)
    decision = await_decision(request_id, suspend=deployment.id is not None,
                              poll_seconds=min(5.0, max(1.0, timeout / 30)))
    outcome = {ApprovalState.approved: "Rolled back", ApprovalState.rejected: "Rejected",
               ApprovalState.expired: "Expired"}[decision.state]
    if decision.state == ApprovalState.approved:
        with open_store().session() as session:
            set_alias(session, system=system, alias="champion", version=target, actor=decision.decided_by or "?",
                      reason=f"rollback from v{current}", approval_id=request_id)
    result = RollbackResult(system=system, from_version=current, to_version=target, outcome=outcome,
                            decided_by=decision.decided_by, approval_id=request_id)
    get_run_logger().info("%s rollback v%s -> v%s: %s", system, current, target, outcome)
    return Completed(name=outcome, data=result)
