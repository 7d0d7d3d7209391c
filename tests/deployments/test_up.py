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
import yaml

from browser_support import chromium
from conftest import REPO
from deployments.up import healthy
from tasks.slack.fake import FakeSlack, running_fake_slack

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


SECRET = "up-signing-secret"
OWNER = "U04DANA0001"
HOLDOUT = "2026-11-01..2026-11-07"  # labels matured by the demo data's last day


class Up:
    """A running ``steward up`` with its home folder, the fake Slack as its workspace, and the CLI as a
    user's shell runs it: PREFECT_API_URL is exported nowhere, neither for ``up`` nor for the CLI."""

    def __init__(self, home: Path, port: int, slack: FakeSlack, runbooks: Path):
        self.home, self.port, self.slack, self.runbooks = home, port, slack, runbooks
        self.api = f"http://127.0.0.1:{port}/api"
        self.receiver_port = free_port()
        self.reports_url = f"http://127.0.0.1:{self.receiver_port}"  # the report server beside the receiver
        self.receiver_url = f"{self.reports_url}/slack/events"
        self.process: subprocess.Popen[str] | None = None

    def env(self) -> dict[str, str]:
        env = {**os.environ, "STEWARD_HOME": str(self.home), "COLUMNS": "200", "STEWARD_RUNBOOKS": str(self.runbooks),
               "STEWARD_SLACK_BOT_TOKEN": self.slack.token, "STEWARD_SLACK_API_URL": self.slack.api_url,
               "STEWARD_SLACK_SIGNING_SECRET": SECRET}
        for name in ("PREFECT_API_URL", "PREFECT_UI_URL", "STEWARD_STORE_URL", "STEWARD_PUBLIC_URL"):
            env.pop(name, None)
        return env

    def start(self) -> None:
        """Start ``steward up`` and wait for its ready line, which must mean what it says."""
        self.log_path = self.home / "up.log"
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self.log = self.log_path.open("a")
        self.process = subprocess.Popen([sys.executable, "-m", "deployments.cli", "up", "--port", str(self.port),
                                         "--receiver-port", str(self.receiver_port)],
                                        cwd=REPO, env=self.env(), stdout=self.log, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 150
        while b"ready: " not in self.log_path.read_bytes()[offset:]:
            assert self.process.poll() is None, self.log_path.read_text()
            assert time.monotonic() < deadline, "steward up never said it was ready"
            time.sleep(0.2)
        from deployments.plan import plan_deployments
        from runbooks.loader import load_catalog

        planned = {p.full_name for p in plan_deployments(load_catalog(self.runbooks))}
        assert planned <= set(self.deployments()), "ready before every deployment was registered"
        with urllib.request.urlopen(self.receiver_url.removesuffix("/slack/events") + "/health", timeout=2) as reply:
            assert reply.status == 200, "ready before the receiver answered"
        record = json.loads((self.home / "up.json").read_text())
        assert record["api_url"] == self.api and record["pid"] == self.process.pid
        assert record["receiver_url"] == self.receiver_url and record["reports_url"] == self.reports_url
        with urllib.request.urlopen(f"{self.reports_url}/", timeout=5) as reply:
            assert reply.status == 200 and b"Steward reports" in reply.read(), "ready before the report server answered"

    def deployments(self) -> dict[str, dict]:
        if not healthy(self.api):
            return {}
        flows = {f["id"]: f["name"] for f in api_post(self.api, "/flows/filter", {})}
        return {f"{flows[d['flow_id']]}/{d['name']}": d for d in api_post(self.api, "/deployments/filter", {})}

    def flow_run(self, flow_run_id: str) -> dict:
        with urllib.request.urlopen(f"{self.api}/flow_runs/{flow_run_id}", timeout=10) as reply:
            return json.loads(reply.read())

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
    runbooks = home / "runbooks"  # the shipped runbooks, with a smaller refresh that always passes its gate
    shutil.copytree(REPO / "runbooks", runbooks, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    spec_path = runbooks / "systems" / "fraud-scoring.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["refresh"].update({"training_days": 21, "golden_size": 400,
                            "gate": {"metric": "pr_auc", "min_gain": -1.0, "max_slice_regression": 1.0}})
    spec_path.write_text(yaml.safe_dump(spec))
    with running_fake_slack() as slack:
        running = Up(home, free_port(), slack, runbooks)
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


