"""Model refresh: retrain, judge against the champion, ask the accountable owner, promote.

train a challenger on the labelled window before the held-out one -> score
champion and challenger on the same held-out window and on the golden set ->
the runbook's gate -> (passed) an approval request in Slack, then wait ->
promote on approval. A failed gate ends the run with its reasons, asking no
one; a rejection or an expired request leaves the champion serving. The run
ends in a named state: Promoted, Rejected, Expired or Gate failed.

The hold-out window is validated before anything is registered, trained or asked: it must lie wholly in
the log, some of the training window before it too, its labels must have matured (``label_delay_days``) and
some must have arrived. A window that fails is refused as a ``skipped`` report with the reason (state
Skipped): nothing is registered, no alert is opened, and the CLI prints the reason and exits 0.

Under a deployment the run suspends instead of pausing and re-runs from the
top when resumed: every task before the wait is cached per flow run, so
nothing is retrained or asked twice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.runtime import deployment, flow_run
from prefect.states import Completed, State

from runbooks.spec import Duty, RefreshSection, RunbookSpec, SystemKind
from tasks.approvals.workflow import CACHED, Decision, ask, await_decision
from tasks.common.duty import failure_hooks, load_duty, log_start, reports_index, run_namer, settle
from tasks.common.findings import Finding, not_judged
from tasks.common.publish import publish
from tasks.core.errors import StewardError
from tasks.core.retry import RETRY
from tasks.core.status import ApprovalState, CheckStatus
from tasks.core.windows import Window, cover
from tasks.io.sources import read_window
from tasks.refresh.artifacts import LOGGED, code_version, fingerprint, load_trainer, predict, save_model
from tasks.refresh.data import LABEL, read_labelled
from tasks.refresh.evaluate import Comparison, RefreshReport, judge_versions, metric_rows
from tasks.refresh.report import Outcome, approval_blocks, headline, write_refresh_report
from tasks.render.links import run_url
from tasks.store.database import open_store
from tasks.store.golden import add_golden, choose_golden, golden_frame
from tasks.store.models import ModelVersion
from tasks.store.registry import alias_version, record_metrics, register_version, set_alias


class RefreshConfigError(StewardError):
    """The runbook cannot be refreshed as written."""


def refresh_section(spec: RunbookSpec) -> RefreshSection:
    section = spec.refresh
    if section is None or not section.trainer:
        raise RefreshConfigError(f"{spec.system}: runbook refresh.trainer is not set")
    if spec.kind is not SystemKind.classifier:
        raise RefreshConfigError(f"{spec.system}: refresh judges classifiers; this system is a {spec.kind.value}")
    return section


def default_holdout(section: RefreshSection, label_delay_days: int, today: datetime | None = None) -> Window:
    """The latest ``holdout_days`` whose labels have matured (``label_delay_days`` before yesterday)."""
    last = Window.yesterday(today).start.date() - timedelta(days=label_delay_days)
    return Window.days(last - timedelta(days=section.holdout_days - 1), last)


def default_window(spec: RunbookSpec, now: datetime) -> list[Window]:
    """The held-out window a run given none evaluates on."""
    label_delay = spec.source.outcomes.label_delay_days if spec.source.outcomes else 0
    return [default_holdout(refresh_section(spec), label_delay, now)]


def holdout_refusal(holdout: Window, training: Window, first_row: datetime | None, label_delay_days: int,
                    now: datetime) -> str | None:
    """Why ``holdout`` cannot judge a challenger trained on ``training`` (None when it can): checked first,
    because a refusal after training would leave a registered champion and challenger behind."""
    coverage = cover(holdout, first_row, now)
    if coverage.covered is None:
        return f"hold-out window: {coverage.reason}"
    if coverage.partial:
        return (f"the hold-out window {holdout.label()} is only partly in the log ({coverage.label()}); "
                "choose days the log covers whole")
    if cover(training, first_row, now).covered is None:
        assert first_row is not None
        return (f"the training window {training.label()} lies before the log's first row ({first_row.date()}); "
                "choose a later hold-out window")
    mature = holdout.end + timedelta(days=label_delay_days)
    if mature > now:
        return (f"the labels of the hold-out window {holdout.label()} mature on {mature.date()} "
                f"(label_delay_days {label_delay_days}); choose an earlier window")
    return None


@task(**RETRY)
def labelled_rows(spec: RunbookSpec, window: Window) -> int:
    return len(read_labelled(spec, window))


def _extra_columns(spec: RunbookSpec, section: RefreshSection) -> list[str]:
    cols = spec.source.columns
    return [c for c in (*_slices(spec, section), section.value_column, cols.model_version) if c]


def _slices(spec: RunbookSpec, section: RefreshSection) -> list[str]:
    return section.slices if section.slices is not None else (spec.outcomes.slices if spec.outcomes else [])


def serving_model(spec: RunbookSpec, window: Window) -> str:
    """The model the log says was serving in ``window`` (its most frequent ``model_version``)."""
    column = spec.source.columns.model_version
    if not column:
        return spec.system
    names = read_window(spec.source, window, [column])[column].dropna()
    return str(names.mode().iloc[0]) if len(names) else spec.system


@task(**(RETRY | CACHED))
def ensure_champion(spec: RunbookSpec, holdout: Window) -> int:
    """The champion version; on first use, the model serving in the log is registered as version 1.

    That version's artifact is ``log:<model name>``: it is judged on the scores it logged.
    """
    with open_store().session() as session:
        if (version := alias_version(session, spec.system, "champion")) is not None:
            return version
    serving = serving_model(spec, holdout)
    with open_store().session() as session:
        record = register_version(session, system=spec.system, artifact_uri=f"{LOGGED}{serving}", metrics={},
                                  code_version=serving)
        set_alias(session, system=spec.system, alias="champion", version=record.version,
                  actor="steward", reason=f"the model serving in the log ({serving})")
        return record.version


@task(**(RETRY | CACHED))
def train_challenger(spec: RunbookSpec, section: RefreshSection, training: Window) -> int:
    """Fit the runbook's trainer on the labelled training window and register it as the challenger."""
    assert section.trainer
    features = spec.source.columns.features
    frame = read_labelled(spec, training)
    if frame.empty or frame[LABEL].nunique() < 2:
        raise RefreshConfigError(f"{spec.system}: {training.label()} has no labelled rows of both classes to train on")
    model = load_trainer(section.trainer)(frame[features], frame[LABEL])
    with open_store().session() as session:
        record = register_version(session, system=spec.system, artifact_uri="", metrics={"training_rows": len(frame)},
                                  training_start=training.start, training_end=training.end,
                                  data_fingerprint=fingerprint(frame[[*features, LABEL]]),
                                  code_version=code_version(section.trainer))
        record.artifact_uri = save_model(model, spec.system, record.version)
        set_alias(session, system=spec.system, alias="challenger", version=record.version, actor="steward",
                  reason=f"trained on {training.label()}")
        return record.version


