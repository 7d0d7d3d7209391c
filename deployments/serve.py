"""Serve every runbook's deployments from one process (no work pool), and trigger them by hand.

``prefect.serve`` registers one deployment per (duty, system) with the runbook's
cron and timezone and runs what comes due. ``pause_on_shutdown=False`` keeps the
schedules active in the server while the process is down, so a restart loses none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from deployments.plan import DeploymentPlan
from flows.registry import load_flow
from tasks.core.errors import StewardError

if TYPE_CHECKING:
    from deployments.receiver import Site
    from runbooks.loader import Catalog

TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


class NoPrefectServer(StewardError):
    """A deployment needs a running Prefect server; the message says how to get one."""


def runner_deployments(plans: list[DeploymentPlan]) -> list[Any]:
    from prefect.schedules import Cron

    return [
        load_flow(p.flow).to_deployment(
            name=p.name,
            schedule=Cron(p.cron, timezone=p.timezone) if p.cron else None,
            parameters=p.parameters,
            description=p.description,
            tags=p.tags,
        )
        for p in plans
    ]


class Served(BaseModel):
    """Where the HTTP side of ``steward serve`` answers: the reports (and their index), and clicks."""

    reports_url: str
    receiver_url: str | None = None


def serve_plans(plans: list[DeploymentPlan], limit: int, receiver_port: int, say: Callable[[str], None],
                on_ready: Callable[[Served], None] = lambda _served: None, catalog: Catalog | None = None) -> None:
    """Block, running scheduled and triggered runs, serving reports and answering approval clicks, until
    Ctrl-C or SIGTERM.

    The ready line (and ``on_ready``) comes only once every deployment is registered and the report
    server (with the receiver) answers, so whoever waits for it can trigger runs, open reports and click.
    Unless ``STEWARD_PUBLIC_URL`` says where users reach it, links point at this server itself.
    """
    import asyncio
    import os

    from prefect.exceptions import TerminationSignal
    from prefect.runner import Runner

    served, stop_receiver = start_receiver(receiver_port, say, catalog)
    try:
        if not os.environ.get("STEWARD_PUBLIC_URL"):  # before any flow run starts: they inherit it
            os.environ["STEWARD_PUBLIC_URL"] = served.reports_url
            say(f"report links point at {served.reports_url} (set STEWARD_PUBLIC_URL to the address users reach)")
        runner = Runner(pause_on_shutdown=False, limit=limit)
        for deployment in runner_deployments(plans):
            runner.add_deployment(deployment)  # registers it with the API, schedule included
        wait_until_answering(served.reports_url)
        on_ready(served)
        say(f"ready: {len(plans)} deployment(s) registered, reports at {served.reports_url}/"
            + (f", approvals at {served.receiver_url}" if served.receiver_url else "") + "; Ctrl-C stops")
        try:
            asyncio.run(runner.start())
        except (KeyboardInterrupt, TerminationSignal):
            pass
    finally:
        stop_receiver()


def wait_until_answering(base_url: str, timeout: float = 10) -> None:
    """Until the report server (and receiver) answers HTTP on its health route."""
    import time
    import urllib.request

    from deployments.receiver import HEALTH

    health = base_url + HEALTH
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(health, timeout=2):  # noqa: S310 - our own loopback receiver
                return
        except OSError:
            if time.monotonic() > deadline:
                raise StewardError(f"the report server does not answer at {health}") from None
            time.sleep(0.1)


def report_site(catalog: Catalog | None) -> Site:
    """The reports folder and its index, rendered fresh from the ops store on every visit."""
    from deployments.receiver import Site
    from runbooks.loader import load_catalog
    from tasks.render.index import gather_index, index_html
    from tasks.render.links import reports_dir
    from tasks.store.database import open_store

    def index(base: str) -> str:
        with open_store().session() as session:
            return index_html(gather_index(session, catalog or load_catalog()), base)

    return Site(reports=reports_dir(), index=index)


def start_receiver(port: int, say: Callable[[str], None], catalog: Catalog | None = None,
                   host: str = "127.0.0.1") -> tuple[Served, Callable[[], None]]:
    """The report server, with the Slack approval receiver when a signing secret is configured; without
    one, pending approvals are still swept (reminders, expiry), so a suspended run ends Expired, not Failed.
    Returns where it answers and the stop."""
    from deployments.receiver import SWEEP_SECONDS, Receiver, signing_secret, start

    try:
        receiver: Receiver | None = Receiver(signing_secret())
    except StewardError:
        receiver = None
        say("approval receiver off: no Slack signing secret (STEWARD_SLACK_SIGNING_SECRET); "
            "owners can still decide with the Resume form of the paused run in the Prefect UI")
    try:
        server, stop = start(receiver, host, port, sweep_seconds=SWEEP_SECONDS, site=report_site(catalog))
    except OSError as exc:
        raise StewardError(f"the report server cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    assert server is not None
    served = Served(reports_url=server.base_url, receiver_url=server.url if receiver else None)
    say(f"reports: {served.reports_url}/" + (f" · approval receiver: {served.receiver_url}" if receiver else ""))
    return served, stop


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

    parameters: dict[str, Any] = dict(plan.parameters)
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
