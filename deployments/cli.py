"""The ``steward`` command: validate runbooks, trigger duties by hand, see who must act.

Exit codes: 0 healthy; 1 findings that need attention; 2 a usage, configuration, data or
window error (a ``StewardError``: one line on stderr, never a traceback); 70 (EX_SOFTWARE) an
internal error, that is a bug: one line naming the exception, and its traceback only when
``STEWARD_DEBUG=1``.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from runbooks.spec import DriftSection, Duty
from tasks.core.errors import StewardError, field_problems, one_line

if TYPE_CHECKING:
    from runbooks.loader import Catalog

M = TypeVar("M", bound=BaseModel)
EXIT_OK, EXIT_ATTENTION, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70  # 70: EX_SOFTWARE (sysexits.h)

app = typer.Typer(
    help="Steward: operations runbooks that keep production AI systems owned, measured and safe.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

# The CLI speaks for itself on the console; Prefect's run logs (tracebacks included)
# still reach the Prefect API and UI. Export these variables to see them here too.
# Set before Prefect is first imported.
QUIET_PREFECT = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_TASK_RUNS_LEVEL": "CRITICAL",
}


class UsageError(StewardError):
    """A user or configuration error: shown as one line, exit code 2."""


RunbooksOption = Annotated[
    Path | None, typer.Option("--runbooks", help="Runbooks folder (default: $STEWARD_RUNBOOKS or ./runbooks).")
]
FormatOption = Annotated[str, typer.Option("--format", help="table or json.")]
ReceiverPortOption = Annotated[int, typer.Option(help="Approval receiver port (Slack's Request URL: POST /slack/events).")]


def _catalog(path: Path | None) -> Catalog:
    from runbooks.loader import load_catalog

    catalog = load_catalog(path)
    if catalog.problems:
        raise UsageError(
            f"{len(catalog.problems)} runbook problem(s); run 'steward validate' for details. First: {catalog.problems[0]}"
        )
    return catalog


def _from_flags(model: type[M], **flags: Any) -> M:
    """``model`` built from command-line flags; a value it refuses is one line naming the flag."""
    try:
        return model(**flags)
    except ValidationError as exc:
        raise UsageError("; ".join(str(p._replace(loc=(f"--{p.field.replace('_', '-')}",)))
                                   for p in field_problems(exc))) from None


def _check_format(fmt: str) -> None:
    if fmt not in ("table", "json"):
        raise UsageError(f"--format must be 'table' or 'json', not {fmt!r}")


@app.command()
def validate(
    path: Annotated[Path | None, typer.Argument(help="A runbook file or folder (default: runbooks/).")] = None,
    fmt: FormatOption = "table",
) -> None:
    """Check runbook specs: one line per problem (file:line: field: message), exit 2 if any."""
    _check_format(fmt)
    from runbooks.loader import load_catalog

    catalog = load_catalog(path)
    if fmt == "json":
        out.print_json(json.dumps({"valid": not catalog.problems, "systems": sorted(catalog.specs),
                                   "problems": [p.model_dump() for p in catalog.problems]}))
    else:
        for problem in catalog.problems:
            print(str(problem))
        if not catalog.problems:
            out.print(f"ok: {len(catalog.specs)} runbook(s) valid: {', '.join(sorted(catalog.specs))}")
    raise typer.Exit(EXIT_USAGE if catalog.problems else EXIT_OK)


@app.command()
def systems(runbooks: RunbooksOption = None) -> None:
    """List each system with its owner, its duties and their schedules."""
    catalog = _catalog(runbooks)
    table = Table("system", "kind", "owner", "duty", "schedule", "playbook", box=None)
    for name, spec in sorted(catalog.specs.items()):
        owner = f"{spec.owner.name} ({spec.owner.role}); backup {spec.owner.backup.name}"
        for i, (duty, section) in enumerate(spec.duties().items()):
            schedule = f"{section.schedule.cron} {section.schedule.timezone}" if section.schedule else "manual"
            table.add_row(name if i == 0 else "", spec.kind.value if i == 0 else "", owner if i == 0 else "",
                          duty.value, schedule, spec.playbook(duty))
    out.print(table)


@app.command()
def run(
    duty: Annotated[Duty, typer.Argument(help="drift | outcomes | cost | compliance | refresh")],
    system: Annotated[str, typer.Argument(help="The system id from its runbook.")],
    window: Annotated[str | None, typer.Option(help="YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD (default: the duty's own, e.g. yesterday, UTC).")] = None,
    month: Annotated[str | None, typer.Option(help="A calendar month, YYYY-MM (the cost review's period).")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day of the period, YYYY-MM-DD (with --to).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day of the period, inclusive, YYYY-MM-DD.")] = None,
    deployment: Annotated[bool, typer.Option("--deployment", help="Create the run through the Prefect API (steward up/serve must be running), so it shows in the UI.")] = False,
    wait: Annotated[bool, typer.Option(help="With --deployment: follow the run to its final state.")] = True,
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
    if deployment:
        _run_deployment(catalog, duty, system, window, wait, fmt)
    flow = duty_flow(duty)
    with err.status(f"running {duty.value} for {system} through Prefect…"):
        report = flow(system=system, window=window, runbooks=str(runbooks) if runbooks else None)
    if fmt == "json":
        print(report.model_dump_json(indent=2))
    else:
        _print_report(report)
    raise typer.Exit(EXIT_ATTENTION if report.needs_attention() else EXIT_OK)


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
    """Per system: owner, last run of each duty, open alerts, SLA state."""
    _check_format(fmt)
    from tasks.slack.notifier import describe_destination
    from tasks.store.alerts import active_alerts
    from tasks.store.database import open_store
    from tasks.store.results import latest_judged, latest_results

    from deployments.plan import plan_deployments

    catalog = _catalog(runbooks)
    plans = {(p.system, p.duty): p for p in plan_deployments(catalog)}
    summary: dict[str, dict] = {}
    with open_store().session() as session:
        for name, spec in sorted(catalog.specs.items()):
            latest = latest_results(session, name)
            alerts = active_alerts(session, name)
            sla = latest_judged(session, name, Duty.outcomes.value)
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
                "open_alerts": [
                    {"id": a.id, "duty": a.duty, "severity": a.severity, "state": a.state, "title": a.title,
                     "since": f"{a.first_seen:%Y-%m-%d}", "seen": a.occurrences, "delivery": describe_destination(a)}
                    for a in alerts
                ],
                "sla": "unknown (no outcome review judged yet)" if sla is None else f"{sla.status} ({sla.window_start:%Y-%m-%d})",
                "triggers": {
                    d.value: {"schedule": f"{p.cron} {p.timezone}" if p.cron else "manual",
                              "cli": f"steward run {d.value} {name} --deployment",
                              "prefect": f"prefect deployment run '{p.full_name}'"}
                    for d in spec.duties() if (p := plans.get((name, d)))
                },
            }
    if fmt == "json":
        print(json.dumps(summary, indent=2))
    else:
        from deployments.up import recorded_server

        if server := recorded_server():
            out.print(f"Prefect server: {server.api_url.removesuffix('/api')} (steward up, pid {server.pid})",
                      markup=False)
        for name, info in summary.items():
            out.print(f"[bold]{name}[/bold]  owner {info['owner']}  SLA: {info['sla']}")
            for duty, last in info["duties"].items():
                line = f"{last['window']} {last['status']}: {last['headline']}" if last else "never run"
                out.print(f"  {duty:<11} {line}")
            for a in info["open_alerts"]:
                out.print(f"  [red]alert #{a['id']}[/red] {a['duty']} {a['severity']} {a['state']} since {a['since']}"
                          f" (seen {a['seen']}×): {a['title']} — {a['delivery']}")
            if not info["open_alerts"]:
                out.print("  no open alerts")
            for duty, trig in info["triggers"].items():
                out.print(f"  trigger {duty:<11} {trig['schedule']:<24} {trig['cli']}  ·  {trig['prefect']}", markup=False)
    raise typer.Exit(EXIT_ATTENTION if any(i["open_alerts"] for i in summary.values()) else EXIT_OK)


@app.command()
def baseline(
    system: Annotated[str, typer.Argument(help="The system id from its runbook.")],
    start: Annotated[str | None, typer.Option("--from", help="First day of the reference period, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day of the reference period (inclusive).")] = None,
    snapshot: Annotated[str | None, typer.Option(help="Or: a training snapshot (Parquet or CSV) with the same columns.")] = None,
    runbooks: RunbooksOption = None,
) -> None:
    """Build and store a new drift baseline (reference profile): a period of the log, or a training snapshot."""
    import getpass

    from tasks.drift.baseline import create_baseline, create_baseline_from_file
    from tasks.core.windows import Window

    spec = _catalog(runbooks).get(system)
    if spec.drift is None:
        raise UsageError(f"{system}'s runbook has no drift section")
    if snapshot and (start or end):
        raise UsageError("give either --snapshot or --from/--to, not both")
    if snapshot:
        with err.status(f"profiling {snapshot}…"):
            record = create_baseline_from_file(spec, snapshot, actor=getpass.getuser())
        out.print(f"{system}: baseline v{record.version} from snapshot {snapshot} ({record.rows:,} rows) is now in force")
        return
    if not (start and end):
        raise UsageError("give --from and --to (a period of the log), or --snapshot FILE")
    window = Window.parse(f"{start}..{end}")
    with err.status(f"profiling {system} over {window.label()}…"):
        record = create_baseline(spec, window, actor=getpass.getuser())
    out.print(f"{system}: baseline v{record.version} from {window.label()} ({record.rows:,} rows) is now in force")


@app.command("drift")
def drift_files(
    reference: Annotated[str, typer.Argument(help="Reference data: a Parquet or CSV file.")],
    current: Annotated[str, typer.Argument(help="Current data to judge against it.")],
    columns: Annotated[str | None, typer.Option(help="Comma-separated columns (default: all in the reference).")] = None,
    fmt: FormatOption = "table",
    psi: Annotated[float, typer.Option(help="PSI threshold for numeric columns.")] = 0.2,
    jensen_shannon: Annotated[float, typer.Option(help="Jensen-Shannon threshold for categorical columns.")] = 0.1,
    wasserstein: Annotated[float, typer.Option(help="Normalised Wasserstein threshold for numeric columns.")] = 0.1,
    min_rows: Annotated[int, typer.Option(min=1, help="Fewer values in a column of either file: 'insufficient "
                                          "data', no verdict (a runbook's drift.min_rows).")] = DriftSection.model_fields["min_rows"].default,
) -> None:
    """Ad-hoc drift between two files; exit 1 when any column drifted."""
    _check_format(fmt)
    from runbooks.spec import DriftThresholds
    from tasks.drift.stats import compare_profiles
    from tasks.io.files import profile_file

    thresholds = _from_flags(DriftThresholds, psi=psi, jensen_shannon=jensen_shannon, wasserstein=wasserstein)
    wanted = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    reference_profile = profile_file(reference, wanted)
    current_profile = profile_file(current, reference=reference_profile)
    results = compare_profiles(reference_profile, current_profile, thresholds, min_rows)
    drifted = [r.name for r in results if r.drifted]
    unjudged = [r.name for r in results if r.score is None]
    if fmt == "json":
        keys = {"name", "kind", "method", "score", "threshold", "drifted", "p_value", "note"}
        print(json.dumps({"columns": [r.model_dump(include=keys) for r in results], "drifted": drifted}))
    else:
        table = Table("column", "kind", "method", "score", "threshold", "drifted", "p-value (secondary)", "note", box=None)
        for r in results:
            score = "-" if r.score is None else f"{r.score:.4f}"
            p_value = "-" if r.p_value is None else f"{r.p_value:.2g}"
            new = f"new: {', '.join(r.new_categories[:5])}" if r.new_categories else ""
            table.add_row(r.name, r.kind, r.method, score, str(r.threshold), "yes" if r.drifted else "no", p_value,
                          r.note or new)
        out.print(table)
        out.print(f"{len(drifted)} of {len(results)} columns drifted" + (f": {', '.join(drifted)}" if drifted else "")
                  + (f"; insufficient data in {len(unjudged)}: {', '.join(unjudged)}" if unjudged else ""))
    raise typer.Exit(EXIT_ATTENTION if drifted else EXIT_OK)


@app.command("deployments")
def list_deployments(
    write: Annotated[Path | None, typer.Option(help="Write prefect.yaml (work-pool deployments) to this path.")] = None,
    runbooks: RunbooksOption = None,
) -> None:
    """The deployments the runbooks ask for: one per (duty, system), with its schedule."""
    from deployments.plan import plan_deployments, render_prefect_yaml

    plans = plan_deployments(_catalog(runbooks))
    if write:
        write.write_text(render_prefect_yaml(plans), encoding="utf-8")
        out.print(f"wrote {len(plans)} deployment(s) to {write}")
        return
    table = Table("deployment", "schedule", "entrypoint", box=None)
    for p in plans:
        table.add_row(p.full_name, f"{p.cron} ({p.timezone})" if p.cron else "manual", p.entrypoint)
    out.print(table)


@app.command()
def serve(
    limit: Annotated[int, typer.Option(min=1, help="Runs at once.")] = 4,
    receiver_port: ReceiverPortOption = 3000,
    runbooks: RunbooksOption = None,
) -> None:
    """Serve every runbook's deployments and the approval receiver against PREFECT_API_URL, until Ctrl-C."""
    from deployments.plan import plan_deployments
    from deployments.serve import api_url_or_fail, serve_plans

    plans = plan_deployments(_catalog(runbooks))
    api = api_url_or_fail()
    out.print(f"serving {len(plans)} deployment(s) against {api}; Ctrl-C stops", markup=False)
    serve_plans(plans, limit=limit, receiver_port=receiver_port, say=lambda msg: out.print(msg, markup=False))


