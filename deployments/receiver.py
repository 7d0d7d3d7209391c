"""``steward approvals serve``: receive the owner's Approve/Reject clicks from Slack.

POST /slack/events (Slack's interactivity Request URL), served by uvicorn and
starlette. Every request is checked against the app's signing secret and a
5-minute timestamp window before anything is read from it; a forged or stale
one gets 401 and changes nothing. Before that, the transport is held to limits
Slack never comes near: a body over 1 MB is refused (413) before it is read,
headers and bodies that trickle in are cut off, and there is no server banner.
Only the system's owner or backup may decide, before the request's deadline;
the first decision wins. Alert buttons (Acknowledge, Snooze) take the same
signed path: the system's owner, backup and runbook ``responders`` (a user id,
or a click from a responders' channel) may press them. The decision is committed (with its audit entry)
before the 200 ack, so a double click is harmless and a store failure answers
503 with nothing written; resuming the run and updating the Slack message
follow the ack, off the request path, so Slack's 3-second limit holds.

Under ``steward up`` and ``steward serve`` the same server also serves the reports
folder read-only at ``/reports/`` (GET and HEAD; nothing outside the folder) and
the reports index at ``/``: the links in Slack and the Prefect UI open there.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from pydantic import BaseModel, Field, ValidationError, model_validator
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from runbooks.loader import Catalog, load_catalog
from tasks.approvals.workflow import APPROVE, REJECT, conclude, start_sweeper
from tasks.common.duty import notify_owner
from tasks.core.errors import StewardError
from tasks.core.status import AlertState
from tasks.slack.notifier import ACKNOWLEDGE, ALERT_ACTIONS, SLACK_FAILURES, SNOOZE_HOURS, slack_client, slack_config
from tasks.store.alerts import acknowledge, snooze
from tasks.store.approvals import NotAuthorised, decide, expire, overdue
from tasks.store.database import StoreUnavailable, open_store
from tasks.store.models import Alert, ApprovalRequest, utcnow

PATH = "/slack/events"
HEALTH = "/health"
REPORTS = "/reports"
SWEEP_SECONDS = 30.0
log = logging.getLogger("steward.receiver")


class Limits(BaseModel):
    """What the HTTP endpoint tolerates; Slack's own requests are a few KB, sent at once."""

    max_body: int = 1024 * 1024
    free_body: int = 64 * 1024  # what any one body may hold unconditionally (uvicorn buffers as much anyway)
    body_budget: int = 8 * 1024 * 1024  # bytes beyond that, held across all requests at once; more is 503
    header_seconds: float = 10.0  # from connecting (or the last answer) to a request's complete headers
    body_seconds: float = 10.0  # from complete headers to the complete body
    keep_alive_seconds: float = 5.0  # an idle kept-alive connection
    max_header_bytes: int = 16 * 1024
    backlog: int = 2048  # a burst of clicks queues in the kernel instead of being reset


def signing_secret() -> str:
    """``STEWARD_SLACK_SIGNING_SECRET``, else the signing secret of the configured Slack app."""
    if secret := os.environ.get("STEWARD_SLACK_SIGNING_SECRET"):
        return secret
    config = slack_config()
    if config and config.signing_secret:
        return config.signing_secret.get_secret_value()
    raise StewardError("no Slack signing secret: set STEWARD_SLACK_SIGNING_SECRET or the 'Steward Slack' block's "
                       "signing_secret")


class _Envelope(BaseModel):
    type: str


class _User(BaseModel):
    id: str = Field(min_length=1)


class _Channel(BaseModel):
    id: str | None = None


class _Container(BaseModel):
    channel_id: str | None = None


class _Action(BaseModel):
    action_id: str
    value: str | None = None

    @model_validator(mode="after")
    def _ours_name_a_request(self) -> _Action:
        if self.action_id in (APPROVE, REJECT) and not self.value:
            raise ValueError(f"{self.action_id} carries no approval request id")
        if self.action_id in ALERT_ACTIONS and not (self.value or "").isdigit():
            raise ValueError(f"{self.action_id} carries no alert id")
        return self


class _BlockActions(BaseModel):
    """The parts of a ``block_actions`` payload Steward reads; anything else in it is ignored."""

    user: _User
    actions: list[_Action]
    container: _Container | None = None
    channel: _Channel | None = None


class AlertClick(BaseModel):
    """Who pressed Acknowledge or Snooze on which alert, in which channel."""

    user_id: str
    action: str
    alert_id: int
    channel: str | None = None


