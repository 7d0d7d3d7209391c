"""The receiver's HTTP endpoint as a client on the wire sees it: uvicorn and starlette on a loopback port.

Raw sockets, so the tests can send what no polite client would: a huge declared
body, an endless chunked one, headers that never end, a body that stalls.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from deployments.receiver import PATH, HttpReceiver, Limits, Receiver, serve_in_background
from tasks.store.approvals import request_approval
from tasks.store.database import open_store
from tasks.core.status import ApprovalState
from tasks.store.models import ApprovalRequest, AuditEntry
from approval_support import BACKUP, OWNER, SECRET, click, signed

FAST = Limits(header_seconds=0.6, body_seconds=0.6, keep_alive_seconds=0.6)


@pytest.fixture
def server() -> Iterator[HttpReceiver]:
    receiver = Receiver(SECRET)
    running = serve_in_background(receiver, limits=FAST)
    yield running
    running.shutdown()
    receiver.followups.shutdown(wait=True)


def pending(n: int = 1) -> list[str]:
    with open_store().session() as session:
        return [request_approval(session, system="fraud-scoring", action="promote", summary=f"v{i}",
                                 approvers=[OWNER, BACKUP], timeout=timedelta(hours=1)).id for i in range(n)]


def connect(server: HttpReceiver) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body of one HTTP/1.1 response (read until the connection closes or the
    declared body is complete)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
    return int(lines[0].split()[1]), headers, body


def post(server: HttpReceiver, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    with connect(server) as sock:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode() + body)
        status, got, _ = answer(sock)
    return status, got


def closed(sock: socket.socket, within: float) -> bool:
    """True when the server closes the connection within ``within`` seconds (and not before it is asked)."""
    sock.settimeout(within)
    try:
        while chunk := sock.recv(65536):
            if chunk.startswith(b"HTTP/1.1 "):
                continue  # a final answer before closing is fine
        return True
    except (TimeoutError, socket.timeout):
        return False
    except ConnectionResetError:
        return True


def test_a_signed_click_over_http_decides_and_answers_without_a_server_banner(server: HttpReceiver) -> None:
    [request_id] = pending()
    status, headers = post(server, *signed(click(request_id, OWNER)))
    assert status == 200 and "server" not in headers
    with open_store().session() as session:
        assert session.get_one(ApprovalRequest, request_id).state == ApprovalState.approved


def test_a_declared_body_over_1_mb_is_refused_before_it_is_sent(server: HttpReceiver) -> None:
    with connect(server) as sock:
        sock.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: {400 * 1024 * 1024}\r\n\r\n".encode())
        started = time.monotonic()
        status, headers, _ = answer(sock)  # not one byte of the body was sent
        assert status == 413 and headers.get("connection") == "close"
        assert time.monotonic() - started < FAST.body_seconds
        assert closed(sock, within=2)


def test_a_chunked_body_is_cut_off_at_1_mb(server: HttpReceiver) -> None:
    with connect(server) as sock:
        sock.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        piece = b"x" * 65536
        sent = 0
        try:
            while sent < 4 * 1024 * 1024:
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        status, _, _ = answer(sock)
    assert status == 413


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "12, 13"])
def test_a_garbage_content_length_gets_400(server: HttpReceiver, length: str) -> None:
    with connect(server) as sock:
        sock.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode())
        status, _, _ = answer(sock)
    assert status == 400


def test_headers_that_never_end_are_cut_off_and_do_not_starve_a_click(server: HttpReceiver) -> None:
    idle = [connect(server) for _ in range(50)]
    for sock in idle[:25]:
        sock.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\n".encode())  # and then nothing
    [request_id] = pending()
    assert post(server, *signed(click(request_id, OWNER)))[0] == 200  # answered while 50 sit open
    try:
        assert all(closed(sock, within=FAST.header_seconds + 2) for sock in idle)
    finally:
        for sock in idle:
            sock.close()


def test_a_body_that_stalls_gets_408_and_the_connection_closes(server: HttpReceiver) -> None:
    with connect(server) as sock:
        sock.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npayload=".encode())
        started = time.monotonic()
        status, _, _ = answer(sock)
        assert status == 408 and time.monotonic() - started < FAST.body_seconds + 2
        assert closed(sock, within=2)


def test_an_idle_kept_alive_connection_is_closed(server: HttpReceiver) -> None:
    [request_id] = pending()
    body, headers = signed(click(request_id, OWNER))
    with connect(server) as sock:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode() + body)
        assert answer(sock)[0] == 200
        assert closed(sock, within=FAST.keep_alive_seconds + FAST.header_seconds + 2)


@pytest.mark.parametrize("payload", [
    ["not", "an", "object"],
    {"type": "block_actions", "actions": [{"action_id": "steward_approve", "value": "x"}]},  # no user
    {"type": "block_actions", "user": {"id": OWNER}, "actions": "steward_approve"},
    {"type": "block_actions", "user": {"id": OWNER}, "actions": [{"action_id": "steward_approve"}]},  # no request
    {"type": 7},
], ids=["a list", "no user", "actions not a list", "no request id", "type not a string"])
def test_a_signed_payload_of_the_wrong_shape_gets_400_and_changes_nothing(server: HttpReceiver, payload) -> None:
    [request_id] = pending()
    assert post(server, *signed(payload))[0] == 400
    with open_store().session() as session:
        assert session.get_one(ApprovalRequest, request_id).state == ApprovalState.pending


def test_a_store_failure_gets_503_with_nothing_half_written(server: HttpReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    """The decision's UPDATE has run when the audit insert fails: the whole transaction rolls back."""
    from tasks.store import approvals

    [request_id] = pending()

    def failing_audit(*_args, **_kwargs):
        raise OperationalError("INSERT INTO audit_log", {}, Exception("disk I/O error"))

    with monkeypatch.context() as patched:
        patched.setattr(approvals, "append_audit", failing_audit)
        assert post(server, *signed(click(request_id, OWNER)))[0] == 503
    with open_store().session() as session:
        request = session.get_one(ApprovalRequest, request_id)
        assert (request.state, request.decided_by) == (ApprovalState.pending, None)
        assert session.query(AuditEntry).filter(AuditEntry.action.like("approval.approved%")).count() == 0
    assert post(server, *signed(click(request_id, OWNER)))[0] == 200  # Slack's retry, once the store is back
    with open_store().session() as session:
        assert session.get_one(ApprovalRequest, request_id).state == ApprovalState.approved


