"""Mirror the ops-store model registry to an MLflow Model Registry when one is configured.

The ops store stays the source of truth. Set ``STEWARD_MLFLOW_TRACKING_URI``
(any MLflow tracking URI: ``http://mlflow:5000``, ``sqlite:///mlflow.db``, ...)
and every commit that registers a version or switches an alias is followed by
a reconcile of that system into the registered model ``steward-<system>``:
one MLflow version per Steward version (source = its artifact URI, tags = its
metrics, training window, data fingerprint and code version) and the
``champion``/``challenger`` aliases pointing where the ops store says.

The mirror runs after the commit and swallows its own failures: an unreachable
MLflow is logged and the promotion stands. Because it reconciles the whole
system rather than replaying one event, the next registry change catches
MLflow up with everything it missed.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pydantic import BaseModel
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from tasks.core.errors import ConfigError
from tasks.store.models import ModelAlias, ModelVersion

if TYPE_CHECKING:
    from mlflow import MlflowClient

TRACKING_URI_ENV = "STEWARD_MLFLOW_TRACKING_URI"
VERSION_TAG = "steward.version"
# Steward runs offline and inside promotions: no telemetry, and a dead server fails in seconds, not minutes.
MLFLOW_DEFAULTS = {"MLFLOW_DISABLE_TELEMETRY": "true", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
                   "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}
_PENDING = "steward.mlflow_pending"

log = logging.getLogger("steward.mlflow")


class MirroredVersion(BaseModel):
    version: int
    source: str
    tags: dict[str, str]


class RegistrySnapshot(BaseModel):
    """One system's registry as the ops store has it: what MLflow should show."""

    system: str
    versions: list[MirroredVersion]
    aliases: dict[str, int]

    @property
    def model_name(self) -> str:
        return f"steward-{self.system}"


def tracking_uri() -> str | None:
    return os.environ.get(TRACKING_URI_ENV) or None


def version_tags(record: ModelVersion) -> dict[str, str]:
    """A version's lineage as MLflow tags (MLflow tags are strings; empty fields are left out)."""
    tags = {VERSION_TAG: str(record.version)}
    tags |= {f"steward.metric.{name}": str(value) for name, value in sorted(record.metrics.items())}
    fields = {"training_start": record.training_start, "training_end": record.training_end,
              "data_fingerprint": record.data_fingerprint, "code_version": record.code_version}
    tags |= {f"steward.{name}": value.isoformat() if hasattr(value, "isoformat") else str(value)
             for name, value in fields.items() if value}
    return tags


def snapshot(session: Session, system: str) -> RegistrySnapshot:
    records = session.scalars(select(ModelVersion).where(ModelVersion.system == system).order_by(ModelVersion.version))
    aliases = session.scalars(select(ModelAlias).where(ModelAlias.system == system))
    return RegistrySnapshot(
        system=system,
        versions=[MirroredVersion(version=r.version, source=r.artifact_uri, tags=version_tags(r)) for r in records],
        aliases={a.alias: a.version for a in aliases},
    )


def mlflow_client(uri: str) -> MlflowClient:
    for name, value in MLFLOW_DEFAULTS.items():
        os.environ.setdefault(name, value)
    try:
        from mlflow import MlflowClient  # slow to import, so only when configured
    except ImportError:
        raise ConfigError(f"{TRACKING_URI_ENV} is set but MLflow is not installed: pip install 'steward[mlflow]'") from None

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def push(client: MlflowClient, wanted: RegistrySnapshot) -> None:
    """Make MLflow's registered model match ``wanted``: add missing versions, refresh tags, move aliases."""
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST, ErrorCode

    name = wanted.model_name
    try:
        model = client.get_registered_model(name)
    except MlflowException as exc:
        if exc.error_code != ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):
            raise
        model = client.create_registered_model(name, description=f"Mirrored by Steward from its ops store ({wanted.system}).")
    mirrored = {int(v.tags[VERSION_TAG]): v for v in client.search_model_versions(f"name='{name}'")
                if VERSION_TAG in v.tags}
    numbers: dict[int, str] = {}
    for version in wanted.versions:
        existing = mirrored.get(version.version)
        if existing is None:
            created = client.create_model_version(name, source=version.source, tags=version.tags,
                                                  await_creation_for=0)
            numbers[version.version] = created.version
            continue
        numbers[version.version] = existing.version
        for key, value in version.tags.items():
            if existing.tags.get(key) != value:
                client.set_model_version_tag(name, existing.version, key, value)
    for alias, version in sorted(wanted.aliases.items()):
        if version in numbers and str(model.aliases.get(alias)) != str(numbers[version]):
            client.set_registered_model_alias(name, alias, numbers[version])


def mirror(session: Session, system: str) -> None:
    """Reconcile ``system`` into MLflow if configured; a failure is a warning, never an exception."""
    if (uri := tracking_uri()) is None:
        return
    try:
        push(mlflow_client(uri), snapshot(session, system))
    except Exception as exc:  # noqa: BLE001 - whatever MLflow raises, the ops store has already committed
        reason = _without_password((str(exc).strip().splitlines() or [type(exc).__name__])[0], uri)
        log.warning("MLflow mirror of %s failed; the ops-store change stands and the next registry change retries: %s",
                    system, reason)


def _without_password(text: str, uri: str) -> str:
    """MLflow's errors quote the tracking URI, credentials included."""
    password = urlsplit(uri).password
    return text.replace(password, "***") if password else text


def mirror_after_commit(session: Session, system: str) -> None:
    """Mirror ``system`` once ``session``'s transaction commits; nothing is mirrored if it rolls back."""
    if tracking_uri() is None:
        return
    if _PENDING not in session.info:
        session.info[_PENDING] = set()
        event.listen(session, "after_commit", _mirror_pending)
        event.listen(session, "after_rollback", lambda s: s.info[_PENDING].clear())
    session.info[_PENDING].add(system)


def _mirror_pending(session: Session) -> None:
    """Read the committed registry in a fresh session: the committing one may not emit SQL here."""
    systems, session.info[_PENDING] = session.info[_PENDING], set()
    if systems:
        with Session(session.get_bind()) as reader:
            for system in sorted(systems):
                mirror(reader, system)

