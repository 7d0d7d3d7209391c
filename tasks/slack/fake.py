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
from urllib.parse import parse_qsl


@dataclass
class FakeCall:
    method: str
    args: dict[str, Any]


@dataclass
class FakeSlack:
    """Speaks enough of the Web API for Steward: posting, updating and ephemeral messages."""

    token: str = "xoxb-fake-steward-token"
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

    def handle(self, method: str, args: dict[str, Any], auth: str | None) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if self.outage > 0:
                self.outage -= 1
                return 503, {"ok": False, "error": "service_unavailable"}
            if auth != f"Bearer {self.token}":
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


@contextmanager
def running_fake_slack(token: str = "xoxb-fake-steward-token") -> Iterator[FakeSlack]:
    fake = FakeSlack(token=token).start()
    try:
        yield fake
    finally:
        fake.stop()
