"""A local stand-in for the Slack Web API, on loopback, that records what was posted.

Tests and ``steward demo`` point the real ``slack_sdk.WebClient`` at it
(``base_url=fake.api_url``), so the whole client path runs, offline.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any
from urllib.error import HTTPError
from urllib.parse import parse_qsl, urlencode
from urllib.request import ProxyHandler, Request, build_opener


@dataclass
class FakeCall:
    method: str
    args: dict[str, Any]


@dataclass
class FakeSlack:
    """Speaks enough of the Web API for Steward: posting, updating and ephemeral messages."""

    token: str = "xoxb-fake-steward-token"
    app_token: str = "xapp-fake-steward-app-token"
    socket_url: str | None = None  # what apps.connections.open answers (a FakeSocketMode's url)
    calls: list[FakeCall] = field(default_factory=list)
    outage: int = 0  # answer the next N calls with HTTP 503
    _ts: Iterator[int] = field(default_factory=lambda: count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def api_url(self) -> str:
        assert self._server is not None, "FakeSlack is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/"

    def posted(self, method: str = "chat.postMessage") -> list[dict[str, Any]]:
        return [c.args for c in self.calls if c.method == method]

    def click(self, receiver_url: str, signing_secret: str, *, user_id: str, approve: bool = True,
              request_id: str | None = None, timestamp: int | None = None) -> int:
        """Press Approve or Reject on the newest approval message, as Slack would: a signed ``block_actions`` POST.

        Returns the receiver's HTTP status. ``timestamp`` lets a test send a stale request.
        """
        import time

        from slack_sdk.signature import SignatureVerifier

        message = next(m for m in reversed(self.posted()) for b in m.get("blocks") or []
                       if b.get("type") == "actions" and (request_id is None or b["elements"][0]["value"] == request_id))
        button = next(b for b in message["blocks"] if b.get("type") == "actions")["elements"][0 if approve else 1]
        channel = str(message["channel"])
        channel = "D" + channel[1:] if channel.startswith(("U", "W")) else channel
        payload = {"type": "block_actions", "user": {"id": user_id}, "team": {"id": "T0STEWARD"},
                   "container": {"type": "message", "channel_id": channel, "message_ts": message.get("ts", "")},
                   "channel": {"id": channel}, "response_url": "",
                   "actions": [{"action_id": button["action_id"], "value": button["value"], "type": "button",
                                "action_ts": f"{time.time():.6f}"}]}
        body = urlencode({"payload": json.dumps(payload)}).encode()
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        signature = SignatureVerifier(signing_secret).generate_signature(timestamp=stamp, body=body)
        request = Request(receiver_url, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature or ""})
        try:
            with build_opener(ProxyHandler({})).open(request, timeout=10) as reply:
                return reply.status
        except HTTPError as exc:
            return exc.code

    def handle(self, method: str, args: dict[str, Any], auth: str | None) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if self.outage > 0:
                self.outage -= 1
                return 503, {"ok": False, "error": "service_unavailable"}
            token = self.app_token if method == "apps.connections.open" else self.token
            if auth != f"Bearer {token}" and args.get("token") != token:
                return 200, {"ok": False, "error": "invalid_auth"}
            self.calls.append(FakeCall(method, args))
            ts = f"1760000000.{next(self._ts):06d}"
        channel = str(args.get("channel", ""))
        if method == "chat.postMessage":
            # Posting to a user id opens the bot's DM with them, as Slack does.
            dm = "D" + channel[1:] if channel.startswith(("U", "W")) else channel
            return 200, {"ok": True, "channel": dm, "ts": ts, "message": {"text": args.get("text")}}
        if method == "chat.update":
            return 200, {"ok": True, "channel": channel, "ts": args.get("ts")}
        if method == "chat.postEphemeral":
            return 200, {"ok": True, "message_ts": ts}
        if method == "apps.connections.open" and self.socket_url:
            return 200, {"ok": True, "url": self.socket_url}
        if method == "auth.test":
            return 200, {"ok": True, "team_id": "T0STEWARD", "user_id": "U0STEWARDBOT", "bot_id": "B0STEWARD"}
        return 200, {"ok": False, "error": "unknown_method"}

    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    args = json.loads(body or "{}")
                else:
                    args = dict(parse_qsl(body))
                    for key in ("blocks", "attachments"):
                        if isinstance(args.get(key), str):
                            args[key] = json.loads(args[key])
                method = self.path.removeprefix("/api/").strip("/")
                status, reply = fake.handle(method, args, self.headers.get("Authorization"))
                payload = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, name="fake-slack", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@dataclass
class FakeSocketMode:
    """A Socket Mode endpoint on loopback (``ws://``): greets, pushes envelopes, records the app's acks."""

    acks: list[dict[str, Any]] = field(default_factory=list)
    _connections: list[Any] = field(default_factory=list)
    _server: Any = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/link"

    def start(self) -> FakeSocketMode:
        from websockets.sync.server import serve

        def session(connection: Any) -> None:
            self._connections.append(connection)
            connection.send(json.dumps({"type": "hello", "num_connections": 1,
                                        "connection_info": {"app_id": "A0STEWARD"}}))
            for message in connection:
                self.acks.append(json.loads(message))

        self._server = serve(session, "127.0.0.1", 0)
        threading.Thread(target=self._server.serve_forever, name="fake-socket-mode", daemon=True).start()
        return self

    @property
    def connected(self) -> bool:
        return bool(self._connections)

    def push(self, payload: dict[str, Any]) -> str:
        """Deliver an interactive payload (a button click) to the connected app; returns its envelope id."""
        import uuid

        envelope_id = str(uuid.uuid4())
        self._connections[-1].send(json.dumps({"envelope_id": envelope_id, "type": "interactive",
                                               "payload": payload, "accepts_response_payload": False}))
        return envelope_id

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server = None


@contextmanager
def running_fake_slack(token: str = "xoxb-fake-steward-token") -> Iterator[FakeSlack]:
    fake = FakeSlack(token=token).start()
    try:
        yield fake
    finally:
        fake.stop()
