"""``steward approvals serve``: receive the owner's Approve/Reject clicks from Slack.

POST /slack/events (Slack's interactivity Request URL). Every request is
checked against the app's signing secret and a 5-minute timestamp window
before anything is read; a forged or stale one gets 401 and changes nothing.
Only the system's owner or backup may decide; the first decision wins. The
decision is committed (with its audit entry) before the 200 ack, so a double
click is harmless; the Slack message update and ``resume_flow_run`` follow
right after the ack, off the request thread, so Slack's 3-second limit holds.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from pydantic import BaseModel, ValidationError
from slack_sdk.errors import SlackClientError
from slack_sdk.signature import SignatureVerifier

from tasks.approval import APPROVE, REJECT, announce, resume, start_sweeper
from tasks.errors import StewardError
from tasks.slack.notifier import slack_client, slack_config
from tasks.store.approvals import NotAuthorised, decide
from tasks.store.database import open_store
from tasks.store.models import ApprovalRequest

PATH = "/slack/events"
SWEEP_SECONDS = 30.0
log = logging.getLogger("steward.receiver")


def signing_secret() -> str:
    """``STEWARD_SLACK_SIGNING_SECRET``, else the signing secret of the configured Slack app."""
    if secret := os.environ.get("STEWARD_SLACK_SIGNING_SECRET"):
        return secret
    config = slack_config()
    if config and config.signing_secret:
        return config.signing_secret.get_secret_value()
    raise StewardError("no Slack signing secret: set STEWARD_SLACK_SIGNING_SECRET or the 'Steward Slack' block's "
                       "signing_secret")


class Click(BaseModel):
    """The parts of a ``block_actions`` payload that matter: who clicked what, on which message."""

    user_id: str
    approved: bool
    request_id: str
    channel: str | None = None

    @classmethod
    def parse(cls, payload: dict[str, Any]) -> Click | None:
        """None for anything that is not a click on a Steward approval button."""
        actions = [a for a in payload.get("actions", []) if a.get("action_id") in (APPROVE, REJECT)]
        if payload.get("type") != "block_actions" or not actions:
            return None
        return cls(user_id=payload["user"]["id"], approved=actions[0]["action_id"] == APPROVE,
                   request_id=actions[0]["value"], channel=(payload.get("container") or {}).get("channel_id")
                   or (payload.get("channel") or {}).get("id"))


class Receiver:
    """Verifies and applies clicks; follow-up work runs on a small pool after the ack.

    Without a signing secret (Socket Mode, where the app token authenticates the
    connection) every HTTP request is refused.
    """

    def __init__(self, secret: str | None):
        self.verifier = SignatureVerifier(secret) if secret else None
        self.followups = ThreadPoolExecutor(max_workers=2, thread_name_prefix="approval-followup")

    def verified(self, body: bytes, headers: dict[str, str]) -> bool:
        if self.verifier is None:
            return False
        try:
            return self.verifier.is_valid_request(body, headers)
        except (ValueError, TypeError):  # a non-numeric timestamp header
            return False

    def handle(self, body: bytes, headers: dict[str, str]) -> int:
        """The HTTP status to answer with; the decision is committed before it returns."""
        if not self.verified(body, headers):
            return 401
        try:
            payload = json.loads(parse_qs(body.decode())["payload"][0])
        except (KeyError, IndexError, ValueError, UnicodeDecodeError):
            return 400
        click = _parse(payload)
        if click is None:
            return 200  # another interaction of the app: acknowledged, ignored
        self.apply(click)
        return 200

    def apply(self, click: Click) -> None:
        with open_store().session() as session:
            request = session.get(ApprovalRequest, click.request_id)
            if request is None:
                return self._later(self._tell, click, "This approval request no longer exists.")
            try:
                won = decide(session, click.request_id, approved=click.approved, by=click.user_id,
                             reason=f"{'approved' if click.approved else 'rejected'} in Slack")
            except NotAuthorised:
                log.info("refused a click by %s on approval %s: not an approver", click.user_id, click.request_id)
                return self._later(self._tell, click, f"You are not authorised to decide for {request.system}: "
                                   "only its owner or backup may. Nothing was changed.")
            state, decided_by = request.state, request.decided_by
        if won:
            self._later(self._finish, click.request_id)
        else:
            who = f" by <@{decided_by}>" if decided_by and decided_by != "steward" else ""
            self._later(self._tell, click, f"Already {state}{who}; your click changed nothing.")

    def _later(self, fn: Any, *args: Any) -> None:
        self.followups.submit(fn, *args)

    @staticmethod
    def _finish(request_id: str) -> None:
        announce(request_id)
        with open_store().session() as session:
            resume(session.get_one(ApprovalRequest, request_id))

    @staticmethod
    def _tell(click: Click, text: str) -> None:
        """An ephemeral answer only the clicking user sees."""
        config = slack_config()
        if config is None or not click.channel:
            return
        try:
            slack_client(config).chat_postEphemeral(channel=click.channel, user=click.user_id, text=text)
        except SlackClientError as exc:
            log.warning("could not answer %s ephemerally (%s)", click.user_id, type(exc).__name__)

def http_server(receiver: Receiver, host: str = "127.0.0.1", port: int = 3000) -> ThreadingHTTPServer:
    """A bound (not yet serving) HTTP server for ``receiver``; port 0 picks a free port."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = receiver.handle(body, dict(self.headers.items())) if self.path == PATH else 404
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    return ThreadingHTTPServer((host, port), Handler)