class Click(BaseModel):
    """Who clicked which Steward button, on which message."""

    user_id: str
    approved: bool
    request_id: str
    channel: str | None = None

    @classmethod
    def parse(cls, payload: Any) -> Click | AlertClick | None:
        """None for any other interaction of the app; ``ValidationError`` for a payload of the wrong shape."""
        if _Envelope.model_validate(payload).type != "block_actions":
            return None
        actions = _BlockActions.model_validate(payload)
        ours = [a for a in actions.actions if a.action_id in (APPROVE, REJECT, *ALERT_ACTIONS)]
        if not ours:
            return None
        channel = (actions.container.channel_id if actions.container else None) or (
            actions.channel.id if actions.channel else None)
        if ours[0].action_id in ALERT_ACTIONS:
            return AlertClick(user_id=actions.user.id, action=ours[0].action_id, alert_id=int(str(ours[0].value)),
                              channel=channel)
        return cls(user_id=actions.user.id, approved=ours[0].action_id == APPROVE, request_id=str(ours[0].value),
                   channel=channel)


class Receiver:
    """Verifies and applies clicks; follow-up work runs on a small pool after the ack.

    Without a signing secret (Socket Mode, where the app token authenticates the
    connection) every HTTP request is refused. ``now`` is the clock deadlines are
    judged by; ``catalog`` the runbooks naming who may press alert buttons (default: read at each click, so
    an edited runbook applies at once).
    """

    def __init__(self, secret: str | None, now: Callable[[], datetime] = utcnow, catalog: Catalog | None = None):
        self.verifier = SignatureVerifier(secret) if secret else None
        self.now = now
        self.catalog = catalog
        self.followups = ThreadPoolExecutor(max_workers=2, thread_name_prefix="approval-followup")
        # One decision at a time: the audit chain serialises them in the store anyway, and queuing here is
        # cheaper than SQLite's busy back-off. The store is opened (and migrated) before the first click.
        self.deciding = threading.Lock()
        open_store()

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
            click = Click.parse(json.loads(parse_qs(body.decode())["payload"][0]))
        except (KeyError, IndexError, ValueError, UnicodeDecodeError, ValidationError):
            return 400
        if click is None:
            return 200  # another interaction of the app: acknowledged, ignored
        try:
            self.apply(click)
        except (SQLAlchemyError, StoreUnavailable) as exc:
            log.warning("click on %s not recorded, the store failed (%s); answered 503",
                        f"alert {click.alert_id}" if isinstance(click, AlertClick) else f"approval {click.request_id}",
                        type(exc).__name__)
            return 503
        return 200

    def apply(self, click: Click | AlertClick) -> None:
        """Decide in one transaction; what follows (resume, Slack) is scheduled only once it has committed."""
        if isinstance(click, AlertClick):
            return self.apply_alert(click)
        with self.deciding, open_store().session() as session:
            finish, reply = self._decide(session, click, self.now())
        if finish:
            self._later(conclude, click.request_id)
        if reply:
            self._later(self._tell, click, reply)

    @staticmethod
    def _decide(session: Session, click: Click, now: datetime) -> tuple[bool, str | None]:
        """(whether the request was settled by this click, what to tell the clicking user)."""
        request = session.get(ApprovalRequest, click.request_id)
        if request is None:
            return False, "This approval request no longer exists."
        try:
            if decide(session, click.request_id, approved=click.approved, by=click.user_id,
                      reason=f"{'approved' if click.approved else 'rejected'} in Slack", now=now):
                return True, None
        except NotAuthorised:
            log.info("refused a click by %s on approval %s: not an approver", click.user_id, click.request_id)
            return False, (f"You are not authorised to decide for {request.system}: only its owner or backup may. "
                           "Nothing was changed.")
        if overdue(request, now):  # too late: expire it now, as the next sweep would, so the run hears at once
            deadline = request.expires_at
            return expire(session, request.id, now=now), (
                f"This request expired at {deadline:%Y-%m-%d %H:%M:%S} UTC without a decision; "
                "your click changed nothing.")
        who = f" by <@{request.decided_by}>" if request.decided_by and request.decided_by != "steward" else ""
        return False, f"Already {request.state}{who}; your click changed nothing."

    def apply_alert(self, click: AlertClick) -> None:
        """Acknowledge or snooze in one transaction; the message is redrawn once it has committed."""
        catalog = self.catalog or load_catalog()
        with self.deciding, open_store().session() as session:
            changed, reply = self._on_alert(session, click, catalog, self.now())
        if changed:
            self._later(notify_owner, open_store(), catalog, changed)
        if reply:
            self._later(self._tell, click, reply)

    @staticmethod
    def _on_alert(session: Session, click: AlertClick, catalog: Catalog, now: datetime) -> tuple[str | None, str | None]:
        """(the system whose alert changed, what to tell the clicking user)."""
        alert = session.get(Alert, click.alert_id)
        if alert is None or alert.system not in catalog.specs:
            return None, f"Alert #{click.alert_id} no longer exists here; nothing was changed."
        deciders = catalog.get(alert.system).deciders()
        if click.user_id not in deciders and click.channel not in deciders:
            log.info("refused a click by %s on alert %s: not a responder", click.user_id, alert.id)
            return None, (f"You are not authorised to handle alerts of {alert.system}: only its owner, backup or "
                          "responders may. Nothing was changed.")
        if alert.state == AlertState.resolved:
            return None, f"Alert #{alert.id} is already resolved; your click changed nothing."
        if click.action == ACKNOWLEDGE:
            if alert.state == AlertState.acknowledged:
                return None, f"Already acknowledged by <@{alert.acknowledged_by}>; your click changed nothing."
            acknowledge(session, alert.id, by=click.user_id, now=now)
        else:
            snooze(session, alert.id, by=click.user_id, hours=SNOOZE_HOURS, now=now)
        return alert.system, None

    def _later(self, fn: Any, *args: Any) -> None:
        self.followups.submit(fn, *args)

    @staticmethod
    def _tell(click: Click | AlertClick, text: str) -> None:
        """An ephemeral answer only the clicking user sees."""
        config = slack_config()
        if config is None or not click.channel:
            return
        try:
            slack_client(config).chat_postEphemeral(channel=click.channel, user=click.user_id, text=text)
        except SLACK_FAILURES as exc:
            log.warning("could not answer %s ephemerally (%s)", click.user_id, type(exc).__name__)