def test_a_signed_click_resumes_a_suspended_refresh_run_with_nothing_exported(up: Up) -> None:
    """The issue's plain ``steward up``: the click is recorded and the run it suspended is resumed by the
    receiver's thread, which sees the API URL though nobody exported it."""
    from tasks.store.database import Store
    from tasks.store.models import ApprovalRequest

    created = up.steward("run", "refresh", "fraud-scoring", "--deployment", "--window", HOLDOUT, "--no-wait",
                         "--format", "json")
    assert created.returncode in (0, 1), created.stderr
    run_id = json.loads(created.stdout)["flow_run_id"]
    store = Store(f"sqlite:///{up.home / 'steward.db'}")

    def suspended_request() -> ApprovalRequest | None:
        with store.session() as session:
            request = session.query(ApprovalRequest).filter_by(flow_run_id=run_id).one_or_none()
        if request and request.slack_ts and up.flow_run(run_id)["state"]["name"] == "Suspended":
            return request
        return None

    deadline = time.monotonic() + 240
    while (request := suspended_request()) is None:
        assert up.flow_run(run_id)["state_type"] not in ("FAILED", "CRASHED"), up.flow_run(run_id)["state"]
        assert time.monotonic() < deadline, "the refresh run never suspended for its approval"
        time.sleep(1)
    assert up.slack.click(up.receiver_url, SECRET, user_id=OWNER, request_id=request.id) == 200
    deadline = time.monotonic() + 180
    while (run := up.flow_run(run_id))["state_type"] not in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
        assert time.monotonic() < deadline, f"the approved run was never resumed: still {run['state']['name']}"
        time.sleep(1)
    assert run["state"]["name"] == "Promoted"
    with store.session() as session:
        assert session.get_one(ApprovalRequest, request.id).state == "approved"
    status = up.steward("status")
    assert f"Prefect server: http://127.0.0.1:{up.port} (steward up, pid {up.process.pid})" in status.stdout


def browse(up: Up, path: str, *, screenshot: Path | None = None) -> str:
    """Headless Chromium's DOM (or screenshot) of a Prefect UI path, or of any full URL."""
    profile = up.home / f"chromium-{time.monotonic_ns()}"
    url = path if "://" in path else f"http://127.0.0.1:{up.port}{path}"
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
    rendered(up, f"/runs/flow-run/{run_id}", "drift/fraud-scoring/2026-11-20", "Attention")
    rendered(up, "/artifacts/key/drift-fraud-scoring", "drift-fraud-scoring", "monitored columns drifted")
    SCREENSHOTS.mkdir(exist_ok=True)
    shot = SCREENSHOTS / "prefect-ui-steward-run.png"
    shot.unlink(missing_ok=True)
    browse(up, f"/runs/flow-run/{run_id}", screenshot=shot)
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"screenshot of the Prefect UI: {shot}")


def test_open_report_from_a_slack_alert_loads_in_chromium_through_the_served_index(up: Up) -> None:
    """The owner's first click: the alert the drift run posted links its report on the report server
    (the default public URL under a plain ``steward up``), and the served index leads to the same page."""
    import re

    alerts = [p for p in up.slack.posted() if p["text"].startswith("fraud-scoring drift")]
    assert alerts, "needs the drift alert posted by the run through the deployment"
    blocks = str(alerts[-1]["blocks"])
    links = {label: url for url, label in re.findall(r"<(https?://[^|>]+)\|([^>]+)>", blocks)}
    report = f"{up.reports_url}/reports/fraud-scoring/drift/{WINDOW}.html"
    assert links["Open report"] == report and str(up.home) not in blocks and "None/" not in blocks
    assert links["Prefect run"].startswith(f"http://127.0.0.1:{up.port}/runs/flow-run/")
    index = browse(up, f"{up.reports_url}/")
    assert "fraud-scoring" in index and "support-assistant" in index and "Dana Whitfield" in index
    hrefs = re.findall(r'href="([^"]+)"', index)
    [served] = [h for h in hrefs if h.endswith(f"fraud-scoring/drift/{WINDOW}.html")]
    assert f"{up.reports_url}/{served}" == report  # the index's link is the one Slack carries
    page = browse(up, report)
    assert f"Drift · fraud-scoring · {WINDOW}" in page and "device_trust_score" in page
    SCREENSHOTS.mkdir(exist_ok=True)
    shot = SCREENSHOTS / "steward-report-from-slack.png"
    shot.unlink(missing_ok=True)
    browse(up, report, screenshot=shot)
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"screenshot of the report opened from Slack: {shot}")


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
    assert not (up.home / "up.json").exists(), "the server record outlived steward up"
    stopped = up.steward("run", "drift", "fraud-scoring", "--deployment", "--window", WINDOW)
    assert stopped.returncode == 2 and "start one with 'steward up'" in stopped.stderr
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
