"""Ask the accountable owner in Slack, and wait inside the flow run for the decision.

Generic: any system, any action, any flow run (refresh promotions, rollbacks,
purges). The request is recorded in the ops store before anyone is asked; the
Block Kit message carries Approve/Reject buttons whose value is the request id;
the run then waits for an ``ApprovalInput`` (paused when run directly,
suspended under a deployment). The receiver (``steward approvals serve``)
decides the request and resumes the run; the Prefect UI's Resume form is the
fallback and is held to the same rules. A request not decided in time reminds
the owner and tells the backup at half time, then expires: nothing changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from prefect.cache_policies import CachePolicy
from prefect.client.orchestration import get_client
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import NotPausedError, pause_flow_run, resume_flow_run, suspend_flow_run
from prefect.input import RunInput
from pydantic import BaseModel, Field
from slack_sdk import WebClient

from runbooks.spec import Owner
from tasks.common.escalation import escalate
from tasks.core.status import ApprovalState
from tasks.slack.notifier import SLACK_FAILURES, SlackUnavailable, destination, slack_client, slack_config
from tasks.store.approvals import (
    NotAuthorised,
    claim_reminder,
    decide,
    expire,
    overdue,
    pending_requests,
    request_approval,
    unannounced_requests,
)
from tasks.store.database import open_store
from tasks.store.models import ApprovalRequest, utcnow

APPROVE, REJECT = "steward_approve", "steward_reject"
GRACE_SECONDS = 60  # Prefect's own pause timeout only backs up Steward's expiry, never races it
log = logging.getLogger("steward.approval")


def _per_run(context: Any, _parameters: dict[str, Any]) -> str:
    """Cache key: this task in this flow run, so a suspended run re-running from the top reuses its results."""
    return f"{context.task.task_key}:{context.task_run.flow_run_id}"


# For every task before the wait: nothing is retrained or asked twice when a suspended run resumes. A policy, not
# a cache_key_fn, so that it replaces RETRY's "no cache key" when merged over it (``RETRY | CACHED``).
CACHED: dict[str, Any] = {"cache_policy": CachePolicy.from_cache_key_fn(_per_run), "persist_result": True}


class ApprovalInput(RunInput):
    """The decision a paused run waits for; the Prefect UI's Resume form is generated from it."""

    approved: bool
    approver: str = Field(description="Slack user id of the system's owner or backup.")
    reason: str | None = None


class Decision(BaseModel):
    """How a request ended, as the waiting flow sees it."""

    request_id: str
    state: ApprovalState
    decided_by: str | None = None
    reason: str | None = None
    decided_at: datetime | None = None  # when the owner clicked (or the request expired): the refresh report says it

    @classmethod
    def of(cls, request: ApprovalRequest) -> Decision:
        return cls(request_id=request.id, state=ApprovalState(request.state), decided_by=request.decided_by,
                   reason=request.reason, decided_at=request.decided_at or request.expires_at)


def _client() -> WebClient | None:
    config = slack_config()
    return slack_client(config) if config else None


def _buttons(request_id: str) -> dict[str, Any]:
    return {"type": "actions", "block_id": "steward_approval", "elements": [
        {"type": "button", "action_id": APPROVE, "style": "primary", "value": request_id,
         "text": {"type": "plain_text", "text": "Approve"}},
        {"type": "button", "action_id": REJECT, "style": "danger", "value": request_id,
         "text": {"type": "plain_text", "text": "Reject"}},
    ]}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def request_message(request: ApprovalRequest) -> tuple[str, list[dict[str, Any]]]:
    """The message as it stands: the caller's body, then buttons while pending, or the outcome."""
    message = request.payload.get("message", {})
    blocks = list(message.get("blocks", []))
    if request.state == ApprovalState.pending:
        deadline = f" · decide by {request.expires_at:%Y-%m-%d %H:%M} UTC" if request.expires_at else ""
        blocks += [_buttons(request.id), _context(f"Request `{request.id}`{deadline}")]
        return message.get("text", request.summary), blocks
    verdict = {ApprovalState.approved: ":white_check_mark: Approved", ApprovalState.rejected: ":x: Rejected",
               ApprovalState.expired: ":hourglass: Expired: not decided in time, nothing changed"}[ApprovalState(request.state)]
    who = f" by <@{request.decided_by}>" if request.state != ApprovalState.expired else ""
    when = f" at {request.decided_at:%Y-%m-%d %H:%M} UTC" if request.decided_at else ""
    blocks.append(_context(f"{verdict}{who}{when} · request `{request.id}`"))
    return f"[{request.state}] {message.get('text', request.summary)}", blocks