@dataclass(frozen=True)
class Site:
    """What the server shows people besides taking clicks: the reports folder and the index page."""

    reports: Path
    index: Callable[[str], str]  # the index page's HTML, given the prefix of its report links


def asgi_app(receiver: Receiver | None, limits: Limits, site: Site | None = None) -> Any:
    """The starlette app: transport limits first, then ``receiver.handle`` on a worker thread; with a
    ``site``, the reports read-only and their index. Without a receiver, no route takes clicks."""
    from starlette.applications import Starlette
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import HTMLResponse, PlainTextResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    class Refused(Exception):
        def __init__(self, status: int):
            self.status = status

    held = {"bytes": 0}  # body bytes beyond ``free_body`` held now, across requests (one event loop: no lock)

    def refuse(status: int) -> Response:
        return Response(status_code=status, headers={"connection": "close"})  # closing drops any unread body

    async def capped_body(request: Request) -> bytes:
        """The body, refused past ``max_body`` (413) or when a flood of large bodies exhausts the budget (503)."""
        chunks: list[bytes] = []
        size = reserved = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limits.max_body:
                    raise Refused(413)
                if (extra := max(0, size - limits.free_body) - reserved) > 0:
                    if held["bytes"] + extra > limits.body_budget:
                        raise Refused(503)
                    held["bytes"] += extra
                    reserved += extra
                chunks.append(chunk)
            return b"".join(chunks)
        except Refused:
            chunks.clear()  # freed now, not when the exception's traceback is
            raise
        finally:
            held["bytes"] -= reserved

    async def events(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and not declared.isdigit():
            return refuse(400)
        if declared is not None and int(declared) > limits.max_body:
            return refuse(413)
        try:
            body = await asyncio.wait_for(capped_body(request), limits.body_seconds)
        except Refused as refused:
            return refuse(refused.status)
        except TimeoutError:
            return refuse(408)
        except ClientDisconnect:
            return refuse(400)
        assert receiver is not None
        status = await asyncio.to_thread(receiver.handle, body, dict(request.headers))
        return Response(status_code=status)

    async def health(_request: Request) -> Response:
        return PlainTextResponse("ok")

    routes: list[Any] = [Route(HEALTH, health, methods=["GET"])]
    if receiver is not None:
        routes.append(Route(PATH, events, methods=["POST"]))
    if site is not None:
        async def index(_request: Request) -> Response:
            return HTMLResponse(await asyncio.to_thread(site.index, REPORTS.lstrip("/") + "/"))

        site.reports.mkdir(parents=True, exist_ok=True)
        # StaticFiles answers GET and HEAD only (405 otherwise) and 404s any path resolving outside the folder.
        routes += [Route("/", index, methods=["GET", "HEAD"]),
                   Mount(REPORTS, app=StaticFiles(directory=site.reports, html=True), name="reports")]
    return Starlette(routes=routes)


def _protocol(header_seconds: float) -> type:
    """uvicorn's h11 protocol with a deadline on request headers, which uvicorn lacks: a connection that
    stays silent, or sends part of a request, is closed ``header_seconds`` after connecting or after its
    last answer."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderDeadline(H11Protocol):
        def connection_made(self, transport: Any) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._headers_due = self.loop.call_later(header_seconds, self._headers_overdue)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._headers_due.cancel()
            self._headers_due = self.loop.call_later(header_seconds, self._headers_overdue)

        def connection_lost(self, exc: Exception | None) -> None:
            self._headers_due.cancel()
            super().connection_lost(exc)

        def _headers_overdue(self) -> None:
            waiting = self.cycle is None or self.cycle.response_complete
            if waiting and not self.transport.is_closing():
                self.transport.close()

    return HeaderDeadline


class HttpReceiver:
    """The receiver on uvicorn, on a daemon thread: bound when created (an ``OSError`` if the port is taken)."""

    def __init__(self, receiver: Receiver | None, host: str = "127.0.0.1", port: int = 0,
                 limits: Limits | None = None, site: Site | None = None):
        import uvicorn

        limits = limits or Limits()
        self.socket = socket.create_server((host, port), backlog=limits.backlog)
        config = uvicorn.Config(
            asgi_app(receiver, limits, site), http=_protocol(limits.header_seconds), ws="none", lifespan="off",
            loop="asyncio", backlog=limits.backlog, timeout_keep_alive=limits.keep_alive_seconds,
            h11_max_incomplete_event_size=limits.max_header_bytes, server_header=False, date_header=False,
            log_config=None, access_log=False, timeout_graceful_shutdown=5,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]},
                                       name="approval-receiver", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise StewardError(f"the approval receiver did not start on {host}:{port}")
            time.sleep(0.01)

    @property
    def port(self) -> int:
        return int(self.socket.getsockname()[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.socket.getsockname()[0]}:{self.port}"

    @property
    def url(self) -> str:
        """Where Slack posts clicks (behind the TLS proxy that fronts it)."""
        return f"{self.base_url}{PATH}"

    def shutdown(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.socket.close()


def serve_in_background(receiver: Receiver | None, host: str = "127.0.0.1", port: int = 0,
                        limits: Limits | None = None, site: Site | None = None) -> HttpReceiver:
    """Start serving on a daemon thread (tests, the demo, ``steward up``); stop with ``server.shutdown()``."""
    return HttpReceiver(receiver, host, port, limits, site)


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
        if request.type != "interactive":
            return
        try:
            click = Click.parse(request.payload)
        except (ValueError, ValidationError):
            log.warning("ignored an interactive envelope of the wrong shape")
            return
        if click:
            receiver.apply(click)

    client.socket_mode_request_listeners.append(on_request)
    return client


def start(receiver: Receiver | None, host: str, port: int, *, socket_mode: bool = False,
          sweep_seconds: float = SWEEP_SECONDS, site: Site | None = None) -> tuple[HttpReceiver | None, Callable[[], None]]:
    """Answer clicks (HTTP, or Socket Mode) and tend pending requests every ``sweep_seconds`` in the
    background; returns the HTTP server (None in Socket Mode) and the stop. Without a receiver the HTTP
    server takes no clicks and only shows the ``site``."""
    server = None
    if socket_mode:
        assert receiver is not None
        socket_client = socket_mode_client(receiver, app_token())
        socket_client.connect()
        stop_listening = socket_client.close
    else:
        server = serve_in_background(receiver, host, port, site=site)
        stop_listening = server.shutdown
    stop_sweeping = start_sweeper(sweep_seconds)

    def stop() -> None:
        stop_sweeping()
        stop_listening()
        if receiver is not None:
            receiver.followups.shutdown(wait=True)

    return server, stop


def serve_forever(receiver: Receiver, host: str, port: int, *, socket_mode: bool = False,
                  sweep_seconds: float = SWEEP_SECONDS) -> None:
    """The ``steward approvals serve`` loop, until Ctrl-C."""
    _, stop = start(receiver, host, port, socket_mode=socket_mode, sweep_seconds=sweep_seconds)
    try:
        while True:
            time.sleep(3600)
    finally:
        stop()
