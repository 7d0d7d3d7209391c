"""Open the ops store: resolve its URL, connect, and bring the schema to head.

SQLite under ``$STEWARD_HOME`` is the embedded default; production sets
``STEWARD_STORE_URL`` (an environment variable) or ``STEWARD_STORE_URL_BLOCK``
(the name of a Prefect Secret block holding the URL). The URL may hold a
password, so it is only ever shown through ``redact``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tasks.core.errors import StewardError, Unavailable

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class StoreUnavailable(Unavailable):
    """The ops store cannot be reached or opened; the message is safe to show."""


class SecretUnavailable(StewardError):
    """A Prefect Secret block named in the environment cannot be read; the message is safe to show."""


def steward_home() -> Path:
    """Where Steward keeps local state: ``$STEWARD_HOME`` or ``./.steward``."""
    home = Path(os.environ.get("STEWARD_HOME") or ".steward").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def secret_from_block(block_name: str) -> str:
    """Read a Prefect Secret block; imported lazily because Prefect is slow to import."""
    from prefect.blocks.system import Secret

    try:
        return str(Secret.load(block_name).get())
    except Exception as exc:  # noqa: BLE001 - Prefect raises several types for a missing block or API
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SecretUnavailable(f"cannot load Prefect Secret block {block_name!r}: {reason}") from None


def store_url() -> str:
    if url := os.environ.get("STEWARD_STORE_URL"):
        return url
    if block := os.environ.get("STEWARD_STORE_URL_BLOCK"):
        return secret_from_block(block)
    return f"sqlite:///{steward_home() / 'steward.db'}"


def _tune_sqlite(engine: Engine) -> None:
    """WAL and a busy timeout let flow tasks in threads and the CLI share one file."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreUnavailable(f"ops store URL is not a SQLAlchemy URL: {redact(url)}") from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    connect_args = {"connect_timeout": 10} if parsed.get_backend_name() == "postgresql" else {}
    engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    return engine


def upgrade(engine: Engine) -> None:
    """Apply every pending alembic migration (alembic imported here: reading a log needs none of its ~0.3 s)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Store:
    """A migrated ops store: hand out sessions that commit on success."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        try:
            upgrade(self.engine)
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise StoreUnavailable(f"ops store {redact(url)} is unreachable: {reason}") from None
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def __repr__(self) -> str:
        return f"Store({redact(self.url)!r})"


@cache
def _open(url: str) -> Store:
    return Store(url)


def open_store(url: str | None = None) -> Store:
    """The process-wide store for ``url`` (default: ``store_url()``), migrated once."""
    return _open(url or store_url())
