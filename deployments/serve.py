"""Serve every runbook's deployments from one process (no work pool), and trigger them by hand.

``prefect.serve`` registers one deployment per (duty, system) with the runbook's
cron and timezone and runs what comes due. ``pause_on_shutdown=False`` keeps the
schedules active in the server while the process is down, so a restart loses none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from deployments.plan import DeploymentPlan
from flows.registry import flow_path, load_flow
from tasks.core.errors import StewardError

TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


class NoPrefectServer(StewardError):
    """A deployment needs a running Prefect server; the message says how to get one."""


def runner_deployments(plans: list[DeploymentPlan]) -> list[Any]:
    from prefect.schedules import Cron

    return [
        load_flow(flow_path(p.duty)).to_deployment(
            name=p.system,
            schedule=Cron(p.cron, timezone=p.timezone) if p.cron else None,
            parameters={"system": p.system},
            description=p.description,
            tags=["steward", p.duty.value if p.duty else "owner-report", p.system],
        )
        for p in plans
    ]


def serve_plans(plans: list[DeploymentPlan], limit: int, receiver_port: int, say: Callable[[str], None],
                on_ready: Callable[[str | None], None] = lambda _receiver: None) -> None:
    """Block, running scheduled and triggered runs and answering approval clicks, until Ctrl-C or SIGTERM.

    The ready line (and ``on_ready``, given the receiver's URL or None) comes only once every deployment
    is registered and the receiver answers, so whoever waits for it can trigger runs and click at once.
    """
    import asyncio

    from prefect.exceptions import TerminationSignal
    from prefect.runner import Runner

    receiver_url, stop_receiver = start_receiver(receiver_port, say)
    try:
        runner = Runner(pause_on_shutdown=False, limit=limit)
        for deployment in runner_deployments(plans):
            runner.add_deployment(deployment)  # registers it with the API, schedule included
        if receiver_url:
            wait_until_answering(receiver_url)
        on_ready(receiver_url)
        say(f"ready: {len(plans)} deployment(s) registered"
            + (f", approvals at {receiver_url}" if receiver_url else "") + "; Ctrl-C stops")
        try:
            asyncio.run(runner.start())
        except (KeyboardInterrupt, TerminationSignal):
            pass
    finally:
        stop_receiver()


def wait_until_answering(events_url: str, timeout: float = 10) -> None:
    """Until the receiver answers HTTP on its health route."""
    import time
    import urllib.request

    from deployments.receiver import HEALTH, PATH

    health = events_url.removesuffix(PATH) + HEALTH
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(health, timeout=2):  # noqa: S310 - our own loopback receiver
                return
        except OSError:
            if time.monotonic() > deadline:
                raise StewardError(f"the approval receiver does not answer at {health}") from None
            time.sleep(0.1)


def start_receiver(port: int, say: Callable[[str], None], host: str = "127.0.0.1") -> tuple[str | None, Callable[[], None]]:
    """The Slack approval receiver beside the deployments, when a signing secret is configured; without one,
    pending approvals are still swept (reminders, expiry), so a suspended run ends Expired, not Failed.
    Returns the receiver's URL (None when off) and the stop."""
    from deployments.receiver import SWEEP_SECONDS, Receiver, signing_secret, start
    from tasks.approvals.workflow import start_sweeper

    try:
        secret = signing_secret()
    except StewardError:
        say("approval receiver off: no Slack signing secret (STEWARD_SLACK_SIGNING_SECRET); "
            "owners can still decide with the Resume form of the paused run in the Prefect UI")
        return None, start_sweeper(SWEEP_SECONDS)
    try:
        url, stop = start(Receiver(secret), host, port)
    except OSError as exc:
        raise StewardError(f"the approval receiver cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    say(f"approval receiver: {url}")
    return url, stop


class TriggeredRun(BaseModel):
    """What ``steward run --deployment`` prints (and returns as JSON)."""

    flow_run_id: str
    deployment: str
    state: str
    url: str


def api_url_or_fail() -> str:
    """The configured Prefect API (PREFECT_API_URL), which ``steward serve`` serves against."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        raise NoPrefectServer("no Prefect server to create the run in: start one with 'steward up' "
                              "(or set PREFECT_API_URL)")
    return str(url)


def target_api_url() -> str:
    """Where to create runs: PREFECT_API_URL when set, else the server a running ``steward up`` recorded
    under ``$STEWARD_HOME``, so nothing needs exporting."""
    from prefect.settings import PREFECT_API_URL

    from deployments.server_record import recorded_server

    if not PREFECT_API_URL.value() and (record := recorded_server()):
        return record.api_url
    return api_url_or_fail()


def run_url(flow_run_id: str) -> str:
    from prefect.settings import PREFECT_UI_URL

    ui = PREFECT_UI_URL.value() or target_api_url().removesuffix("/api")
    return f"{str(ui).rstrip('/')}/runs/flow-run/{flow_run_id}"


def trigger(plan: DeploymentPlan, window: str | None, wait: bool,
            progress: Callable[[str], None] = lambda _msg: None) -> TriggeredRun:
    """Create a run of ``plan``'s deployment through the API; with ``wait``, follow it to its final state."""
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import PREFECT_API_URL, temporary_settings

    parameters: dict[str, Any] = {"system": plan.system}
    if window:
        parameters["window"] = window
    with temporary_settings({PREFECT_API_URL: target_api_url()}):
        try:
            run = run_deployment(plan.full_name, parameters=parameters, timeout=0, as_subflow=False)
        except ObjectNotFound:
            raise NoPrefectServer(f"deployment {plan.full_name!r} is not registered: is 'steward serve' "
                                  "(or 'steward up') running against this server?") from None
        except Exception as exc:  # noqa: BLE001 - httpx and Prefect raise several types for an unreachable API
            raise NoPrefectServer(f"cannot reach the Prefect API ({type(exc).__name__}); is 'steward up' running?") from None
        progress(f"created run {run.id} of {plan.full_name}: {run_url(str(run.id))}")
        state = run.state.type.value if run.state else "PENDING"
        if wait:
            state = follow(str(run.id), progress)
        return TriggeredRun(flow_run_id=str(run.id), deployment=plan.full_name, state=state, url=run_url(str(run.id)))


def follow(flow_run_id: str, progress: Callable[[str], None], poll_seconds: float = 2.0) -> str:
    """Poll a run until it ends (or pauses for a decision); report each state change."""
    import time

    from prefect.client.orchestration import get_client

    last = ""
    with get_client(sync_client=True) as client:
        while True:
            state = client.read_flow_run(flow_run_id).state
            kind = state.type.value if state else "PENDING"
            if state and state.name != last:
                last = state.name
                progress(f"run {flow_run_id}: {state.name}")
            if kind in TERMINAL or kind == "PAUSED":
                return kind
            time.sleep(poll_seconds)
