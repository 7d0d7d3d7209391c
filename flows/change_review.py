"""Change review: a prompt or model change of an LLM app judged on real interactions, then the owner decides.

the golden set (built from the log on first use) -> champion and candidate answer every example through
the application's own entry point (``evaluation.responder``) -> every answer scored -> the gate per route
and overall -> report -> (passed) an approval request in Slack, then wait -> on approval the candidate
becomes the registry's ``champion`` configuration (its prompt approved policy for the compliance audit),
with the evidence in the audit trail. A failed gate ends the run with its reasons, asking no one.
Deployed without a schedule: run by hand or from the cost review's recommendation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.runtime import deployment, flow_run
from prefect.states import Completed, State
from pydantic import BaseModel

from runbooks.spec import Duty, RunbookSpec
from tasks.approvals.workflow import CACHED, Decision, ask, await_decision
from tasks.change.data import (
    ChangeConfigError,
    LlmConfig,
    answer_all,
    build_golden,
    evaluation_section,
    load_responder,
    mask_pii,
    read_serving,
)
from tasks.change.report import approval_blocks, group_rows, headline, matrix_rows, write_change_report
from tasks.change.scorers import Timings, score_answers
from tasks.change.verdict import ChangeVerdict, judge_change
from tasks.common.duty import failure_hooks, load_duty, reports_index, settle
from tasks.change.metrics import ChangeMetrics, ChangeReport
from tasks.common.findings import DutyReport, Finding
from tasks.common.publish import publish
from tasks.compliance.pii import Detector
from tasks.core.errors import DataError
from tasks.core.retry import RETRY
from tasks.core.status import ApprovalState, CheckStatus
from tasks.core.windows import Window
from tasks.io.sources import last_timestamp, read_window
from tasks.store.audit import append_audit
from tasks.store.database import open_store
from tasks.store.golden import current_interactions, interaction_version
from tasks.store.models import ModelVersion
from tasks.store.registry import alias_version, register_version, set_alias

VOLUME_DAYS = 28


class Review(BaseModel):
    """What the gate saw and decided; stored with the run's result (no raw text: the report holds the matrix)."""

    champion_version: int
    champion: LlmConfig
    candidate: LlmConfig
    golden_version: int
    examples: int
    verdict: ChangeVerdict
    report_path: str
    headline: str
    seconds: dict[str, float]


def recent_window(spec: RunbookSpec) -> Window:
    """The log's last ``VOLUME_DAYS`` whole days: today's volume and what users ask now."""
    last = last_timestamp(spec.source)
    if last is None:
        raise DataError(f"{spec.system}: the log is empty; nothing to review a change on")
    end = Window.days(last.date(), last.date()).end
    return Window(start=end - timedelta(days=VOLUME_DAYS), end=end)


def golden_examples(spec: RunbookSpec, window: Window) -> tuple[int, list[dict[str, Any]]]:
    """The current golden set; built from ``window`` on first use."""
    with open_store().session() as session:
        empty = not current_interactions(session, spec.system)
    if empty:
        build_golden(spec, window, None, actor="steward", reason="first change review")
    with open_store().session() as session:
        rows = current_interactions(session, spec.system)
        return interaction_version(session, spec.system), [
            {"request_id": r.request_id, "route": r.route, "outcome": r.outcome, "input_text": r.input_text,
             "reference": r.reference} for r in rows]


def champion_config(spec: RunbookSpec, window: Window) -> tuple[int, LlmConfig]:
    """The registry's champion configuration; on first use, the one serving in the log becomes version 1."""
    with open_store().session() as session:
        version = alias_version(session, spec.system, "champion")
        if version is not None:
            record = session.query(ModelVersion).filter_by(system=spec.system, version=version).one()
            if "config" not in record.metrics:
                raise ChangeConfigError(f"{spec.system}: champion v{version} is not a prompt/model configuration")
            return version, LlmConfig.model_validate(record.metrics["config"])
    serving = read_serving(spec, window)
    with open_store().session() as session:
        record = register_version(session, system=spec.system, artifact_uri=serving.uri(),
                                  metrics={"config": serving.model_dump()}, code_version=serving.prompt[:64])
        set_alias(session, system=spec.system, alias="champion", version=record.version, actor="steward",
                  reason=f"the configuration serving in the log ({serving.label()})")
        return record.version, serving