def ask(
    owner: Owner,
    *,
    system: str,
    action: str,
    text: str,
    blocks: list[dict[str, Any]],
    timeout: timedelta,
    payload: dict[str, Any] | None = None,
    flow_run_id: str | None = None,
    fail_fast: bool = False,
) -> str:
    """Record the request first, then post it to the owner; returns the request id.

    Without Slack the request still waits, for the Prefect UI's Resume form. When
    Slack fails, the request waits unposted and every sweep posts it once Slack
    answers; with ``fail_fast`` (someone waiting at a terminal) it is withdrawn
    instead, so nothing is posted later for a run that has ended, and
    :class:`SlackUnavailable` says so in one line.
    """
    with open_store().session() as session:
        request = request_approval(
            session, system=system, action=action, summary=text, timeout=timeout, flow_run_id=flow_run_id,
            approvers=[owner.slack_user_id, owner.backup.slack_user_id],
            payload={**(payload or {}), **message_payload(text, blocks)}, slack_channel=destination(owner),
        )
        request_id = request.id
    try:
        _post(request_id)
    except SLACK_FAILURES as exc:
        if not fail_fast:
            log.warning("approval %s not posted to Slack yet (%s); the sweep retries; the Prefect UI can still "
                        "resume the run", request_id, type(exc).__name__)
            return request_id
        with open_store().session() as session:
            expire(session, request_id, reason=f"withdrawn: Slack unreachable ({type(exc).__name__})")
        raise SlackUnavailable(f"{system}: could not ask {owner.name} in Slack ({_why(exc)}); request {request_id} withdrawn, "
                               "nothing changed") from None
    return request_id


def _why(exc: Exception) -> str:
    return str(exc) if isinstance(exc, SlackUnavailable) else f"Slack answered {type(exc).__name__}"


