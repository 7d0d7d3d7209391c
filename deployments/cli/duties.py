"""``steward run``, ``steward night`` and ``steward status``: trigger a duty or a night by hand, see who must act."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from deployments.cli.app import (
    EXIT_ATTENTION,
    EXIT_OK,
    FormatOption,
    RunbooksOption,
    UsageError,
    _catalog,
    _check_format,
    app,
    err,
    out,
)
from runbooks.spec import Duty

if TYPE_CHECKING:
    from runbooks.loader import Catalog


@app.command()
def run(
    duty: Annotated[Duty, typer.Argument(help="drift | outcomes | cost | compliance | refresh | change-review")],
    system: Annotated[str, typer.Argument(help="The system id from its runbook.")],
    window: Annotated[str | None, typer.Option(help="YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD (default: the duty's own, e.g. yesterday, UTC).")] = None,
    month: Annotated[str | None, typer.Option(help="A calendar month, YYYY-MM (the cost review's period).")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day of the period, YYYY-MM-DD (with --to).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day of the period, inclusive, YYYY-MM-DD.")] = None,
    deployment: Annotated[bool, typer.Option("--deployment", help="Create the run through the Prefect API (steward up/serve must be running), so it shows in the UI.")] = False,
    wait: Annotated[bool, typer.Option(help="With --deployment: follow the run to its final state.")] = True,
    candidate: Annotated[list[str] | None, typer.Option("--candidate", help="change-review: prompt=VERSION, model=NAME or ROUTE.model=NAME (repeatable).")] = None,
    fmt: FormatOption = "table",
    runbooks: RunbooksOption = None,
) -> None:
    """Run one duty for one system now (the manual runbook trigger)."""
    _check_format(fmt)
    from flows.registry import duty_flow

    catalog = _catalog(runbooks)
    spec = catalog.get(system)
    if duty not in spec.duties():
        raise UsageError(f"{system}'s runbook has no enabled '{duty.value}' section")
    window = _period(window, month, start, end)
    if candidate and duty is not Duty.change_review:
        raise UsageError("--candidate is for change-review")
    if candidate and deployment:
        raise UsageError("--candidate runs here: drop --deployment (the run still shows in the Prefect UI)")
    if duty is Duty.change_review and not candidate:
        raise UsageError("change-review needs --candidate, e.g. --candidate prompt=support-v4 or model=gpt-4o-mini")
    if deployment:
        _run_deployment(catalog, duty, system, window, wait, fmt)
    flow = duty_flow(duty)
    with err.status(f"running {duty.value} for {system} through Prefect…"):
        extra = {"candidate": candidate} if candidate else {}
        report = flow(system=system, window=window, runbooks=str(runbooks) if runbooks else None, **extra)
    if fmt == "json":
        print(report.model_dump_json(indent=2))
    else:
        _print_report(report)
    raise typer.Exit(EXIT_ATTENTION if report.needs_attention() else EXIT_OK)


@app.command()
def night(
    shard: Annotated[str, typer.Option(help="This share of the fleet, i/n: systems dealt round-robin by name.")] = "1/1",
    duty: Annotated[list[Duty] | None, typer.Option("--duty", help="Only this duty (repeatable; default: every "
                                                    "scheduled drift, outcomes, cost and compliance duty).")] = None,
    fmt: FormatOption = "table",
    runbooks: RunbooksOption = None,
) -> None:
    """Run the night by hand: every scheduled duty (default windows) of the shard's systems, as tasks of one Prefect
    flow run (the nightly batch; a failed duty alerts its owner and the rest go on)."""
    _check_format(fmt)
    from tasks.common.night import Shard

    Shard.parse(shard)  # refused before Prefect starts
    from flows.fleet_night import nightly_batch

    with err.status(f"running the night of shard {shard} through Prefect…"):
        state = nightly_batch(shard=shard, duties=duty, runbooks=str(runbooks) if runbooks else None,
                              return_state=True)
    summary = state.result(raise_on_failure=False)
    if isinstance(summary, BaseException):  # the batch could not start (e.g. a duty that is never batched)
        raise summary
    if fmt == "json":
        print(summary.model_dump_json(indent=2))
    else:
        for label, why in summary.failed.items():
            out.print(f"  [red]failed[/red] {escape(label)}: {escape(why)}")
        for label in summary.attention:
            out.print(f"  [red]{escape(summary.done[label])}[/red] {escape(label)}")
        out.print(escape(summary.headline()))
    raise typer.Exit(EXIT_ATTENTION if summary.failed or summary.attention else EXIT_OK)


def _period(window: str | None, month: str | None, start: str | None, end: str | None) -> str | None:
    """One window label from whichever of --window, --month or --from/--to was given (validated)."""
    from tasks.core.windows import Window

    if sum(x is not None for x in (window, month, start or end)) > 1:
        raise UsageError("give one of --window, --month or --from/--to")
    if month:
        return Window.month(month).label()
    if start or end:
        if not (start and end):
            raise UsageError("--from and --to go together")
        window = f"{start}..{end}"
    return Window.parse(window).label() if window else None


def _run_deployment(catalog: Catalog, duty: Duty, system: str, window: str | None, wait: bool, fmt: str) -> None:
    """Create the run through the Prefect API; report the duty's stored verdict once it has finished."""
    from deployments.plan import plan_deployments
    from deployments.serve import trigger
    from tasks.store.database import open_store
    from tasks.store.models import CheckResult

    [plan] = [p for p in plan_deployments(catalog) if (p.duty, p.system) == (duty, system)]
    say = (lambda msg: err.print(msg, markup=False)) if fmt == "json" else (lambda msg: out.print(msg, markup=False))
    run = trigger(plan, window, wait=wait, progress=say)
    with open_store().session() as session:
        result = session.query(CheckResult).filter_by(flow_run_id=run.flow_run_id).one_or_none()
        verdict = {"status": result.status, "headline": result.headline} if result else None
    if fmt == "json":
        print(json.dumps({**run.model_dump(), "result": verdict}, indent=2))
    elif verdict:
        out.print(f"{system} · {duty.value}: {verdict['status']} — {verdict['headline']}", markup=False)
    if run.state in ("FAILED", "CRASHED", "CANCELLED"):
        raise typer.Exit(EXIT_ATTENTION)
    raise typer.Exit(EXIT_ATTENTION if verdict and verdict["status"] in ("attention", "failed") else EXIT_OK)