def _golden(spec: RunbookSpec, section: RefreshSection, seed_window: Window) -> pd.DataFrame:
    """The system's golden set; seeded once from labelled rows neither the challenger nor the holdout saw."""
    cols = spec.source.columns
    with open_store().session() as session:
        frame = golden_frame(session, spec.system)
    if not frame.empty:
        return frame
    rows = read_labelled(spec, seed_window, _extra_columns(spec, section))
    chosen = choose_golden(rows, section.golden_size, label=LABEL).sort_values(cols.timestamp, kind="stable")
    with open_store().session() as session:
        add_golden(session, spec.system, chosen, request_id=cols.request_id, timestamp=cols.timestamp, label=LABEL,
                   actor=f"steward (seeded from {seed_window.label()})")
        return golden_frame(session, spec.system)


def _scores(spec: RunbookSpec, version: int, frame: pd.DataFrame) -> np.ndarray:
    with open_store().session() as session:
        uri = session.query(ModelVersion.artifact_uri).filter_by(system=spec.system, version=version).scalar()
    return predict(uri, frame, spec)


@task(**(RETRY | CACHED))
def compare(spec: RunbookSpec, section: RefreshSection, holdout: Window, training: Window, champion: int,
            challenger: int) -> Comparison:
    """Both versions on the same held-out window and golden set, then the gate."""
    frame = read_labelled(spec, holdout, _extra_columns(spec, section))
    if frame.empty:
        raise RefreshConfigError(f"{spec.system}: no labelled rows in the held-out window {holdout.label()}")
    seed = Window(start=training.start - timedelta(days=section.holdout_days), end=training.start)
    golden = _golden(spec, section, seed)
    versions = (champion, challenger)
    comparison = judge_versions(
        section, _slices(spec, section), versions, frame, tuple(_scores(spec, v, frame) for v in versions),
        golden, tuple(_scores(spec, v, golden) for v in versions) if not golden.empty else None)
    shown = metric_rows(comparison.champion, comparison.challenger)
    with open_store().session() as session:
        record_metrics(session, spec.system, challenger, {"holdout": holdout.label(), "gate_passed": comparison.gate.passed,
                                                          **{r["metric"]: r["challenger"] for r in shown}})
    return comparison


@task(**CACHED)
def request_promotion(spec: RunbookSpec, section: RefreshSection, holdout: Window, comparison: Comparison,
                      report: str, timeout_seconds: float) -> str:
    text, blocks = approval_blocks(spec.system, holdout, comparison, section.gate.metric, spec.currency(),
                                   report=report, run_url=run_url(str(flow_run.id)))
    return ask(spec.owner, system=spec.system, action="promote", text=text, blocks=blocks,
               timeout=timedelta(seconds=timeout_seconds), flow_run_id=str(flow_run.id),
               payload={"version": comparison.challenger_version, "previous": comparison.champion_version})


