"""What every duty produces, and the shared steps after computing it: persist, alert, notify.

A flow computes a ``DutyReport``; ``persist_report`` stores it idempotently
and turns its findings into alerts (one per incident); ``notify_owner`` sends
whatever the owner has not seen yet; the reports index is rewritten. ``final_state``
is what the run ends in, so the Prefect UI shows the verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from runbooks.loader import Catalog, load_catalog
from runbooks.metrics import PER_DAY
from runbooks.spec import Duty, RunbookSpec
from tasks.common.findings import AlertRef, DutyReport, Finding
from tasks.common.steps import step
from tasks.core.errors import ConfigError
from tasks.core.retry import RETRY
from tasks.core.status import CheckStatus, Delivery
from tasks.core.windows import Window
from tasks.io.sources import first_timestamp
from tasks.render.index import gather_index, write_index
from tasks.slack.notifier import alert_destination, deliver, slack_client, slack_config
from tasks.store.alerts import add_note, open_alert, raise_alert, resolve_recovered, undelivered
from tasks.store.database import Store, open_store
from tasks.store.models import Alert
from tasks.store.results import record_result

if TYPE_CHECKING:
    from prefect.states import State


def load_runbooks(runbooks: str | None) -> Catalog:
    """The runbooks a flow run names (a folder), else the default ones: loaded once per flow run."""
    return load_catalog(Path(runbooks) if runbooks else None)


def duty_spec(catalog: Catalog, system: str, duty: Duty) -> RunbookSpec:
    """``system``'s spec, which must switch ``duty`` on: where every duty's work starts."""
    spec = catalog.get(system)
    if spec.section(duty) is None:
        raise ConfigError(f"{system} has no {duty.value} section in its runbook")
    return spec


def load_duty(system: str, duty: Duty, runbooks: str | None) -> tuple[Catalog, RunbookSpec]:
    """The runbooks and ``system``'s spec, which must switch ``duty`` on: where every duty flow starts."""
    catalog = load_runbooks(runbooks)
    return catalog, duty_spec(catalog, system, duty)


DefaultWindows = Callable[[RunbookSpec, datetime], list[Window]]
"""A duty's default windows for a run given no ``window``: called by its flow and by its run namer alike."""


def run_namer(prefix: str, default: DefaultWindows) -> Callable[[], str]:
    """A ``flow_run_name``: ``<prefix>/<system>/<window>`` with the concrete window (the one the flow
    will judge, ``default`` when none is given), so the UI's run list reads as a duty log."""

    def name() -> str:
        from prefect.runtime import flow_run

        params = flow_run.parameters
        try:
            if params.get("window"):
                label = Window.parse(params["window"]).label()
            else:
                spec = load_catalog(Path(params["runbooks"]) if params.get("runbooks") else None).get(params["system"])
                label = "+".join(w.label() for w in default(spec, datetime.now(UTC)))
        except Exception:  # noqa: BLE001 - a bad parameter fails the run itself, with its own one-line error
            label = params.get("window") or "default"
        return f"{prefix}/{params['system']}/{label}"

    return name


def final_state(report: DutyReport, *others: DutyReport) -> State:
    """The run's final state as the Prefect UI lists it: ``Attention`` when the owner must act on any of
    its reports, ``Skipped`` when none was judged, else ``Completed``. ``report`` is its result (what
    calling the flow directly returns)."""
    from prefect.states import Completed

    reports = [report, *others]
    if any(r.needs_attention() for r in reports):
        return Completed(name="Attention", data=report, message=report.headline)
    if all(r.status == CheckStatus.skipped for r in reports):
        return Completed(name="Skipped", data=report, message=report.headline)
    return Completed(data=report, message=report.headline)


def _summary(report: DutyReport, findings: list[Finding]) -> str:
    lines = [f"Window {report.window.label()}: {report.headline}"]
    lines += [f"• {f.title}" + (f" — {f.detail}" if f.detail else "") for f in findings[:10]]
    if len(findings) > 10:
        lines.append(f"… and {len(findings) - 10} more in the report")
    return "\n".join(lines)


def money_breach(spec: RunbookSpec, duty: Duty, findings: list[Finding]) -> bool:
    """A breach counted in money (an SLA on a business metric, the cost budget): the owner's to answer for,
    not the responders'."""
    if duty is Duty.cost:
        return any(f.key == "budget" for f in findings)
    money = {b.name for b in spec.outcomes.business_metrics} if spec.outcomes else set()
    return any(f.key.startswith("sla:") and f.key.split(":")[1].removesuffix(PER_DAY) in money for f in findings)


