"""The refresh and rollback flows' end-to-end scaffolding: small runbooks, the receiver with the fake Slack, paused runs."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from deployments.receiver import Receiver, serve_in_background
from tasks.store.database import open_store
from tasks.core.status import ApprovalState
from tasks.store.models import ApprovalRequest

SECRET = "test-signing-secret"
OWNER, BACKUP, OUTSIDER = "U04DANA0001", "U04LUIS0002", "U09MALLORY"
HOLDOUT = "2026-11-01..2026-11-07"  # labels matured by the demo data's last day, 2026-11-21
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def runbooks(tmp_path: Path) -> Callable[..., str]:
    """A copy of the shipped runbooks with the fraud refresh section overridden (smaller, so faster)."""

    def write(**refresh: Any) -> str:
        folder = tmp_path / "runbooks"
        shutil.copytree(REPO / "runbooks", folder, dirs_exist_ok=True)
        path = folder / "systems" / "fraud-scoring.yaml"
        spec = yaml.safe_load(path.read_text())
        spec["refresh"].update({"training_days": 21, "golden_size": 400, **refresh})
        path.write_text(yaml.safe_dump(spec))
        return str(folder)

    return write


@pytest.fixture
def slack_app(prefect_api: str, demo_home: Path, fake_slack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The fake Slack as the configured workspace, and the real receiver on a loopback port."""
    monkeypatch.setenv("STEWARD_SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("STEWARD_SLACK_API_URL", fake_slack.api_url)
    monkeypatch.setenv("STEWARD_SLACK_SIGNING_SECRET", SECRET)
    server = serve_in_background(Receiver(SECRET))
    fake_slack.receiver_url = server.url
    yield fake_slack
    server.shutdown()


def in_thread(fn: Callable[..., Any], **kwargs: Any) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(fn(**kwargs)), daemon=True)
    thread.start()
    return thread, result


def flow_state(flow_run_id: str) -> Any:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(flow_run_id).state


def wait_for(condition: Callable[[], Any], timeout: float = 120, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def paused_request() -> ApprovalRequest:
    """The pending request, once its message is posted and its flow run is paused."""

    def ready() -> ApprovalRequest | None:
        with open_store().session() as session:
            request = session.query(ApprovalRequest).filter_by(state=ApprovalState.pending).one_or_none()
        if request and request.slack_ts and flow_state(request.flow_run_id).is_paused():
            return request
        return None

    return wait_for(ready, what="a paused run with a posted approval request")