def _print_report(report) -> None:  # type: ignore[no-untyped-def]
    from tasks.slack.notifier import describe_destination
    from tasks.store.database import open_store
    from tasks.store.models import Alert

    colour = {"healthy": "green", "attention": "red", "failed": "red"}.get(report.status.value, "yellow")
    out.print(f"[bold]{report.system} · {report.duty.value} · {report.window.label()}[/bold]  "
              f"[{colour}]{report.status.value}[/{colour}]")
    out.print(report.headline)
    for finding in report.findings:
        out.print(escape(f"  [{finding.severity}] {finding.title}" + (f" — {finding.detail}" if finding.detail else "")))
    with open_store().session() as session:
        for ref in report.alerts:
            alert = session.get_one(Alert, ref.id)
            verb = "opened" if ref.new else ref.state
            out.print(f"  alert #{alert.id} {verb}: {describe_destination(alert)}; playbook {alert.playbook}")
    if report.report_path:
        out.print(f"report: {report.report_path}")


@app.command()
def status(runbooks: RunbooksOption = None, fmt: FormatOption = "table") -> None:
    """Per system: owner, last run of each duty, open alerts and their timeline, MTTA/MTTR, SLA state."""
    _check_format(fmt)
    from deployments.cli.alerts import alert_view
    from deployments.plan import plan_deployments
    from runbooks.spec import format_duration
    from tasks.store.alerts import active_alerts, system_response_times, timeline
    from tasks.store.database import open_store
    from tasks.store.results import latest_judged, latest_results

    catalog = _catalog(runbooks)
    plans = {(p.system, p.duty): p for p in plan_deployments(catalog)}
    summary: dict[str, dict] = {}
    with open_store().session() as session:
        for name, spec in sorted(catalog.specs.items()):
            latest = latest_results(session, name)
            alerts = active_alerts(session, name)
            sla = latest_judged(session, name, Duty.outcomes.value)
            times = system_response_times(session, name)
            summary[name] = {
                "owner": f"{spec.owner.name} ({spec.owner.role})",
                "duties": {
                    d.value: (
                        {"window": f"{r.window_start:%Y-%m-%d}", "status": r.status, "headline": r.headline,
                         "ran_at": f"{r.updated_at:%Y-%m-%d %H:%M} UTC"}
                        if (r := latest.get(d.value)) else None
                    )
                    for d in spec.duties()
                },
                "open_alerts": [alert_view(a, timeline(session, a.id)) for a in alerts],
                "response_30d": {"alerts": times.alerts,
                                 "mtta": format_duration(times.mtta) if times.mtta is not None else None,
                                 "mttr": format_duration(times.mttr) if times.mttr is not None else None},
                "sla": "unknown (no outcome review judged yet)" if sla is None else f"{sla.status} ({sla.window_start:%Y-%m-%d})",
                "triggers": {
                    d.value: {"schedule": p.when,
                              "cli": f"steward run {d.value} {name} --deployment",
                              "prefect": f"prefect deployment run '{p.full_name}'"}
                    for d in spec.duties() if (p := plans.get((name, d)))
                },
            }
    if fmt == "json":
        print(json.dumps(summary, indent=2))
    else:
        from deployments.server_record import recorded_server

        if server := recorded_server():
            out.print(f"Prefect server: {server.api_url.removesuffix('/api')} (steward up, pid {server.pid})",
                      markup=False)
        for name, info in summary.items():
            out.print(f"[bold]{name}[/bold]  owner {info['owner']}  SLA: {info['sla']}")
            times = info["response_30d"]
            out.print(f"  response (30 days, {times['alerts']} alerts): MTTA {times['mtta'] or 'n/a'} · "
                      f"MTTR {times['mttr'] or 'n/a'}", markup=False)
            for duty, last in info["duties"].items():
                line = f"{last['window']} {last['status']}: {last['headline']}" if last else "never run"
                out.print(f"  {duty:<11} {line}")
            for a in info["open_alerts"]:
                out.print(f"  [red]alert #{a['id']}[/red] {a['duty']} {a['severity']} {a['state']} since {a['since']}"
                          f" (seen {a['seen']}×): {a['title']} — {a['delivery']}")
                for step in a["timeline"]:
                    note = f": {step['note']}" if step["note"] else ""
                    out.print(f"    {step['at']} {step['event']} by {step['by']}{note}", markup=False)
            if not info["open_alerts"]:
                out.print("  no open alerts")
            for duty, trig in info["triggers"].items():
                out.print(f"  trigger {duty:<11} {trig['schedule']:<24} {trig['cli']}  ·  {trig['prefect']}", markup=False)
    raise typer.Exit(EXIT_ATTENTION if any(i["open_alerts"] for i in summary.values()) else EXIT_OK)

