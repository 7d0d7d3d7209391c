"""``steward up``: a local Prefect server with its UI, the ops store, every deployment served, the receiver.

The Prefect server keeps its database under ``$STEWARD_HOME/prefect`` (or uses
``STEWARD_PREFECT_DB_URL``, e.g. PostgreSQL), so stopping and restarting loses
no run history, schedule or pending approval. Ctrl-C stops everything it started;
a server that was already answering on the port is reused and left running.
Once ready, it records the server in ``$STEWARD_HOME/up.json`` (removed on
shutdown), so ``steward run --deployment`` finds it with nothing exported.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from deployments.plan import DeploymentPlan
from deployments.server_record import RECORD, ServerRecord, recorded_server
from tasks.core.errors import StewardError
from tasks.store.database import redact, steward_home

if TYPE_CHECKING:
    from runbooks.loader import Catalog


class ServerStartFailed(StewardError):
    """The local Prefect server did not become healthy; the message points at its log."""


def healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as reply:  # noqa: S310 - loopback only
            return reply.status == 200
    except OSError:
        return False


def server_env(home: Path, api: str) -> dict[str, str]:
    """The server keeps its state under Steward's home; its UI must call back on the port it serves."""
    env = {**os.environ, "PREFECT_HOME": str(home / "prefect"), "DO_NOT_TRACK": "1",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "true", "PREFECT_UI_API_URL": api}
    env.pop("PREFECT_API_URL", None)
    if db_url := os.environ.get("STEWARD_PREFECT_DB_URL"):
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = db_url
    return env


def start_server(host: str, port: int, home: Path, say: Callable[[str], None], timeout: float = 120) -> subprocess.Popen[bytes]:
    """Start ``prefect server start`` and wait until its API answers; its output goes to a log file."""
    log_path = home / "prefect-server.log"
    log = log_path.open("ab")
    api = f"http://{host}:{port}/api"
    env = server_env(home, api)
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while not healthy(api):
        if server.poll() is not None or time.monotonic() > deadline:
            stop_server(server)
            raise ServerStartFailed(f"the Prefect server did not start on {host}:{port}; see {log_path}")
        time.sleep(0.5)
    database = env.get("PREFECT_API_DATABASE_CONNECTION_URL")
    say(f"Prefect server and UI: http://{host}:{port} (database {redact(database) if database else home / 'prefect'};"
        f" log {log_path})")
    return server


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def use_api_everywhere(api: str) -> None:
    """Make ``api`` the Prefect API of this whole process: every thread (the receiver's, the sweeper's)
    and every flow-run process. Prefect reads its settings once, when first imported, and a
    ``temporary_settings`` context is invisible to other threads, so the environment is set before that."""
    os.environ["PREFECT_API_URL"] = api
    if "prefect" in sys.modules:
        from prefect.settings import PREFECT_API_URL

        if PREFECT_API_URL.value() != api:
            raise RuntimeError("Prefect was imported before steward up chose its API URL")


def run_up(plans: list[DeploymentPlan], host: str, port: int, limit: int, receiver_port: int,
           say: Callable[[str], None], catalog: Catalog | None = None) -> None:
    """Start what is missing, serve until interrupted, then stop what this call started."""
    signal.signal(signal.SIGTERM, _interrupt)  # a service manager's stop is a Ctrl-C
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in the background
    home = steward_home()
    api = f"http://{host}:{port}/api"
    use_api_everywhere(api)
    from deployments.serve import Served, serve_plans
    from tasks.store.database import open_store

    server = None
    if healthy(api):
        say(f"reusing the Prefect server already answering at http://{host}:{port}")
    else:
        server = start_server(host, port, home, say)
    record = home / RECORD

    def ready(served: Served) -> None:
        record.write_text(ServerRecord(api_url=api, pid=os.getpid(), receiver_url=served.receiver_url,
                                       reports_url=served.reports_url).model_dump_json())

    try:
        store = open_store()
        say(f"ops store: {store.url and redact(store.url)}")
        say(f"registering {len(plans)} deployment(s): " + ", ".join(p.full_name for p in plans))
        serve_plans(plans, limit=limit, receiver_port=receiver_port, say=say, on_ready=ready, catalog=catalog)
    finally:
        if (mine := recorded_server(home)) and mine.pid == os.getpid():
            record.unlink()
        if server is not None:
            say("stopping the Prefect server")
            stop_server(server)
