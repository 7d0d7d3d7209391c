"""Weekly compliance audit: does the decision log still answer an auditor's questions?

load the window (every column) -> completeness, outcome linkage, PII, retention,
human oversight, policy drift -> verify the sealed days and seal the new ones
(decision log and Steward's audit trail) -> evidence pack, artifacts, alerts and
a summary to the owner. No raw log content leaves the checks.

Only the days the log covers are audited, sealed and checked for retention gaps: a window wholly before the
log's first row, in the future or today is skipped before anything is read, sealed or sent; a window that
straddles the first row or reaches today is audited on its covered days and says so. Rows without a
timestamp, which no window holds, are counted over the whole log by the completeness check.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger
from prefect.states import State
from prefect.runtime import flow_run

from runbooks.loader import Catalog
from runbooks.spec import ComplianceSection, Duty, RunbookSpec
from tasks.common.duty import duty_run, duty_spec, failure_hooks, log_start, run_namer, settle
from tasks.common.findings import DutyReport, not_judged
from tasks.common.publish import publish
from tasks.common.steps import step
from tasks.compliance import checks
from tasks.compliance.metrics import AuditScope, ComplianceMetrics
from tasks.compliance.notify import send_summary
from tasks.compliance.pii import Detector
from tasks.compliance.report import build_report, check_rows, write_evidence_pack
from tasks.compliance.sealing import AUDIT, DECISIONS, audit_rows, seal_and_verify, window_days
from tasks.compliance.seals import SealCheck
from tasks.core.retry import RETRY
from tasks.core.windows import Coverage, Window, cover
from tasks.io.outcomes import outcome_source
from tasks.io.sources import LogHistory, count_null_timestamps, log_columns, log_history, read_window
from tasks.render.links import report_url
from tasks.store.audit import broken_links
from tasks.store.database import open_store
from tasks.store.registry import approved_prompts
from tasks.store.seals import broken_seal_links



def last_week(now: datetime | None = None) -> Window:
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    return Window.days(today - timedelta(days=7), today - timedelta(days=1))


def default_window(_spec: RunbookSpec, now: datetime) -> list[Window]:
    """The previous 7 days, UTC."""
    return [last_week(now)]


@step(**RETRY)
def load_log(spec: RunbookSpec, window: Window) -> pd.DataFrame:
    """Every column (seals cover whole rows), checked against the runbook before anything is sealed."""
    log = read_window(spec.source, window, log_columns(spec.source))
    checks.require_columns(spec, log)
    return log


@step(**RETRY)
def load_history(spec: RunbookSpec, section: ComplianceSection, until: datetime) -> LogHistory:
    """What retention judges of the log before ``until``, computed where the log lives."""
    return log_history(spec.source, examples=checks.EXAMPLES, **checks.retention_bounds(section, until))


@step(**RETRY)
def load_linkage(spec: RunbookSpec, window: Window) -> checks.Linkage | None:
    """Ids of the decisions made ``label_delay_days`` before the period, and which of them have an outcome."""
    outcomes = spec.source.outcomes
    if outcomes is None:
        return None
    delay = timedelta(days=outcomes.label_delay_days)
    cohort = Window(start=window.start - delay, end=window.end - delay)
    ids = read_window(spec.source, cohort, [spec.source.columns.request_id])[spec.source.columns.request_id]
    span = Window(start=cohort.start, end=window.end)
    frame = read_window(outcome_source(spec.source), span, [outcomes.request_id], timestamp=outcomes.timestamp)
    return checks.Linkage(cohort=cohort, request_ids=ids.astype(str).tolist(), linked=set(frame[outcomes.request_id].astype(str)))


@step(**RETRY)
def count_untimed(spec: RunbookSpec) -> int:
    """Rows of the whole log without a timestamp: invisible to every window's read."""
    return count_null_timestamps(spec.source)


@step(**RETRY)
def seal(spec: RunbookSpec, window: Window, log: pd.DataFrame) -> list[SealCheck]:
    """Verify the window's sealed days and seal the rest, for the decision log and the audit trail."""
    cols = spec.source.columns
    now, days = datetime.now(UTC), window_days(window)
    with open_store().session() as session:
        decisions = seal_and_verify(session, spec.system, DECISIONS, log, timestamp=cols.timestamp,
                                    key=cols.request_id, text_fields=cols.text_fields, days=days, now=now)
        trail = seal_and_verify(session, spec.system, AUDIT, audit_rows(session, spec.system, window),
                                timestamp="at", key="id", text_fields=(), days=days, now=now)
        return [*decisions, *trail]