def test_a_burst_of_concurrent_clicks_is_answered_within_slacks_3_seconds(server: HttpReceiver) -> None:
    ids = pending(100)
    started = time.monotonic()

    def one(request_id: str) -> tuple[int, float]:
        status, _ = post(server, *signed(click(request_id, OWNER)))
        return status, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=100) as pool:
        answers = list(pool.map(one, ids))
    assert {status for status, _ in answers} == {200}
    assert max(elapsed for _, elapsed in answers) < 3.0
    with open_store().session() as session:
        decided = session.query(ApprovalRequest).filter(ApprovalRequest.id.in_(ids))
        assert {r.state for r in decided} == {ApprovalState.approved}
        assert session.query(AuditEntry).filter_by(action="approval.approved").count() == 100


def test_the_port_in_use_is_an_oserror_at_start() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            HttpReceiver(Receiver(SECRET), port=taken.getsockname()[1])


def test_health_answers_for_readiness(server: HttpReceiver) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, _ = answer(sock)
    assert status == 200 and "server" not in headers


def test_large_bodies_share_a_budget_so_a_flood_cannot_exhaust_memory() -> None:
    """Beyond ``free_body`` each body draws on one shared budget; a body the budget cannot hold gets 503,
    while a small click (within ``free_body``) never touches it."""
    receiver = Receiver(SECRET)
    running = serve_in_background(receiver, limits=Limits(free_body=8 * 1024, body_budget=16 * 1024))
    try:
        with connect(running) as sock:
            sock.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: {64 * 1024}\r\n\r\n".encode()
                         + b"x" * (64 * 1024))
            assert answer(sock)[0] == 503
        [request_id] = pending()
        assert post(running, *signed(click(request_id, OWNER)))[0] == 200
    finally:
        running.shutdown()
        receiver.followups.shutdown(wait=True)
