"""Model registry: versions, the champion/challenger aliases, and which version served when.

Each change is mirrored to MLflow after its transaction commits, when configured (``tasks.store.mlflow``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasks.store.audit import append_audit
from tasks.store.mlflow import mirror_after_commit
from tasks.store.models import AliasChange, ModelAlias, ModelVersion, utcnow


def register_version(
    session: Session,
    *,
    system: str,
    artifact_uri: str,
    metrics: dict[str, Any],
    training_start: datetime | None = None,
    training_end: datetime | None = None,
    data_fingerprint: str | None = None,
    code_version: str | None = None,
) -> ModelVersion:
    latest = session.scalar(select(func.max(ModelVersion.version)).where(ModelVersion.system == system))
    version = ModelVersion(
        system=system,
        version=(latest or 0) + 1,
        artifact_uri=artifact_uri,
        metrics=metrics,
        training_start=training_start,
        training_end=training_end,
        data_fingerprint=data_fingerprint,
        code_version=code_version,
    )
    session.add(version)
    session.flush()
    mirror_after_commit(session, system)
    return version


def record_metrics(session: Session, system: str, version: int, metrics: dict[str, Any]) -> ModelVersion:
    """Add evaluation results to a version (e.g. its gate metrics); mirrored like every registry change."""
    record = session.scalars(select(ModelVersion).where(ModelVersion.system == system,
                                                        ModelVersion.version == version)).one()
    record.metrics = {**record.metrics, **metrics}
    session.flush()
    mirror_after_commit(session, system)
    return record


def set_alias(
    session: Session,
    *,
    system: str,
    alias: str,
    version: int,
    actor: str,
    reason: str | None = None,
    approval_id: str | None = None,
) -> AliasChange:
    """Point ``alias`` at ``version``; the switch, its history row and audit entry share one transaction."""
    if session.scalar(select(ModelVersion.id).where(ModelVersion.system == system, ModelVersion.version == version)) is None:
        raise LookupError(f"{system} has no model version {version}")
    current = session.get(ModelAlias, (system, alias), with_for_update=True)
    previous = current.version if current else None
    if current is None:
        session.add(ModelAlias(system=system, alias=alias, version=version))
    else:
        current.version, current.updated_at = version, utcnow()
    change = AliasChange(system=system, alias=alias, version=version, previous_version=previous,
                         actor=actor, reason=reason, approval_id=approval_id)
    session.add(change)
    append_audit(session, actor=actor, action=f"alias.{alias}", system=system,
                 details={"version": version, "previous_version": previous, "reason": reason, "approval_id": approval_id})
    session.flush()
    mirror_after_commit(session, system)
    return change


def alias_version(session: Session, system: str, alias: str) -> int | None:
    row = session.get(ModelAlias, (system, alias))
    return row.version if row else None


def versions(session: Session, system: str) -> list[ModelVersion]:
    return list(session.scalars(select(ModelVersion).where(ModelVersion.system == system).order_by(ModelVersion.version)))


def alias_history(session: Session, system: str) -> list[AliasChange]:
    return list(session.scalars(select(AliasChange).where(AliasChange.system == system).order_by(AliasChange.id)))


def previous_champion(session: Session, system: str) -> int | None:
    """The version that served before the current champion: the default rollback target."""
    last = session.scalars(select(AliasChange).where(AliasChange.system == system, AliasChange.alias == "champion")
                           .order_by(AliasChange.id.desc()).limit(1)).first()
    return last.previous_version if last else None


def approved_prompts(session: Session, system: str) -> list[str]:
    """Prompt versions of every prompt/model configuration the owner approved as champion (adopted or
    rolled back to): approved policy for the compliance audit, beside the runbook's own list."""
    approved = session.scalars(select(AliasChange.version).where(
        AliasChange.system == system, AliasChange.alias == "champion", AliasChange.approval_id.is_not(None)))
    configs = session.scalars(select(ModelVersion.metrics).where(ModelVersion.system == system,
                                                                 ModelVersion.version.in_(set(approved))))
    prompts = []
    for metrics in configs:
        config = metrics.get("config") or {}
        prompts += [config.get("prompt"), *(r.get("prompt") for r in (config.get("routes") or {}).values())]
    return sorted({p for p in prompts if p})
