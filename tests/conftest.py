"""Shared fixtures: a real Prefect API (one per session), SQLite and PostgreSQL stores, a fake Slack."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(proxy, None)  # loopback traffic must never go through a proxy
os.environ["NO_PROXY"] = "127.0.0.1,localhost"

REPO = Path(__file__).resolve().parent.parent

# Property tests replay the same examples on every run, so CI never turns red on a new random draw.
from hypothesis import settings  # noqa: E402

settings.register_profile("steward", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "steward"))
PG_ADMIN_URL = os.environ.get("STEWARD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own Steward home and no ambient Slack or store configuration."""
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    for name in ("STEWARD_STORE_URL", "STEWARD_STORE_URL_BLOCK", "STEWARD_SLACK_BOT_TOKEN", "STEWARD_SLACK_API_URL",
                 "STEWARD_SLACK_BLOCK", "STEWARD_SLACK_TOKEN_BLOCK", "STEWARD_RUNBOOKS", "STEWARD_PLAYBOOK_BASE_URL",
                 "STEWARD_SLACK_SIGNING_SECRET", "STEWARD_MLFLOW_TRACKING_URI", "STEWARD_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "home"


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """A reachable PostgreSQL server, or a skip (a failure when CI is set: CI must test it)."""
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 5})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no server"
        reason = f"PostgreSQL not reachable at {PG_ADMIN_URL} ({type(exc).__name__})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI requires the PostgreSQL tests", pytrace=False)
        pytest.skip(f"{reason}; set STEWARD_TEST_PG_URL to run these tests")
    return PG_ADMIN_URL


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"steward_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    from tasks.store import database

    database._open.cache_clear()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ops.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def fake_slack():
    from tasks.slack.fake import running_fake_slack

    with running_fake_slack() as fake:
        yield fake


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """One real Prefect server for the session; yields its API URL for subprocesses too."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield str(PREFECT_API_URL.value())


DEMO_END = __import__("datetime").date(2026, 11, 21)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Simulated logs at a fifth of the demo's traffic, written once per session."""
    from deployments.demo.simulator import write_demo_database

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    write_demo_database(f"sqlite:///{path}", end=DEMO_END, days=90, scale=0.2)
    return path


@pytest.fixture
def demo_home(demo_db: Path, _isolated_home: Path) -> Path:
    """A Steward home holding a copy of the simulated logs, as after ``steward demo``."""
    import shutil

    _isolated_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo_db, _isolated_home / "demo.db")
    return _isolated_home


def edited_runbooks(folder: Path, system: str, old: str, new: str) -> Path:
    """A copy of the shipped runbooks under ``folder`` with one text edit in ``system``'s spec."""
    import shutil

    target = folder / "runbooks"
    shutil.copytree(REPO / "runbooks", target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    spec = target / "systems" / f"{system}.yaml"
    text = spec.read_text()
    assert old in text, f"{old!r} is not in {spec.name}"
    spec.write_text(text.replace(old, new))
    return target