@app.command()
def up(
    port: Annotated[int, typer.Option(help="Prefect server and UI port.")] = 4200,
    host: Annotated[str, typer.Option(help="Bind address (keep loopback unless behind a proxy).")] = "127.0.0.1",
    limit: Annotated[int, typer.Option(min=1, help="Runs at once.")] = 4,
    receiver_port: ReceiverPortOption = 3000,
    runbooks: RunbooksOption = None,
) -> None:
    """Start a local Prefect server with its UI, the ops store, every deployment and the approval receiver."""
    from deployments.plan import plan_deployments
    from deployments.up import run_up

    plans = plan_deployments(_catalog(runbooks))
    run_up(plans, host=host, port=port, limit=limit, receiver_port=receiver_port,
           say=lambda msg: out.print(msg, markup=False))


@app.command()
def models(
    system: Annotated[str, typer.Argument(help="The system id from its runbook.")],
    fmt: FormatOption = "table",
    runbooks: RunbooksOption = None,
) -> None:
    """The model registry of one system: its versions, and which version served under each alias when."""
    _check_format(fmt)
    from tasks.store.database import open_store
    from tasks.store.registry import alias_history, versions

    _catalog(runbooks).get(system)
    with open_store().session() as session:
        rows = [{"version": v.version, "artifact": v.artifact_uri, "metrics": v.metrics,
                 "training": f"{v.training_start:%Y-%m-%d}..{v.training_end:%Y-%m-%d}" if v.training_start and v.training_end else None,
                 "data_fingerprint": v.data_fingerprint, "code_version": v.code_version,
                 "created_at": f"{v.created_at:%Y-%m-%d %H:%M} UTC"} for v in versions(session, system)]
        history = [{"at": f"{c.changed_at:%Y-%m-%d %H:%M:%S} UTC", "alias": c.alias, "version": c.version,
                    "previous": c.previous_version, "actor": c.actor, "reason": c.reason, "approval_id": c.approval_id}
                   for c in alias_history(session, system)]
    if fmt == "json":
        print(json.dumps({"versions": rows, "alias_history": history}, indent=2))
        return
    table = Table("version", "artifact", "training window", "data fingerprint", "code version", "pr_auc", box=None)
    for r in rows:
        table.add_row(f"v{r['version']}", r["artifact"], r["training"] or "-", (r["data_fingerprint"] or "-")[:12],
                      r["code_version"] or "-", str(r["metrics"].get("pr_auc", "-")))
    out.print(table if rows else f"{system} has no registered model versions yet (run 'steward run refresh {system}')")
    if history:
        changes = Table("when", "alias", "version", "was", "by", "reason", "approval", box=None)
        for c in history:
            changes.add_row(c["at"], c["alias"], f"v{c['version']}", f"v{c['previous']}" if c["previous"] else "-",
                            c["actor"], c["reason"] or "", (c["approval_id"] or "")[:8])
        out.print("[bold]alias history[/bold]")
        out.print(changes)


