"""The compliance audit's checks as plain functions over a window of the decision log.

Each returns a ``Check``: the rule it applies (the runbook field and, where one
applies, the regulation clause the runbook cites), counts, example request ids
and a verdict. Raw log content never enters a ``Check``; PII appears only as
counts and masked samples.
"""

from __future__ import annotations

import operator
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel

from runbooks.spec import Comparison, ComplianceSection, ReviewRule, RunbookSpec
from tasks.common.findings import Finding, Severity
from tasks.compliance.pii import Detector
from tasks.compliance.seals import SealCheck
from tasks.core.windows import Window, midnight
from tasks.io.sources import EPOCH, LogHistory, SourceError

EXAMPLES = 5
VERSIONS_LISTED = 20  # versions named in a check's counts (most used first); the rest are counted
Verdict = Literal["pass", "violation", "not_measured"]


class Check(BaseModel):
    """One audit question and its answer: what the evidence pack lists and an auditor reads."""

    name: str
    title: str
    verdict: Verdict
    severity: Severity = "info"
    rule: str
    regulation: str | None = None
    counts: dict[str, Any] = {}
    examples: list[str] = []

    def finding(self) -> Finding:
        return Finding(key=self.name, severity=self.severity if self.verdict == "violation" else "info",
                       title=self.title, detail=f"rule: {self.rule}" + (f"; {self.regulation}" if self.regulation else ""),
                       evidence={"counts": self.counts, "examples": self.examples, "verdict": self.verdict})


def require_columns(spec: RunbookSpec, frame: pd.DataFrame) -> None:
    """Every column the compliance section names must exist in the log: one clear line otherwise."""
    section, cols = spec.compliance, spec.source.columns
    named = {"source.columns.text_fields": cols.text_fields}
    if section and section.review_rule:
        named["compliance.review_rule"] = section.review_rule.columns()
    if section and section.override_column:
        named["compliance.override_column"] = [section.override_column]
    for name in ("request_id", "timestamp", "model_version", "policy_version", "prompt_template", "decision",
                 "reviewer", "review_ts"):  # the mapped columns the checks read
        if column := getattr(cols, name):
            named[f"source.columns.{name}"] = [column]
    for field, columns in named.items():
        if missing := [c for c in columns if c not in frame.columns]:
            raise SourceError(f"{spec.system}: {field} names {', '.join(map(repr, missing))}, "
                              f"not a column of {spec.source.table or spec.source.path!r}")


def _examples(frame: pd.DataFrame, mask: pd.Series, id_column: str) -> list[str]:
    return frame.loc[mask, id_column].dropna().astype(str).head(EXAMPLES).tolist()


def _missing(series: pd.Series) -> pd.Series:
    return series.isna() | (series.astype(str).str.strip() == "")


def completeness(spec: RunbookSpec, frame: pd.DataFrame, *, rows_without_timestamp: int) -> Check:
    """Every decision row must carry its request id, timestamp, model version, policy version and decision.

    ``frame`` holds the window's rows, read by their timestamp; rows with no timestamp at all belong to no
    window, so ``rows_without_timestamp`` counts them over the whole log (``sources.count_null_timestamps``).
    """
    cols = spec.source.columns
    required = {"request_id": cols.request_id, "timestamp": cols.timestamp, "model_version": cols.model_version,
                "policy_version": cols.policy_version or cols.prompt_template, "decision": cols.decision}
    counts: dict[str, Any] = {"rows": len(frame)}
    unmapped = sorted(name for name, column in required.items() if column is None)
    examples: list[str] = []
    any_missing = pd.Series(False, index=frame.index)
    for name, column in required.items():
        if column is not None:
            missing = _missing(frame[column])
            counts[f"missing_{name}"] = int(missing.sum())
            any_missing |= missing
            examples += [e for e in _examples(frame, missing, cols.request_id) if e not in examples]
    counts["rows_incomplete"] = int(any_missing.sum())
    counts["unmapped"] = unmapped
    counts["log_rows_without_timestamp"] = rows_without_timestamp
    gaps = [f"{counts[f'missing_{n}']:,} without {n.replace('_', ' ')}" for n in required if counts.get(f"missing_{n}")]
    if rows_without_timestamp:
        gaps.append(f"{rows_without_timestamp:,} row(s) in the whole log without a timestamp (in no window)")
    gaps += [f"no {n.replace('_', ' ')} column mapped" for n in unmapped]
    return Check(
        name="completeness",
        title=("Incomplete records: " + ", ".join(gaps)) if gaps else f"All {len(frame):,} records complete",
        verdict="violation" if gaps else "pass",
        severity="warning",
        rule="every row has request id, timestamp, model version, policy/prompt version, decision (source.columns)",
        regulation=spec.compliance.regulation if spec.compliance else None,
        counts=counts,
        examples=examples[:EXAMPLES],
    )