def persist_report(session: Session, report: DutyReport, catalog: Catalog) -> DutyReport:
    """Store the result and reconcile alerts: one alert per duty incident, updated while it lasts.

    A night without data (no rows, too few to judge) adds a note to the live incident instead of
    replacing its findings; with no live incident it alerts as usual (a silent log is a finding too)."""
    spec = catalog.get(report.system)
    record_result(
        session,
        system=report.system,
        duty=report.duty.value,
        window_start=report.window_start,
        window_end=report.window_end,
        status=report.status.value,
        headline=report.headline,
        findings=report.model_dump(mode="json", include={"findings", "metrics"}),
        report_path=report.report_path,
        flow_run_id=report.flow_run_id,
    )
    alerting = [f for f in report.findings if f.severity != "info"]
    refs: list[AlertRef] = []
    live = open_alert(session, report.system, report.duty.value, report.duty.value)
    if report.without_data() and live is not None:
        add_note(session, live, f"{report.window.label()}: {report.headline} (findings above kept from "
                                f"{live.details.get('window', 'the last judged window')})")
        return report.model_copy(update={"alerts": [AlertRef(id=live.id, key=live.key, state=live.state, new=False,
                                                               delivery=live.delivery)]})
    if alerting:
        worst = "critical" if any(f.severity == "critical" for f in alerting) else "warning"
        alert, new = raise_alert(
            session,
            system=report.system,
            duty=report.duty.value,
            key=report.duty.value,
            severity=worst,
            title=report.headline,
            summary=_summary(report, alerting),
            playbook=catalog.playbook_path(report.system, report.duty),
            destination=alert_destination(spec, to_owner=money_breach(spec, report.duty, alerting)),
            details={"window": report.window.label(), "window_end": report.window_end.isoformat(),
                     "findings": [f.key for f in alerting], "report_path": report.report_path,
                     "flow_run_id": report.flow_run_id},
        )
        refs.append(AlertRef(id=alert.id, key=alert.key, state=alert.state, new=new, delivery=alert.delivery))
    firing = [report.duty.value] if alerting else []
    if report.status not in (CheckStatus.skipped, CheckStatus.no_data):  # no verdict is no evidence of recovery
        for alert in resolve_recovered(session, report.system, report.duty.value, firing, as_of=report.window_end):
            refs.append(AlertRef(id=alert.id, key=alert.key, state=alert.state, new=False, delivery=alert.delivery))
    return report.model_copy(update={"alerts": refs})


def notify_owner(store: Store, catalog: Catalog, system: str | None = None) -> list[Alert]:
    """Send every alert whose latest state the owner has not seen; without Slack, say where it would go."""
    config = slack_config()
    client = slack_client(config) if config else None
    with store.session() as session:
        pending = [a for a in undelivered(session, client is not None) if system is None or a.system == system]
        for alert in pending:
            if alert.system not in catalog.specs:
                continue
            if client is None:
                alert.delivery, alert.delivery_error = Delivery.not_configured, None
            else:
                deliver(client, alert, catalog.get(alert.system).owner)
        return pending


def settle_report(report: DutyReport, catalog: Catalog, store: Store | None = None) -> DutyReport:
    """Persist, alert and notify in one step; safe to retry (each part is idempotent)."""
    store = store or open_store()
    with store.session() as session:
        report = persist_report(session, report, catalog)
    notify_owner(store, catalog, report.system)
    with store.session() as session:
        refs = [r.model_copy(update={"delivery": session.get_one(Alert, r.id).delivery}) for r in report.alerts]
    return report.model_copy(update={"alerts": refs})


def write_reports_index(catalog: Catalog, store: Store | None = None) -> Path:
    """Rewrite the reports index from the ops store: the last step of every duty flow run. Once per run, not
    per report: it reads every system's latest results, so a batch of a thousand systems writes it once."""
    with (store or open_store()).session() as session:
        return write_index(gather_index(session, catalog))


DutyWork = Callable[[Catalog, str, str | None], list[DutyReport]]
"""A duty's work for one system and window (default: the duty's own): what its flow runs, and a nightly batch."""


def duty_run(work: DutyWork, system: str, window: str | None, runbooks: str | None) -> State:
    """The body of a duty's own flow run: its runbooks, its work, the reports index, the run's final state."""
    catalog = load_runbooks(runbooks)
    reports = work(catalog, system, window)
    reports_index(catalog)
    return final_state(*reports)


settle = step(settle_report, name="persist-and-notify", **RETRY)
reports_index = step(write_reports_index, name="reports-index", **RETRY)
log_start = step(first_timestamp, name="log-start", **RETRY)  # the first row's time: which days a window may judge


def record_failed_run(system: str, duty: Duty, message: str, flow_run_id: str, catalog: Catalog,
                      store: Store | None = None) -> Alert:
    """A duty that could not finish is a finding too: alert the owner; the next good run resolves it."""
    store = store or open_store()
    spec = catalog.get(system)
    with store.session() as session:
        alert, _ = raise_alert(
            session,
            system=system,
            duty=duty.value,
            key=f"{duty.value}:run-failed",
            severity="critical",
            title=f"the {duty.value} check could not run",
            summary=f"{message[:500]}\nPrefect flow run {flow_run_id}; nothing was judged, so this window is unknown.",
            playbook=catalog.playbook_path(system, duty),
            destination=alert_destination(spec),
            details={"flow_run_id": flow_run_id},
        )
    notify_owner(store, catalog, system)
    return alert


def failure_line(state: Any) -> str:
    """What a failed (or crashed) run's state says, on one line: the exception's type and message."""
    return (state.message or state.name or "failed").strip().splitlines()[0]


def alert_failure(system: str, duty: Duty, state: Any, flow_run_id: str, run_name: str,
                  catalog: Callable[[], Catalog]) -> None:
    """The last resort for a duty run that could not finish (its own flow run, or its task in a batch): alert the
    owner with the failure's first line. Never raises: it must not mask the failure itself."""
    from prefect.logging import get_logger

    logger = get_logger("steward.failures")
    try:
        alert = record_failed_run(system, duty, failure_line(state), flow_run_id, catalog())
        logger.info("failure of %s recorded as alert #%s", run_name, alert.id)
    except Exception as exc:  # noqa: BLE001
        logger.error("could not record the failure of %s as an alert: %s", run_name, type(exc).__name__)


def failure_hooks(duty: Duty) -> dict[str, list[Callable[[Any, Any, Any], None]]]:
    """Prefect ``on_failure``/``on_crashed`` hooks for ``duty``'s flow: a run that could not finish alerts the owner."""

    def failed(_flow: Any, flow_run: Any, state: Any) -> None:
        params = flow_run.parameters or {}
        alert_failure(params.get("system", ""), duty, state, str(flow_run.id), flow_run.name,
                      lambda: load_runbooks(params.get("runbooks")))

    return {"on_failure": [failed], "on_crashed": [failed]}