def monthly_calls(spec: RunbookSpec, window: Window) -> dict[str, float]:
    route = spec.source.columns.route
    assert route
    counts = read_window(spec.source, window, [route])[route].astype(str).value_counts()
    return {str(k): float(v) * 30 / VOLUME_DAYS for k, v in counts.items()}


@task(**(RETRY | CACHED))
def evaluate(spec: RunbookSpec, candidate: list[str]) -> Review:
    section = evaluation_section(spec)
    window = recent_window(spec)
    golden_version, examples = golden_examples(spec, window)
    champion_version, champion = champion_config(spec, window)
    challenger = champion.changed(candidate)
    if challenger == champion:
        raise ChangeConfigError(f"{spec.system}: --candidate {' '.join(candidate)} is the champion's configuration "
                                f"({champion.label()})")
    responder = load_responder(section.responder)
    detector = Detector(spec.compliance.national_ids if spec.compliance else ())
    prices = spec.cost.prices if spec.cost else {}
    timings = Timings()
    scores, answers = [], []
    for config in (champion, challenger):
        started = datetime.now(UTC)
        replies = answer_all(responder, examples, config)
        timings.seconds[f"responder ({config.label()})"] = (datetime.now(UTC) - started).total_seconds()
        models = [config.resolve(e["route"])[1] for e in examples]
        scores.append(score_answers(section, examples, replies, models, prices, detector, timings))
        answers.append([mask_pii(r.text, detector) for r in replies])
    currency = spec.cost.currency if spec.cost else "USD"
    verdict = judge_change(section, examples, scores[0], scores[1], monthly_calls(spec, window), currency)
    title = headline(spec.system, challenger, verdict, currency)
    matrix = matrix_rows(examples, (answers[0], answers[1]), (scores[0], scores[1]))
    label = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{flow_run.id or 'local'}"[:40]
    path = write_change_report(spec.system, label, champion, challenger, golden_version, verdict, matrix, currency,
                               title)
    return Review(champion_version=champion_version, champion=champion, candidate=challenger,
                  golden_version=golden_version, examples=len(examples), verdict=verdict, report_path=path,
                  headline=title, seconds={k: round(v, 3) for k, v in timings.seconds.items()})


@task(**CACHED)
def request_adoption(spec: RunbookSpec, review: Review, timeout_seconds: float) -> str:
    currency = spec.cost.currency if spec.cost else "USD"
    text, blocks = approval_blocks(spec.system, review.candidate, review.verdict, review.headline, currency,
                                   report=review.report_path, run_url=flow_run.ui_url)
    return ask(spec.owner, system=spec.system, action="adopt", text=text, blocks=blocks,
               timeout=timedelta(seconds=timeout_seconds), flow_run_id=str(flow_run.id),
               payload={"candidate": review.candidate.model_dump(), "previous": review.champion_version})


@task(**RETRY)
def adopt(spec: RunbookSpec, review: Review, decision: Decision) -> int:
    """The candidate registered and made champion; its audit entry names who approved it on which evidence."""
    actor = decision.decided_by or "?"
    overall = review.verdict.overall
    with open_store().session() as session:
        record = register_version(session, system=spec.system, artifact_uri=review.candidate.uri(),
                                  metrics={"config": review.candidate.model_dump(), "golden_version": review.golden_version,
                                           "quality": overall.candidate.quality, "verdict": review.verdict.label},
                                  code_version=review.candidate.prompt[:64])
        set_alias(session, system=spec.system, alias="champion", version=record.version, actor=actor,
                  reason=decision.reason or f"change review: {review.verdict.label}", approval_id=decision.request_id)
        append_audit(session, actor=actor, action="change.approved", system=spec.system, details={
            "version": record.version, "configuration": review.candidate.label(), "approval_id": decision.request_id,
            "evidence": {"report": review.report_path, "golden_version": review.golden_version,
                         "examples": review.examples, "verdict": review.verdict.label,
                         "quality_change": overall.quality_change, "monthly_cost_change": overall.monthly_cost_change,
                         "gains": review.verdict.gains, "losses": review.verdict.losses}})
        return record.version


