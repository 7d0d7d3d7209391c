"""The demo's accountable owner: approves each request by clicking in (fake) Slack.

The click goes through the real path: a ``block_actions`` POST signed with the
app's signing secret, to the real receiver on loopback, which verifies it,
records the decision and resumes the waiting flow run.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from deployments.receiver import Receiver, serve_in_background
from tasks.slack.fake import FakeSlack
from tasks.store.approvals import pending_requests
from tasks.store.database import open_store


def _paused(flow_run_id: str | None) -> bool:
    from prefect.client.orchestration import get_client

    if not flow_run_id:
        return True
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(flow_run_id).state
    return bool(state and state.is_paused())


@contextmanager
def owner_approves(fake: FakeSlack) -> Iterator[list[str]]:
    """While open, every posted approval request is approved by its owner; yields the ids clicked."""
    secret = secrets.token_hex(16)
    receiver = Receiver(secret)
    server = serve_in_background(receiver)
    url = server.url
    clicked: list[str] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.5):
            with open_store().session() as session:
                waiting = [(r.id, r.approvers[0], r.flow_run_id) for r in pending_requests(session)
                           if r.slack_ts and r.id not in clicked]
            for request_id, owner, flow_run_id in waiting:
                if _paused(flow_run_id):
                    fake.click(url, secret, user_id=owner, request_id=request_id)
                    clicked.append(request_id)

    thread = threading.Thread(target=watch, name="demo-owner", daemon=True)
    thread.start()
    try:
        yield clicked
    finally:
        stop.set()
        thread.join()
        server.shutdown()
        receiver.followups.shutdown(wait=True)