@step(**RETRY)
def chain_breaks(system: str) -> tuple[list[str], list[int]]:
    """Breaks in this system's seal chains and in the whole audit trail's chain."""
    with open_store().session() as session:
        return broken_seal_links(session, system), broken_links(session)


def run_checks(spec: RunbookSpec, section: ComplianceSection, log: pd.DataFrame, history: LogHistory,
               linkage: checks.Linkage | None, untimed: int) -> list[checks.Check]:
    """The checks on the covered days' rows (``history`` as of their end); a window without rows has only
    its completeness (rows without a timestamp) to judge: the report says no_data rather than "all pass"."""
    if log.empty:
        return [checks.completeness(spec, log, rows_without_timestamp=untimed)]
    return [
        checks.completeness(spec, log, rows_without_timestamp=untimed),
        checks.linkage(linkage, section),
        checks.pii(spec, log, Detector(section.national_ids)),
        *checks.retention(section, history),
        checks.oversight(spec, log, section),
        checks.policy_drift(spec, log, section),
    ]


def approved_policy(spec: RunbookSpec) -> ComplianceSection:
    """The runbook's compliance section, its approved policy versions joined by every prompt version the owner
    approved through a change review (the registry's champion history)."""
    assert spec.compliance is not None
    with open_store().session() as session:
        adopted = approved_prompts(session, spec.system)
    listed = spec.compliance.approved_policy_versions
    return spec.compliance.model_copy(update={"approved_policy_versions": [*listed, *(p for p in adopted
                                                                                   if p not in listed)]})


def scope(spec: RunbookSpec, coverage: Coverage, rows: int, flow_run_id: str) -> AuditScope:
    """What the evidence pack says was audited."""
    return AuditScope(system=spec.system, owner=spec.owner.name, log=spec.source.table or spec.source.path,
                      window=coverage.window.label(), days_audited=coverage.label(), rows=rows,
                      text_fields=", ".join(spec.source.columns.text_fields),
                      regulation=(spec.compliance.regulation if spec.compliance else None) or "-",
                      flow_run_id=flow_run_id)




def evidence_note(pack: str | Path) -> str:
    """The evidence pack's two files as links (the summary's report line already says when there are none)."""
    html_url, json_url = report_url(pack), report_url(Path(pack).with_suffix(".json"))
    return f"Evidence pack: [HTML]({html_url}) and [JSON]({json_url})" if html_url and json_url else ""


def audit_compliance(catalog: Catalog, system: str, window: str | None = None) -> list[DutyReport]:
    """Audit one period (default: the previous 7 days, UTC) of the system's decision log, inside whichever flow
    run calls it: the duty's own, or a fleet's nightly batch."""
    logger = get_run_logger()
    spec = duty_spec(catalog, system, Duty.compliance)
    now = datetime.now(UTC)
    audited = Window.parse(window) if window else default_window(spec, now)[0]
    coverage = cover(audited, log_start(spec.source), now)  # asked first, before any side effect
    if coverage.covered is None:  # refused before any side effect: nothing sealed, stored, alerted or sent
        report = not_judged(system, Duty.compliance, coverage.window, coverage.reason, ComplianceMetrics())
        logger.info("%s compliance %s: %s", system, audited.label(), report.headline)
        return [report]
    covered = coverage.covered
    log = load_log(spec, covered)
    history = load_history(spec, spec.compliance, covered.end)
    linkage = load_linkage(spec, covered)
    untimed = count_untimed(spec)
    logger.info("%s: auditing %s rows in %s", system, len(log), covered.label())
    seals = seal(spec, covered, log)
    tamper = checks.tamper(seals, *chain_breaks(system), spec.compliance.regulation)
    found = [*run_checks(spec, approved_policy(spec), log, history, linkage, untimed), tamper]
    report = build_report(spec, coverage, found, seals, scope(spec, coverage, len(log), str(flow_run.id)))
    pack = write_evidence_pack(report, datetime.now(UTC))
    report = publish(report, pack, check_rows(report),
                     bullets=[f"[{f.evidence['verdict']}] {f.title}" for f in report.findings],
                     note=evidence_note(pack))
    report = settle(report, catalog)
    send_summary(spec, report)
    logger.info("%s compliance: %s", system, report.headline)
    return [report]


@flow(name="compliance-audit", flow_run_name=run_namer("compliance", default_window), **failure_hooks(Duty.compliance))
def compliance_audit(system: str, window: str | None = None, runbooks: str | None = None) -> State:
    """Audit one period (default: the previous 7 days, UTC) of the system's decision log (``audit_compliance``)."""
    return duty_run(audit_compliance, system, window, runbooks)
