"""Load on the approval receiver, on loopback: bursts of signed clicks beside idle half-open connections,
then an oversized-body flood, against ``steward approvals serve`` in its own process.

    PYTHONPATH=. python benchmarks/receiver_load.py

1. 200 idle connections that sent half a request and then nothing, held open throughout.
2. 200 concurrent signed clicks on 200 distinct requests (the heaviest write load): every one answered
   within Slack's 3 s, exactly one decision per request.
3. 200 concurrent signed clicks on one request, owner and backup racing (approve vs reject): exactly one
   decision.
4. A flood of bodies over 1 MB (declared 400 MB, and chunked without a length): the receiver's peak RSS
   stays within 50 MB of idle.
The idle connections must then be closed by the header timeout. Exits 1 if any check fails.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tasks.approvals.workflow import APPROVE, REJECT  # noqa: E402
from tasks.slack.fake import running_fake_slack  # noqa: E402

SECRET = "load-signing-secret"
OWNER, BACKUP = "U04DANA0001", "U04LUIS0002"
CLICKS = IDLE = 200
SLACK_LIMIT = 3.0
MEMORY_BUDGET_MB = 50


def signed_click(request_id: str, user: str, action: str = APPROVE) -> tuple[bytes, dict[str, str]]:
    """A ``block_actions`` body and its Slack signature headers, as Slack sends a button press."""
    import json
    from urllib.parse import urlencode

    from slack_sdk.signature import SignatureVerifier

    payload = {"type": "block_actions", "user": {"id": user}, "container": {"channel_id": "D04DANA0001"},
               "actions": [{"action_id": action, "value": request_id}]}
    body = urlencode({"payload": json.dumps(payload)}).encode()
    stamp = str(int(time.time()))
    return body, {"X-Slack-Request-Timestamp": stamp,
                  "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body) or ""}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_of(sock: socket.socket) -> int:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return 0
        data += chunk
    return int(data.split(b" ", 2)[1])


def post(port: int, body: bytes, headers: dict[str, str]) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(f"POST /slack/events HTTP/1.1\r\nHost: steward\r\nContent-Length: {len(body)}\r\n{head}"
                     "Content-Type: application/x-www-form-urlencoded\r\n\r\n".encode() + body)
        return status_of(sock)


def burst(jobs: list[Callable[[], int]]) -> tuple[list[int], list[float]]:
    """Run every job at once (released together); their statuses and latencies in seconds."""
    gate = threading.Barrier(len(jobs))
    statuses: list[int] = [0] * len(jobs)
    latencies: list[float] = [0.0] * len(jobs)

    def run(i: int) -> None:
        gate.wait()
        started = time.perf_counter()
        try:
            statuses[i] = jobs[i]()
        except OSError:
            statuses[i] = -1
        latencies[i] = time.perf_counter() - started

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses, latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def flood_one(port: int, kind: str) -> None:
    """One oversized upload, sent until the receiver refuses it (or 8 MB)."""
    piece = b"x" * 65536
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
            if kind == "declared":
                sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: f\r\nContent-Length: 419430400\r\n\r\n")
            else:
                sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: f\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in range(128):
                sock.sendall(piece if kind == "declared" else b"%x\r\n%s\r\n" % (len(piece), piece))
    except OSError:
        pass  # refused and closed mid-upload: what should happen


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="receiver-load-"))
    os.environ["STEWARD_HOME"] = str(home)
    from tasks.store.approvals import request_approval
    from tasks.store.database import open_store
    from tasks.store.models import ApprovalRequest, AuditEntry

    store = open_store()
    with store.session() as session:
        distinct = [request_approval(session, system="fraud-scoring", action="promote", summary=f"v{i}",
                                     approvers=[OWNER, BACKUP], timeout=timedelta(hours=1)).id for i in range(CLICKS)]
        contested = request_approval(session, system="fraud-scoring", action="promote", summary="contested",
                                     approvers=[OWNER, BACKUP], timeout=timedelta(hours=1)).id
    failures: list[str] = []
    port = free_port()
    with running_fake_slack() as slack:
        env = {**os.environ, "STEWARD_SLACK_SIGNING_SECRET": SECRET, "STEWARD_SLACK_BOT_TOKEN": slack.token,
               "STEWARD_SLACK_API_URL": slack.api_url, "PYTHONPATH": str(REPO), "DO_NOT_TRACK": "1"}
        receiver = subprocess.Popen([sys.executable, "-m", "deployments.cli", "approvals", "serve", "--port", str(port)],
                                    cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=(home / "receiver.log").open("w"))
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline and receiver.poll() is None, "the receiver did not start"
                    time.sleep(0.2)
            proc = psutil.Process(receiver.pid)
            idle_rss = proc.memory_info().rss

            idle = []
            for _ in range(IDLE):
                sock = socket.create_connection(("127.0.0.1", port), timeout=30)
                sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: steward\r\n")  # ... and never the rest
                idle.append(sock)
            idle_opened = time.monotonic()

            statuses, latencies = burst([lambda r=r: post(port, *signed_click(r, OWNER)) for r in distinct])
            print(f"{CLICKS} concurrent clicks on {CLICKS} requests beside {IDLE} idle connections: "
                  f"p50 {percentile(latencies, 0.5) * 1000:.0f} ms, p99 {percentile(latencies, 0.99) * 1000:.0f} ms, "
                  f"max {max(latencies) * 1000:.0f} ms; statuses {sorted(set(statuses))}")
            if set(statuses) != {200} or max(latencies) >= SLACK_LIMIT:
                failures.append("a click on a distinct request was not answered 200 within 3 s")

            racing = [lambda i=i: post(port, *signed_click(contested, OWNER if i % 2 else BACKUP,
                                                          APPROVE if i % 2 else REJECT))
                      for i in range(CLICKS)]
            statuses, race_latencies = burst(racing)
            print(f"{CLICKS} concurrent clicks on one request (owner approves, backup rejects): "
                  f"p50 {percentile(race_latencies, 0.5) * 1000:.0f} ms, "
                  f"p99 {percentile(race_latencies, 0.99) * 1000:.0f} ms; statuses {sorted(set(statuses))}")
            if set(statuses) != {200} or max(race_latencies) >= SLACK_LIMIT:
                failures.append("a click on the contested request was not answered 200 within 3 s")

            with store.session() as session:
                states = {r.id: r.state for r in session.query(ApprovalRequest)}
                decisions: dict[str, int] = {}
                for entry in session.query(AuditEntry).filter(AuditEntry.action.in_(["approval.approved",
                                                                                     "approval.rejected"])):
                    decisions[entry.details["approval_id"]] = decisions.get(entry.details["approval_id"], 0) + 1
            one_each = all(states[r] == "approved" and decisions.get(r) == 1 for r in distinct)
            print(f"decisions: {sum(decisions.get(r, 0) for r in distinct)} for {CLICKS} distinct requests "
                  f"(all approved: {one_each}); {decisions.get(contested, 0)} for the contested one "
                  f"({states[contested]})")
            if not one_each or decisions.get(contested) != 1:
                failures.append("not exactly one decision per request")

            peak = [idle_rss]
            sampling = threading.Event()

            def sample() -> None:
                while not sampling.is_set():
                    try:
                        peak[0] = max(peak[0], proc.memory_info().rss)
                    except psutil.Error:
                        return
                    time.sleep(0.005)

            before_flood = proc.memory_info().rss
            sampler = threading.Thread(target=sample)
            sampler.start()
            started = time.perf_counter()
            for _ in range(2):  # two waves of 100 declared-400 MB uploads and 50 chunked ones, all at once
                burst([lambda: flood_one(port, "declared")] * 100 + [lambda: flood_one(port, "chunked")] * 50)
            flood_seconds = time.perf_counter() - started
            sampling.set()
            sampler.join()
            grew = (peak[0] - before_flood) / 2**20
            print(f"oversized-body flood (300 uploads declared 400 MB, 100 chunked, in {flood_seconds:.1f} s): "
                  f"RSS idle {idle_rss / 2**20:.0f} MB, before the flood {before_flood / 2**20:.0f} MB, "
                  f"peak {peak[0] / 2**20:.0f} MB (+{grew:.1f} MB)")
            if grew > MEMORY_BUDGET_MB:
                failures.append(f"peak RSS grew {grew:.0f} MB under the flood (budget {MEMORY_BUDGET_MB} MB)")

            after_flood = post(port, *signed_click(distinct[0], OWNER))
            print(f"a click after the flood: {after_flood}")
            for sock in idle:
                sock.settimeout(max(0.1, idle_opened + 15 - time.monotonic()))
            closed = 0
            for sock in idle:
                try:
                    closed += sock.recv(1) == b""
                except (TimeoutError, ConnectionResetError):
                    closed += 0
                sock.close()
            print(f"idle half-open connections closed by the header timeout: {closed} of {IDLE} "
                  f"(within {time.monotonic() - idle_opened:.1f} s of opening)")
            if closed != IDLE:
                failures.append("idle connections were left open")
            if after_flood != 200:
                failures.append("the receiver did not answer a click after the flood")
        finally:
            receiver.terminate()
            receiver.wait(timeout=30)
    for failure in failures:
        print(f"FAIL: {failure}")
    print("OK" if not failures else "FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