def message_payload(text: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """How a request keeps its message, so every later update (decided, expired) can redraw it."""
    return {"message": {"text": text, "blocks": blocks}}


def _post(request_id: str) -> None:
    """Post a recorded, still unposted request with its buttons (a no-op without Slack); raises Slack's failures."""
    if (client := _client()) is None:
        return
    with open_store().session() as session:
        request = session.get_one(ApprovalRequest, request_id)
        if request.slack_ts or not request.slack_channel or request.state != ApprovalState.pending:
            return
        text, message = request_message(request)
        reply = client.chat_postMessage(channel=request.slack_channel, text=text, blocks=message, unfurl_links=False)
        request.slack_channel, request.slack_ts = reply["channel"], reply["ts"]


def post_request(request_id: str) -> bool:
    """Post a recorded request to its owner; False when Slack failed (it stays unposted, without ``slack_ts``,
    and every sweep tries again)."""
    try:
        _post(request_id)
    except SLACK_FAILURES as exc:
        log.warning("approval %s not posted to Slack yet (%s); will retry; the Prefect UI can still resume the run",
                    request_id, type(exc).__name__)
        return False
    return True


def announce(request_id: str) -> bool:
    """Show the outcome on the request's Slack message (and tell the owner in its thread when it expired);
    False when Slack failed: the request stays unannounced and every sweep tries again."""
    client = _client()
    with open_store().session() as session:
        request = session.get_one(ApprovalRequest, request_id)
        if client is None or not request.slack_ts or not request.slack_channel or request.announced_at:
            return True
        text, blocks = request_message(request)
        try:
            client.chat_update(channel=request.slack_channel, ts=request.slack_ts, text=text, blocks=blocks)
            if request.state == ApprovalState.expired:
                owner = request.approvers[0]
                client.chat_postMessage(channel=request.slack_channel, thread_ts=request.slack_ts,
                                        text=f"<@{owner}> this request expired without a decision; nothing changed.")
        except SLACK_FAILURES as exc:
            log.warning("could not update Slack for approval %s (%s); the sweep retries", request_id,
                        type(exc).__name__)
            return False
        request.announced_at = utcnow()
    return True


def conclude(request_id: str) -> None:
    """After a decision or expiry: wake the run first (it never waits on Slack), then show the outcome."""
    with open_store().session() as session:
        request = session.get_one(ApprovalRequest, request_id)
    resume(request)
    announce(request_id)


def resume(request: ApprovalRequest) -> None:
    """Wake the waiting run with the recorded decision (the server validates it against ``ApprovalInput``)."""
    if not request.flow_run_id:
        return
    decision = ApprovalInput(approved=request.state == ApprovalState.approved,
                             approver=request.decided_by or "steward", reason=request.reason)
    try:
        resume_flow_run(request.flow_run_id, run_input=decision.model_dump(include={"approved", "approver", "reason"}))
    except NotPausedError:
        log.info("flow run %s is not paused (yet); its watcher resumes it once it pauses", request.flow_run_id)
    except Exception as exc:  # noqa: BLE001 - the run may have ended or timed out; the store keeps the decision
        log.warning("could not resume flow run %s for approval %s: %s", request.flow_run_id, request.id, exc)


def _resume_if_paused(request_id: str) -> None:
    """A decision that landed just before the run paused: deliver it now."""
    with open_store().session() as session:
        request = session.get_one(ApprovalRequest, request_id)
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(request.flow_run_id).state if request.flow_run_id else None
    if state is not None and state.is_paused():
        resume(request)


def expire_overdue(request_id: str, now: datetime | None = None) -> bool:
    """Expire a request past its deadline and wake its run; no Slack call, so Slack can never delay it.
    True when this call expired it."""
    with open_store().session() as session:
        request = session.get_one(ApprovalRequest, request_id)
        expired = overdue(request, now) and expire(session, request_id, now=now)
        if expired:
            session.refresh(request)
    if expired:
        resume(request)
    return expired


def tend(request_id: str, now: datetime | None = None) -> bool:
    """Expiry when due, then the Slack side (posting a request Slack missed, the half-time reminder, the
    outcome); True while the request is still pending."""
    now = now or utcnow()
    if expire_overdue(request_id, now):
        announce(request_id)
        return False
    with open_store().session() as session:
        request = session.get_one(ApprovalRequest, request_id)
        if request.state != ApprovalState.pending:
            return False
        unposted = not request.slack_ts
        halfway = request.expires_at and request.requested_at + (request.expires_at - request.requested_at) / 2
        remind = bool(halfway and halfway <= now) and claim_reminder(session, request_id)
    if unposted:
        post_request(request_id)  # a Slack outage delays the question; it never loses it
    if remind:
        _remind(request_id)
    return True


def _remind(request_id: str) -> None:
    client = _client()
    with open_store().session() as session:
        request = session.get_one(ApprovalRequest, request_id)
    if client is None:
        return
    owner, backup = request.approvers[0], request.approvers[1:]
    deadline = f"{request.expires_at:%Y-%m-%d %H:%M} UTC"
    try:
        if request.slack_ts and request.slack_channel:
            client.chat_postMessage(channel=request.slack_channel, thread_ts=request.slack_ts,
                                    text=f"<@{owner}> reminder: this needs your decision by {deadline}.")
        for person in backup:
            client.chat_postMessage(channel=person, text=(
                f"You are the backup approver for {request.system}: <@{owner}> has not yet decided "
                f"\"{request.summary}\" (request `{request.id}`), which expires at {deadline}. "
                "You may approve or reject it on the original message."))
    except SLACK_FAILURES as exc:
        log.warning("could not send the reminder for approval %s (%s)", request_id, type(exc).__name__)


def _watch(request_id: str, stop: threading.Event, every: float) -> None:
    """Beside a paused run: reminder, expiry, and a decision that raced the pause, until the run moves on."""
    pending = True
    while not stop.wait(every):
        try:
            if pending:
                pending = tend(request_id)
            if not pending:
                _resume_if_paused(request_id)
        except Exception:  # noqa: BLE001 - a store or API hiccup must not kill the watcher; try again next tick
            log.exception("approval watcher for %s", request_id)


def _from_input(request_id: str, given: ApprovalInput) -> Decision:
    """Apply a decision that did not come through the receiver (the Prefect UI's Resume form)."""
    with open_store().session() as session:
        request = session.get_one(ApprovalRequest, request_id)
        decided_here = False
        if request.state == ApprovalState.pending:
            try:
                decided_here = decide(session, request_id, approved=given.approved, by=given.approver,
                                      reason=given.reason)
            except NotAuthorised:
                log.warning("ignored a resume by %s: not an approver of %s", given.approver, request.system)
        decision = Decision.of(session.get_one(ApprovalRequest, request_id))
    if decided_here:
        announce(request_id)
    return decision


def await_decision(request_id: str, *, suspend: bool = False, poll_seconds: float = 10) -> Decision:
    """Wait in the flow run until the request is approved, rejected or expired.

    Paused (the process waits, a watcher thread sends the reminder and applies
    expiry) or, under a deployment, suspended (the process exits; the receiver
    tends the request and the run re-runs from the top with cached tasks, so
    the pause key is deterministic). A resume by someone who may not decide is
    ignored and the run waits again.
    """
    stop = threading.Event()
    if not suspend:
        threading.Thread(target=_watch, args=(request_id, stop, min(poll_seconds, 5.0)), daemon=True,
                         name=f"approval-{request_id[:8]}").start()
    try:
        for attempt in range(100):
            with open_store().session() as session:
                request = session.get_one(ApprovalRequest, request_id)
                if request.state != ApprovalState.pending:
                    return Decision.of(request)
                left = (request.expires_at - utcnow()).total_seconds() if request.expires_at else 86_400
            wait = max(1, int(left) + GRACE_SECONDS)
            key = f"{request_id}-{attempt}"
            try:
                if suspend:
                    given = suspend_flow_run(wait_for_input=ApprovalInput, timeout=wait, key=key)
                else:
                    given = pause_flow_run(wait_for_input=ApprovalInput, timeout=wait, key=key,
                                           poll_interval=max(1, int(poll_seconds)))
            except FlowPauseTimeout:
                with open_store().session() as session:
                    expire(session, request_id)
                announce(request_id)
                raise
            decision = _from_input(request_id, given)
            if decision.state != ApprovalState.pending:
                return decision
        raise RuntimeError(f"approval {request_id}: too many resumes without a valid decision")
    finally:
        stop.set()


def sweep(now: datetime | None = None) -> None:
    """Every pending request tended, including runs suspended with no process, then every outcome Slack has
    not shown yet. Expiry goes first for all (it needs no Slack, so it is on time whatever Slack does), and
    one request that fails never stops the others."""
    now = now or utcnow()
    with open_store().session() as session:
        ids = [r.id for r in pending_requests(session)]
    for step in (expire_overdue, tend):
        for request_id in ids:
            _guarded(step, request_id, now)
    with open_store().session() as session:
        unannounced = [r.id for r in unannounced_requests(session)]
    for request_id in unannounced:
        _guarded(announce, request_id)


def _guarded(step: Callable[..., Any], *args: Any) -> None:
    try:
        step(*args)
    except Exception:  # noqa: BLE001 - one request's store or API hiccup must not starve the others
        log.exception("approval sweep: %s%r failed", step.__name__, args[:1])


def start_sweeper(every: float) -> Callable[[], None]:
    """Run :func:`sweep`, then alert escalation, every ``every`` seconds on a daemon thread, with or without a
    Slack receiver; returns the stop, which lets a sweep under way finish (nothing runs after it returns)."""
    stopping = threading.Event()

    def loop() -> None:
        while not stopping.wait(every):
            for step in (sweep, escalate):
                if stopping.is_set():
                    break
                try:
                    step()
                except Exception:  # noqa: BLE001 - a store hiccup must not end the sweeps
                    log.exception("%s failed", step.__name__)

    thread = threading.Thread(target=loop, name="approval-sweep", daemon=True)
    thread.start()

    def stop() -> None:
        stopping.set()
        thread.join(timeout=60)

    return stop