class Linkage(BaseModel):
    """The matured cohort (decisions ``label_delay_days`` before the period) and which of them have an outcome."""

    cohort: Window
    request_ids: list[str]
    linked: set[str]


def linkage(found: Linkage | None, section: ComplianceSection) -> Check:
    """The share of matured decisions whose outcome arrived: an audit must follow a decision to its result."""
    if found is None:
        return Check(name="outcome-linkage", title="Outcome linkage not measured: the runbook names no outcomes",
                     verdict="not_measured", rule="source.outcomes")
    ids = pd.Series(found.request_ids, dtype="str")
    linked = ids.isin(found.linked)
    rate = float(linked.mean()) if len(ids) else None
    low = rate is not None and rate < section.min_linkage_rate
    text = "no decisions" if rate is None else f"{rate:.1%} of {len(ids):,} decisions"
    return Check(
        name="outcome-linkage", title=f"Outcome linkage: {text} from {found.cohort.label()} have their outcome",
        verdict="violation" if low else "pass", severity="warning",
        rule=f"compliance.min_linkage_rate = {section.min_linkage_rate} (after source.outcomes.label_delay_days)",
        counts={"cohort": found.cohort.label(), "decisions": len(ids), "linked": int(linked.sum()), "rate": rate},
        examples=ids[~linked].head(EXAMPLES).tolist() if low else [],
    )


def pii(spec: RunbookSpec, frame: pd.DataFrame, detector: Detector) -> Check:
    """Personal data in logged free text: counts per field and kind, masked samples only."""
    fields = spec.source.columns.text_fields
    if not fields:
        return Check(name="pii", title="PII scan not applicable: the runbook lists no text fields",
                     verdict="not_measured", rule="source.columns.text_fields")
    ids = frame[spec.source.columns.request_id].astype(str).tolist()
    scans = [detector.scan(field, frame[field].tolist(), ids) for field in fields]
    hits = [h for scan in scans for h in scan.hits]
    by_field = {scan.field: {h.kind: h.matches for h in scan.hits} for scan in scans}
    rows = sorted({r for scan in scans for r in scan.rows})
    found = ", ".join(f"{h.matches} {h.kind} in {h.field}" for h in hits)
    return Check(
        name="pii", verdict="violation" if hits else "pass", severity="critical",
        title=f"PII in logged text: {found}" if hits else f"No PII found in {', '.join(fields)}",
        rule="no personal data in logged free text (email, phone, card, IBAN, IP, compliance.national_ids)",
        regulation=spec.compliance.regulation if spec.compliance else None,
        counts={"rows_scanned": len(frame), "fields": by_field,
                "rows_with_pii": len(rows),
                "detail": [h.evidence() for h in hits]},
        examples=[ids[r] for r in rows[:EXAMPLES]],
    )


def retention_bounds(section: ComplianceSection, until: datetime) -> dict[str, datetime]:
    """The moments retention judges the log by, as of ``until``: what ``sources.log_history`` computes."""
    return {"until": until,
            "cutoff": until - timedelta(days=section.retention_days) if section.retention_days else EPOCH,
            "horizon": midnight(until) - timedelta(days=section.min_retention_days or 0)}


