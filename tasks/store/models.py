"""Steward's own ops store: what every duty found, alerted, asked and changed.

The schema is owned by the alembic migrations beside this module; these
models must match them (``tests/store/test_store.py`` checks there is no drift).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, TypeDecorator, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tasks.core.status import AlertState, ApprovalState, CheckStatus, Delivery  # noqa: F401 - re-exported

JsonType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Steward stores UTC-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JsonType, list[Any]: JsonType}



class CheckResult(Base):
    """One duty's verdict on one window of one system; re-running replaces it."""

    __tablename__ = "check_results"
    __table_args__ = (UniqueConstraint("system", "duty", "window_start", "window_end", name="uq_check_window"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(64))
    duty: Mapped[str] = mapped_column(String(32))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    headline: Mapped[str] = mapped_column(Text)
    findings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    report_path: Mapped[str | None] = mapped_column(Text)
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    runs: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(Base):
    """A finding the owner must see. One row per incident: repeats update it, recovery resolves it."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index(
            "uq_alert_open_incident",
            "system",
            "duty",
            "key",
            unique=True,
            sqlite_where=text("state != 'resolved'"),
            postgresql_where=text("state != 'resolved'"),
        ),
        Index("ix_alerts_system_state", "system", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(64))
    duty: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), default=AlertState.open)
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    playbook: Mapped[str] = mapped_column(Text)
    destination: Mapped[str] = mapped_column(String(64))
    delivery: Mapped[str] = mapped_column(String(16), default=Delivery.pending)
    delivery_error: Mapped[str | None] = mapped_column(Text)
    slack_channel: Mapped[str | None] = mapped_column(String(64))
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None]
    snoozed_until: Mapped[datetime | None]  # silent (no escalation) until then
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)  # 0 responders, 1 backup, 2 owner


class AlertEvent(Base):
    """One step of an alert's timeline: opened, updated, noted, escalated, acknowledged, snoozed, resolved."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class ApprovalRequest(Base):
    """A consequential change waiting for the accountable owner; the first decision wins."""

    __tablename__ = "approval_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    system: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    approvers: Mapped[list[Any]] = mapped_column(default=list)
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=ApprovalState.pending)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    slack_channel: Mapped[str | None] = mapped_column(String(64))
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    reminded_at: Mapped[datetime | None]
    announced_at: Mapped[datetime | None]  # when the Slack message was updated to show the outcome


class ModelVersion(Base):
    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("system", "version", name="uq_model_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    artifact_uri: Mapped[str] = mapped_column(Text)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    training_start: Mapped[datetime | None]
    training_end: Mapped[datetime | None]
    data_fingerprint: Mapped[str | None] = mapped_column(String(64))
    code_version: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModelAlias(Base):
    __tablename__ = "model_aliases"

    system: Mapped[str] = mapped_column(String(64), primary_key=True)
    alias: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AliasChange(Base):
    """Which version served under an alias, from when: the answer to 'what was live on day X?'."""

    __tablename__ = "alias_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(64), index=True)
    alias: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    previous_version: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    approval_id: Mapped[str | None] = mapped_column(String(36))


class AuditEntry(Base):
    """Append-only, hash-chained record of consequential actions (a trigger forbids edits)."""

    __tablename__ = "audit_trail"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    system: Mapped[str | None] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class ReferenceProfile(Base):
    """A versioned drift baseline: the profile every later window is binned against."""

    __tablename__ = "reference_profiles"
    __table_args__ = (UniqueConstraint("system", "version", name="uq_reference_profile_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    rows: Mapped[int] = mapped_column(Integer)
    rows_by_weekday: Mapped[dict[str, Any]] = mapped_column(default=dict)
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RefreshRequest(Base):
    """A refresh asked for by a sustained SLA breach: the deployment run it started, or a recommendation."""

    __tablename__ = "refresh_requests"
    __table_args__ = (UniqueConstraint("system", "window_start", "window_end", name="uq_refresh_request_window"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(64), index=True)
    duty: Mapped[str] = mapped_column(String(32))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(32))  # deployment_started | recommended
    deployment: Mapped[str | None] = mapped_column(String(200))
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    breaches: Mapped[list[Any]] = mapped_column(default=list)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)


class GoldenExample(Base):
    """A real, labelled decision kept aside to judge every model version on the same cases."""

    __tablename__ = "golden_examples"
    __table_args__ = (UniqueConstraint("system", "request_id", name="uq_golden_example"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(String(128))
    ts: Mapped[datetime]
    label: Mapped[int] = mapped_column(Integer)
    row: Mapped[dict[str, Any]] = mapped_column(default=dict)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class GoldenInteraction(Base):
    """One logged LLM interaction kept for change reviews, PII masked, in golden-set versions
    ``since_version`` (inclusive) to ``until_version`` (exclusive; None while it is in the current set)."""

    __tablename__ = "golden_interactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(64), index=True)
    request_id: Mapped[str] = mapped_column(String(128))
    ts: Mapped[datetime]
    route: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # resolved | escalated | failed
    input_text: Mapped[str] = mapped_column(Text)
    reference: Mapped[str] = mapped_column(Text)
    since_version: Mapped[int] = mapped_column(Integer)
    until_version: Mapped[int | None] = mapped_column(Integer)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class LogSeal(Base):
    """A day of one log (the decision log, or Steward's audit trail), hashed and chained to the seal before."""

    __tablename__ = "log_seals"
    __table_args__ = (
        UniqueConstraint("system", "log", "day", name="uq_log_seal_day"),
        UniqueConstraint("hash", name="uq_log_seal_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(64))
    log: Mapped[str] = mapped_column(String(16))
    day: Mapped[date]
    rows: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(default=utcnow)
    purged_by: Mapped[str | None] = mapped_column(String(36))
