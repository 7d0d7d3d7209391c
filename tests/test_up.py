"""``steward up`` as an operator runs it: a real Prefect server and UI, served deployments, a restart.

One ``steward up`` process per module (a real ``prefect server start`` on a free
loopback port); the CLI talks to it as a user's shell would. The browser check
loads the real UI in Debian's headless Chromium and keeps a screenshot.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import REPO
from deployments.up import healthy

WINDOW = "2026-11-20"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = REPO / ".test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api_post(api: str, path: str, body: dict) -> list | dict:
    request = urllib.request.Request(f"{api}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


class Up:
    """A running ``steward up`` with its home folder, and the CLI pointed at it."""

    def __init__(self, home: Path, port: int):
        self.home, self.port = home, port
        self.api = f"http://127.0.0.1:{port}/api"
        self.process: subprocess.Popen[str] | None = None

    def env(self) -> dict[str, str]:
        env = {**os.environ, "STEWARD_HOME": str(self.home), "COLUMNS": "200", "PREFECT_API_URL": self.api}
        for name in ("STEWARD_SLACK_BOT_TOKEN", "STEWARD_SLACK_API_URL", "STEWARD_STORE_URL"):
            env.pop(name, None)
        return env

    def start(self) -> None:
        env = {k: v for k, v in self.env().items() if k != "PREFECT_API_URL"}
        self.log = (self.home / "up.log").open("a")
        self.process = subprocess.Popen([sys.executable, "-m", "deployments.cli", "up", "--port", str(self.port)],
                                        cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT, text=True)
        from deployments.plan import plan_deployments
        from runbooks.loader import load_catalog

        planned = {p.full_name for p in plan_deployments(load_catalog(REPO / "runbooks"))}
        deadline = time.monotonic() + 150
        while not planned <= set(self.deployments()):
            assert self.process.poll() is None, (self.home / "up.log").read_text()
            assert time.monotonic() < deadline, "steward up did not serve its deployments in time"
            time.sleep(1)

    def deployments(self) -> dict[str, dict]:
        if not healthy(self.api):
            return {}
        flows = {f["id"]: f["name"] for f in api_post(self.api, "/flows/filter", {})}
        return {f"{flows[d['flow_id']]}/{d['name']}": d for d in api_post(self.api, "/deployments/filter", {})}

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=60)
        self.log.close()
        return code

    def steward(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "deployments.cli", *args], capture_output=True, text=True,
                              cwd=REPO, env=self.env(), timeout=300)


@pytest.fixture(scope="module")
def up(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    home = tmp_path_factory.mktemp("up-home")
    shutil.copy(demo_db, home / "demo.db")
    running = Up(home, free_port())
    running.start()
    yield running
    if running.process and running.process.poll() is None:
        running.stop()


def test_up_serves_one_deployment_per_duty_and_system_with_runbook_schedules(up: Up) -> None:
    served = up.deployments()
    assert {"drift-check/fraud-scoring", "drift-check/support-assistant", "outcome-review/fraud-scoring",
            "cost-review/support-assistant", "compliance-audit/fraud-scoring", "model-refresh/fraud-scoring"} <= set(served)
    assert served["model-refresh/fraud-scoring"]["schedules"] == []  # refresh is triggered, not scheduled
    [schedule] = served["drift-check/fraud-scoring"]["schedules"]
    assert (schedule["schedule"]["cron"], schedule["schedule"]["timezone"], schedule["active"]) == ("0 2 * * *", "UTC", True)


def test_run_through_deployment_completes_and_shows_in_status(up: Up) -> None:
    result = up.steward("run", "drift", "fraud-scoring", "--deployment", "--window", WINDOW, "--format", "json")
    assert result.returncode == 1, result.stderr  # the demo's drift incident is live on that night
    run = json.loads(result.stdout)
    assert run["state"] == "COMPLETED" and run["deployment"] == "drift-check/fraud-scoring"
    assert run["url"] == f"http://127.0.0.1:{up.port}/runs/flow-run/{run['flow_run_id']}"
    assert "device_trust_score" in run["result"]["headline"]
    status = json.loads(up.steward("status", "--format", "json").stdout)["fraud-scoring"]
    assert status["duties"]["drift"]["window"] == WINDOW
    assert status["triggers"]["drift"]["prefect"] == "prefect deployment run 'drift-check/fraud-scoring'"
    up.flow_run_id = run["flow_run_id"]


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; CI requires the browser test", pytrace=False)
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return found


def browse(up: Up, path: str, *, screenshot: Path | None = None) -> str:
    profile = up.home / f"chromium-{time.monotonic_ns()}"
    url = f"http://127.0.0.1:{up.port}{path}"
    mode = [f"--screenshot={screenshot}", "--window-size=1400,900"] if screenshot else ["--dump-dom"]
    result = subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=30000",
                             *mode, url], capture_output=True, text=True, timeout=120)
    return result.stdout


def rendered(up: Up, path: str, *texts: str, tries: int = 4) -> str:
    """The page's DOM once the single-page app has fetched and shown ``texts`` (it loads data asynchronously)."""
    for _ in range(tries):
        page = browse(up, path)
        if all(t in page for t in texts):
            return page
        time.sleep(2)
    missing = [t for t in texts if t not in page]
    pytest.fail(f"{path} never showed {missing}")