def serve_in_background(receiver: Receiver, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """Start serving on a daemon thread (tests, the demo); stop with ``server.shutdown()``."""
    server = http_server(receiver, host, port)
    threading.Thread(target=server.serve_forever, name="approval-receiver", daemon=True).start()
    return server


def app_token() -> str:
    """``STEWARD_SLACK_APP_TOKEN`` (xapp-...), else the ``Steward Slack`` block's app token: for Socket Mode."""
    if token := os.environ.get("STEWARD_SLACK_APP_TOKEN"):
        return token
    if block_name := os.environ.get("STEWARD_SLACK_BLOCK"):
        from blocks.slack import StewardSlack

        if (block := StewardSlack.load(block_name)).app_token:
            return block.app_token.get_secret_value()
    raise StewardError("Socket Mode needs an app-level token: set STEWARD_SLACK_APP_TOKEN or the 'Steward Slack' "
                       "block's app_token")


def socket_mode_client(receiver: Receiver, token: str) -> Any:
    """Receive clicks over Slack's Socket Mode (no public URL: teams behind a firewall).

    The connection is authenticated by the app token, so there is no request
    signature to check; each envelope is acknowledged first, then applied.
    """
    from slack_sdk.socket_mode import SocketModeClient
    from slack_sdk.socket_mode.request import SocketModeRequest
    from slack_sdk.socket_mode.response import SocketModeResponse

    config = slack_config()
    if config is None:
        raise StewardError("Socket Mode needs the bot token too (STEWARD_SLACK_BOT_TOKEN or a Slack block)")
    client = SocketModeClient(app_token=token, web_client=slack_client(config))

    def on_request(socket: SocketModeClient, request: SocketModeRequest) -> None:
        socket.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
        if request.type == "interactive" and (click := _parse(request.payload)):
            receiver.apply(click)

    client.socket_mode_request_listeners.append(on_request)
    return client


def _parse(payload: dict[str, Any]) -> Click | None:
    try:
        return Click.parse(payload)
    except (KeyError, IndexError, ValidationError):
        return None


def start(receiver: Receiver, host: str, port: int, *, socket_mode: bool = False,
          sweep_seconds: float = SWEEP_SECONDS) -> Callable[[], None]:
    """Answer clicks (HTTP, or Socket Mode) and tend pending requests every ``sweep_seconds`` in the
    background; returns the stop."""
    if socket_mode:
        socket = socket_mode_client(receiver, app_token())
        socket.connect()
        stop_listening = socket.close
    else:
        stop_listening = serve_in_background(receiver, host, port).shutdown
    stop_sweeping = start_sweeper(sweep_seconds)

    def stop() -> None:
        stop_sweeping()
        stop_listening()
        receiver.followups.shutdown(wait=True)

    return stop


def serve_forever(receiver: Receiver, host: str, port: int, *, socket_mode: bool = False,
                  sweep_seconds: float = SWEEP_SECONDS) -> None:
    """The ``steward approvals serve`` loop, until Ctrl-C."""
    stop = start(receiver, host, port, socket_mode=socket_mode, sweep_seconds=sweep_seconds)
    try:
        while True:
            time.sleep(3600)
    finally:
        stop()