@app.command()
def rollback(
    system: Annotated[str, typer.Argument(help="The system id from its runbook.")],
    to: Annotated[int | None, typer.Option("--to", help="Version to restore (default: the previous champion).")] = None,
    runbooks: RunbooksOption = None,
) -> None:
    """Ask the owner (in Slack) to roll the champion back; on approval the alias switches, with its audit entry."""
    from flows.model_rollback import model_rollback, rollback_target

    rollback_target(_catalog(runbooks).get(system), to)  # a rollback that cannot be asked for fails here, fast
    with err.status(f"waiting for {system}'s owner to approve the rollback…"):
        result = model_rollback(system=system, to_version=to, runbooks=str(runbooks) if runbooks else None)
    who = f" by {result.decided_by}" if result.decided_by and result.outcome != "Expired" else ""
    out.print(f"{system}: rollback v{result.from_version} → v{result.to_version}: {result.outcome}{who}")
    raise typer.Exit(EXIT_OK if result.outcome == "Rolled back" else EXIT_ATTENTION)


approvals_app = typer.Typer(help="The Slack approval receiver.", no_args_is_help=True)
app.add_typer(approvals_app, name="approvals")


@approvals_app.command("serve")
def approvals_serve(
    port: Annotated[int, typer.Option(help="Port for Slack's interactivity Request URL (POST /slack/events).")] = 3000,
    host: Annotated[str, typer.Option(help="Interface to bind; put a TLS proxy in front for Slack.")] = "127.0.0.1",
    socket_mode: Annotated[bool, typer.Option("--socket-mode", help="Connect out to Slack over Socket Mode "
                                              "instead (no public URL; needs STEWARD_SLACK_APP_TOKEN).")] = False,
) -> None:
    """Receive Approve/Reject clicks: verify, decide (owner or backup, first decision wins), resume the run."""
    from deployments.receiver import Receiver, serve_forever, signing_secret

    receiver = Receiver(None if socket_mode else signing_secret())
    where = "Slack Socket Mode" if socket_mode else f"http://{host}:{port}/slack/events"
    out.print(f"approval receiver on {where} (Ctrl-C to stop)")
    try:
        serve_forever(receiver, host, port, socket_mode=socket_mode)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        pass