@task(**RETRY)
def promote(spec: RunbookSpec, version: int, decision: Decision) -> None:
    """The alias switch, its history row and its audit entry commit together."""
    with open_store().session() as session:
        set_alias(session, system=spec.system, alias="champion", version=version, actor=decision.decided_by or "?",
                  reason=decision.reason, approval_id=decision.request_id)




OUTCOMES = {
    # state name, report status, finding severity
    ApprovalState.approved: ("Promoted", CheckStatus.healthy, "info"),
    ApprovalState.rejected: ("Rejected", CheckStatus.healthy, "info"),
    ApprovalState.expired: ("Expired", CheckStatus.attention, "warning"),
}


@flow(name="model-refresh", flow_run_name=run_namer("refresh", default_window), **failure_hooks(Duty.refresh))
def model_refresh(system: str, window: str | None = None, runbooks: str | None = None,
                  approval_timeout_seconds: float | None = None) -> State:
    """Retrain and, if the gate passes and the owner approves, promote. ``window`` is the held-out window."""
    logger = get_run_logger()
    catalog, spec = load_duty(system, Duty.refresh, runbooks)
    section = refresh_section(spec)
    label_delay = spec.source.outcomes.label_delay_days if spec.source.outcomes else 0
    holdout = Window.parse(window) if window else default_window(spec, datetime.now(UTC))[0]
    training = Window(start=holdout.start - timedelta(days=section.training_days), end=holdout.start)
    reason = holdout_refusal(holdout, training, log_start(spec.source), label_delay, datetime.now(UTC))
    if reason is None and not labelled_rows(spec, holdout):
        reason = f"no labelled rows in the hold-out window {holdout.label()}: its outcomes have not arrived"
    if reason:
        report = settle(not_judged(system, Duty.refresh, holdout, reason).model_copy(
            update={"flow_run_id": str(flow_run.id)}), catalog)
        reports_index(catalog)
        logger.info("%s refresh: %s", system, report.headline)
        return Completed(name="Skipped", message=report.headline, data=report)
    champion = ensure_champion(spec, holdout)
    challenger = train_challenger(spec, section, training)
    comparison = compare(spec, section, holdout, training, champion, challenger)
    metric = section.gate.metric
    report = RefreshReport(system=system, duty="refresh", window_start=holdout.start, window_end=holdout.end,
                           status=CheckStatus.healthy, headline=headline(comparison, metric),
                           metrics=comparison, flow_run_id=str(flow_run.id),
                           report_path=write_refresh_report(system, holdout, training, comparison, metric,
                                                            spec.currency()))
    if not comparison.gate.passed:
        report = report.model_copy(update={"status": CheckStatus.attention, "findings": [Finding(
            key="gate", severity="warning", title=f"v{challenger} not promoted: the gate failed",
            detail="; ".join(comparison.gate.reasons))]})
        return _finish(report, comparison, catalog, "Gate failed")
    timeout = approval_timeout_seconds or section.approval_timeout_hours * 3600
    request_id = request_promotion(spec, section, holdout, comparison, report.report_path or "", timeout)
    logger.info("%s: waiting for %s to approve v%s (request %s)", system, spec.owner.name, challenger, request_id)
    decision = await_decision(request_id, suspend=deployment.id is not None,
                              poll_seconds=min(5.0, max(1.0, timeout / 30)))
    name, status, severity = OUTCOMES[decision.state]
    who = _person(spec, decision.decided_by)
    if decision.state == ApprovalState.approved:
        promote(spec, challenger, decision)
        title = f"v{challenger} promoted to champion (approved by {who}); v{champion} retired"
    elif decision.state == ApprovalState.rejected:
        title = f"v{challenger} rejected by {who}; champion v{champion} stays"
    else:
        title = f"approval expired without a decision; champion v{champion} stays"
    outcome = Outcome(state=decision.state.value, by=who, at=decision.decided_at, reason=decision.reason,
                      promoted=challenger if decision.state == ApprovalState.approved else None)
    write_refresh_report(system, holdout, training, comparison, metric, spec.currency(), outcome)  # no longer asks
    report = report.model_copy(update={"status": status, "headline": title, "findings": [Finding(
        key="approval", severity=severity, title=title, evidence={"approval_id": request_id})]})
    return _finish(report, comparison, catalog, name)


def _person(spec: RunbookSpec, slack_user_id: str | None) -> str:
    people = {spec.owner.slack_user_id: spec.owner.name, spec.owner.backup.slack_user_id: spec.owner.backup.name}
    return people.get(slack_user_id or "", slack_user_id or "unknown")


def _finish(report: RefreshReport, comparison: Comparison, catalog: Any, state_name: str) -> State:
    report = publish(report, report.report_path, metric_rows(comparison.champion, comparison.challenger))
    report = settle(report, catalog)
    reports_index(catalog)
    get_run_logger().info("%s refresh: %s", report.system, report.headline)
    return Completed(name=state_name, message=report.headline, data=report)