def test_prefect_ui_shows_the_deployments_and_the_run_with_its_artifact(up: Up) -> None:
    rendered(up, "/deployments", "drift-check", "fraud-scoring", "support-assistant")
    run_id = getattr(up, "flow_run_id", None)
    assert run_id, "needs the run created by the previous test"
    rendered(up, f"/runs/flow-run/{run_id}", "drift/fraud-scoring/2026-11-20", "Completed")
    rendered(up, "/artifacts/key/drift-fraud-scoring", "drift-fraud-scoring", "monitored columns drifted")
    SCREENSHOTS.mkdir(exist_ok=True)
    shot = SCREENSHOTS / "prefect-ui-steward-run.png"
    shot.unlink(missing_ok=True)
    browse(up, f"/runs/flow-run/{run_id}", screenshot=shot)
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"screenshot of the Prefect UI: {shot}")


def test_restart_loses_no_schedule_alert_or_pending_approval(up: Up) -> None:
    from tasks.store.approvals import request_approval
    from tasks.store.database import Store
    from tasks.store.models import Alert, ApprovalRequest

    store = Store(f"sqlite:///{up.home / 'steward.db'}")
    with store.session() as session:
        pending = request_approval(session, system="fraud-scoring", action="promote", summary="v2 over v1",
                                   approvers=["U04DANA0001", "U04LUIS0002"]).id
        open_alerts = {a.id for a in session.query(Alert).filter(Alert.state == "open")}
    assert open_alerts, "the drift run should have opened an alert"

    assert up.stop() == 0
    assert not healthy(up.api), "Ctrl-C must stop the Prefect server it started"
    up.start()

    served = up.deployments()
    assert all(s["active"] for s in served["drift-check/fraud-scoring"]["schedules"])
    assert not served["drift-check/fraud-scoring"].get("paused")
    run = json.loads(urllib.request.urlopen(f"{up.api}/flow_runs/{up.flow_run_id}", timeout=10).read())
    assert run["state_type"] == "COMPLETED"
    with store.session() as session:
        assert session.get_one(ApprovalRequest, pending).state == "pending"
        assert {a.id for a in session.query(Alert).filter(Alert.state == "open")} == open_alerts


def test_prefect_server_runs_on_postgresql(postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Production keeps Prefect's own state in PostgreSQL: STEWARD_PREFECT_DB_URL reaches the server."""
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.engine import make_url

    from deployments.up import start_server, stop_server

    async_url = make_url(postgres_url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    monkeypatch.setenv("STEWARD_PREFECT_DB_URL", async_url)
    said: list[str] = []
    port = free_port()
    server = start_server("127.0.0.1", port, tmp_path, said.append)
    try:
        api = f"http://127.0.0.1:{port}/api"
        flow = api_post(api, "/flows/", {"name": "steward-on-postgres"})
        assert api_post(api, "/flows/filter", {})[0]["id"] == flow["id"]
    finally:
        stop_server(server)
    engine = create_engine(postgres_url)
    try:
        assert {"flow", "flow_run", "deployment"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert "postgresql+asyncpg://postgres@127.0.0.1" in said[0]