@app.command()
def purge(
    system: Annotated[str, typer.Argument(help="The system id from its runbook.")],
    approval: Annotated[str | None, typer.Option(help="Execute this approved purge request.")] = None,
    runbooks: RunbooksOption = None,
) -> None:
    """Delete log rows past retention: first records a request for the owner, then runs it once approved."""
    from tasks.approvals.workflow import post_request
    from tasks.compliance.purge import execute_purge, plan_purge, request_purge
    from tasks.store.database import open_store

    spec = _catalog(runbooks).get(system)
    if approval:
        with open_store().session() as session:
            plan = execute_purge(session, spec, approval)
        out.print(f"{system}: deleted {plan.rows:,} rows of {plan.table} before {plan.cutoff:%Y-%m-%d} "
                  f"(approval {approval}); audit trail: count and ids hash {plan.ids_hash[:12]}…")
        return
    plan = plan_purge(spec)
    if plan.rows == 0:
        out.print(f"{system}: no rows of {plan.table} before {plan.cutoff:%Y-%m-%d}; nothing to purge")
        return
    with open_store().session() as session:
        request = request_purge(session, spec, plan)
    post_request(request.id)
    out.print(f"{system}: {plan.rows:,} rows of {plan.table} are past retention (before {plan.cutoff:%Y-%m-%d}). "
              f"Nothing deleted. Approval request {request.id} sent to {spec.owner.name}; once approved run "
              f"'steward purge {system} --approval {request.id}'")