def retention(section: ComplianceSection, history: LogHistory) -> list[Check]:
    """Rows kept beyond ``retention_days``, and days missing inside ``min_retention_days``."""
    checks: list[Check] = []
    if section.retention_days:
        n, cutoff = history.expired, history.cutoff
        checks.append(Check(
            name="retention-expired", verdict="violation" if n else "pass", severity="critical",
            title=(f"{n:,} rows older than {section.retention_days} days (before {cutoff:%Y-%m-%d}); "
                   f"'steward purge' deletes them after the owner approves") if n
            else f"No rows older than {section.retention_days} days",
            rule=f"compliance.retention_days = {section.retention_days}", regulation=section.regulation,
            counts={"expired_rows": n, "cutoff": cutoff.isoformat(),
                    "oldest": pd.Timestamp(history.oldest).isoformat() if history.oldest else None},
            examples=history.expired_examples,
        ))
    if section.min_retention_days:
        gaps = missing_days(history)
        checks.append(Check(
            name="retention-gaps", verdict="violation" if gaps else "pass", severity="critical",
            title=(f"{len(gaps)} day(s) missing from the log inside the {section.min_retention_days}-day minimum "
                   f"retention: {', '.join(map(str, gaps[:5]))}") if gaps
            else f"No missing days inside the {section.min_retention_days}-day minimum retention",
            rule=f"compliance.min_retention_days = {section.min_retention_days}", regulation=section.regulation,
            counts={"missing_days": len(gaps), "days": [str(d) for d in gaps]},
        ))
    return checks


def missing_days(history: LogHistory) -> list[date]:
    """Days with no rows between the log's first day (or the retention horizon) and ``until`` (exclusive)."""
    if history.oldest is None:
        return []
    first = max(history.oldest.astimezone(UTC).date(), history.horizon.date())
    present = set(history.days)
    until = history.until.astimezone(UTC).date()
    return [d.date() for d in pd.date_range(first, until - timedelta(days=1), freq="D") if d.date() not in present]