def _run_name() -> str:
    params = flow_run.parameters
    return f"change-review/{params['system']}/{' '.join(params.get('candidate') or []) or '?'}"[:100]


@flow(name="change-review", flow_run_name=_run_name, **failure_hooks(Duty.change_review))
def change_review(system: str, candidate: list[str] | None = None, window: str | None = None,
                  runbooks: str | None = None, approval_timeout_seconds: float | None = None) -> State:
    """Judge ``candidate`` (``prompt=V``, ``model=M``, ``ROUTE.model=M``...) against the champion on the golden
    set; if the gate passes and the owner approves, it becomes the champion. ``window`` is not used: the
    golden set is the evidence (``steward golden`` curates it)."""
    logger = get_run_logger()
    catalog, spec = load_duty(system, Duty.change_review, runbooks)
    section = evaluation_section(spec)
    if not candidate:
        raise ChangeConfigError(f"{system}: give --candidate prompt=VERSION, model=NAME or ROUTE.model=NAME")
    review = evaluate(spec, list(candidate))
    verdict = review.verdict
    golden = recent_window(spec)
    report = ChangeReport(system=system, duty=Duty.change_review, window_start=golden.start, window_end=golden.end,
                        status=CheckStatus.healthy, headline=review.headline,
                        metrics=ChangeMetrics(**review.model_dump(mode="json", exclude={"verdict": {"groups"}})),
                        report_path=review.report_path)
    if not verdict.passed:
        report = report.model_copy(update={"status": CheckStatus.attention, "findings": [Finding(
            key="gate", severity="warning", title=f"{review.candidate.label()} not adopted: the gate failed "
                                                  f"({verdict.label})", detail="; ".join(verdict.reasons))]})
        return _finish(report, review, catalog, "Gate failed")
    timeout = approval_timeout_seconds or section.approval_timeout_hours * 3600
    request_id = request_adoption(spec, review, timeout)
    logger.info("%s: waiting for %s to approve %s (request %s)", system, spec.owner.name, review.candidate.label(),
                request_id)
    decision = await_decision(request_id, suspend=deployment.id is not None,
                              poll_seconds=min(5.0, max(1.0, timeout / 30)))
    if decision.state == ApprovalState.approved:
        version = adopt(spec, review, decision)
        title, name, severity = (f"{review.candidate.label()} is the champion (v{version}, approved by "
                                 f"{decision.decided_by}); v{review.champion_version} retired"), "Adopted", "info"
        status = CheckStatus.healthy
    elif decision.state == ApprovalState.rejected:
        title, name, severity, status = (f"{review.candidate.label()} rejected by {decision.decided_by}; champion "
                                         f"v{review.champion_version} stays"), "Rejected", "info", CheckStatus.healthy
    else:
        title, name, severity, status = (f"approval expired without a decision; champion v{review.champion_version} "
                                         "stays"), "Expired", "warning", CheckStatus.attention
    report = report.model_copy(update={"status": status, "headline": title, "findings": [Finding(
        key="approval", severity=severity, title=title, evidence={"approval_id": request_id})]})
    return _finish(report, review, catalog, name)


def _finish(report: DutyReport, review: Review, catalog: Any, state_name: str) -> State:
    currency = "USD"
    report = publish(report, review.report_path, group_rows(review.verdict.groups, currency),
                     bullets=[*review.verdict.reasons, *review.verdict.gains, *review.verdict.losses])
    report = settle(report, catalog)
    reports_index(catalog)
    get_run_logger().info("%s change review: %s", report.system, report.headline)
    return Completed(name=state_name, message=report.headline, data=report)