@app.command()
def demo(
    days: Annotated[int, typer.Option(min=35, max=365, help="Days of simulated logs.")] = 90,
    end: Annotated[str | None, typer.Option(help="Last simulated day, YYYY-MM-DD (default: yesterday, UTC).")] = None,
    scale: Annotated[float, typer.Option(min=0.01, max=10, help="Multiplies daily traffic.")] = 1.0,
) -> None:
    """Simulate the two demo systems, run every available duty through Prefect, print a summary."""
    from deployments.demo.run import run_demo

    try:
        last = date.fromisoformat(end) if end else None
    except ValueError:
        raise UsageError(f"--end {end!r} is not a date (YYYY-MM-DD)") from None
    raise typer.Exit(run_demo(days=days, end=last, scale=scale, console=out))


def main() -> None:
    """Console entry point: a ``StewardError`` is one line and exit 2; anything else is a bug, and says so."""
    for name, value in QUIET_PREFECT.items():
        os.environ.setdefault(name, value)
    try:
        app()
    except StewardError as exc:
        err.print(f"error: {one_line(exc)}", markup=False)
        sys.exit(EXIT_USAGE)
    except Exception as exc:  # noqa: BLE001 - the boundary: every other exception is a bug, reported as one
        if os.environ.get("STEWARD_DEBUG") == "1":
            traceback.print_exc()
        err.print(f"internal error: {type(exc).__name__}: {one_line(exc)} "
                  "(a bug: rerun with STEWARD_DEBUG=1 for the traceback)", markup=False)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