_OPS = {"==": operator.eq, "!=": operator.ne, ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


def _holds(frame: pd.DataFrame, comparison: Comparison) -> pd.Series:
    column = frame[comparison.column]
    if comparison.op == "in":
        assert isinstance(comparison.value, list)
        return column.isin(comparison.value)
    value = comparison.value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        column = pd.to_numeric(column, errors="coerce")
    return _OPS[comparison.op](column, value).fillna(False).astype(bool)


def needs_review(rule: ReviewRule, frame: pd.DataFrame) -> pd.Series:
    """Rows the runbook says a human must review: any group whose comparisons all hold."""
    result = pd.Series(False, index=frame.index)
    for group in rule.any_of:
        every = pd.Series(True, index=frame.index)
        for comparison in group.all_of:
            every &= _holds(frame, comparison)
        result |= every
    return result


def oversight(spec: RunbookSpec, frame: pd.DataFrame, section: ComplianceSection) -> Check:
    """Of the decisions that need a human: the share with a reviewer and a review time, and how often they overrode."""
    cols = spec.source.columns
    if section.review_rule is None or not (cols.reviewer and cols.review_ts):
        return Check(name="human-oversight", verdict="not_measured", rule="compliance.review_rule",
                     title="Human oversight not measured: set compliance.review_rule and columns reviewer, review_ts")
    need = needs_review(section.review_rule, frame)
    reviewed = need & ~_missing(frame[cols.reviewer]) & frame[cols.review_ts].notna()
    n_need, n_reviewed = int(need.sum()), int(reviewed.sum())
    share = n_reviewed / n_need if n_need else None
    override_rate = None
    if section.override_column and cols.decision:
        final, model = frame[section.override_column].astype(str), frame[cols.decision].astype(str)
        firm = reviewed & model.isin(set(final[reviewed]))  # a referral ("review") asks the human: not an override
        override_rate = float((firm & (final != model)).sum() / firm.sum()) if firm.any() else None
    short = share is not None and share < section.min_reviewed_share
    overrides = "" if override_rate is None else f"; reviewers overrode {override_rate:.1%}"
    return Check(
        name="human-oversight", verdict="violation" if short else "pass", severity="warning",
        title=(f"{n_need - n_reviewed:,} of {n_need:,} decisions needing review lack a reviewer or review time "
               f"({share:.1%} reviewed){overrides}") if short
        else f"{n_reviewed:,} of {n_need:,} decisions needing review were reviewed{overrides}",
        rule=f"compliance.review_rule; min_reviewed_share = {section.min_reviewed_share}",
        regulation=section.regulation,
        counts={"need_review": n_need, "reviewed": n_reviewed, "reviewed_share": share,
                "override_rate": override_rate, "override_column": section.override_column},
        examples=_examples(frame, need & ~reviewed, cols.request_id),
    )


def policy_drift(spec: RunbookSpec, frame: pd.DataFrame, section: ComplianceSection) -> Check:
    """Policy and prompt versions in the log that the runbook has not approved."""
    cols = spec.source.columns
    columns = [c for c in dict.fromkeys([cols.policy_version, cols.prompt_template]) if c]
    if not columns or not section.approved_policy_versions:
        return Check(name="policy-drift", verdict="not_measured", rule="compliance.approved_policy_versions",
                     title="Policy drift not measured: no policy/prompt column or no approved versions")
    versions = pd.concat([frame[c] for c in columns]).dropna().astype(str)
    seen = versions.value_counts().to_dict()  # most used first
    unapproved = {v: int(n) for v, n in seen.items() if v not in section.approved_policy_versions}
    rows = frame[columns].astype(str).isin(list(unapproved)).any(axis=1)
    listed = ", ".join(f"{v} ({n:,} rows)" for v, n in list(unapproved.items())[:EXAMPLES])
    if len(unapproved) > EXAMPLES:
        listed += f" and {len(unapproved) - EXAMPLES:,} more"
    return Check(
        name="policy-drift", verdict="violation" if unapproved else "pass", severity="critical",
        title=f"Unapproved policy/prompt versions in use: {listed}" if unapproved
        else f"Only approved versions in use: {', '.join(sorted(seen))}",
        rule=f"compliance.approved_policy_versions = {section.approved_policy_versions}",
        counts={"versions": {str(k): int(v) for k, v in list(seen.items())[:VERSIONS_LISTED]},
                "distinct_versions": len(seen), "distinct_unapproved": len(unapproved),
                "unapproved": dict(list(unapproved.items())[:VERSIONS_LISTED])},
        examples=_examples(frame, rows, cols.request_id),
    )


def tamper(checks: list[SealCheck], broken_seals: list[str], broken_audit: list[int], regulation: str | None) -> Check:
    """Days whose rows changed after sealing, and breaks in either hash chain."""
    changed = [c for c in checks if not c.intact]
    verified = sum(not c.new for c in checks)
    problems = [f"{c.log} {c.day} ({c.sealed_rows} rows sealed, {c.rows} now)" for c in changed]
    problems += [f"seal chain broken at {s}" for s in broken_seals]
    problems += [f"audit trail entry {i} does not verify" for i in broken_audit]
    return Check(
        name="tamper-evidence", verdict="violation" if problems else "pass", severity="critical",
        title=("Changed after sealing: " + "; ".join(problems[:5])) if problems
        else f"{verified} sealed day(s) verified intact, {len(checks) - verified} newly sealed",
        rule="daily chained seals over the decision log and Steward's audit trail", regulation=regulation,
        counts={"verified": verified, "sealed_now": len(checks) - verified,
                "changed_days": [f"{c.log}:{c.day}" for c in changed],
                "broken_seal_links": broken_seals, "broken_audit_entries": broken_audit},
    )
