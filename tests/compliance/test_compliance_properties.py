"""Properties of the compliance audit over generated logs and windows: before, across, inside and after the log.

Runs the flow's steps (the task functions via ``.fn``, the real ops store for seals) without a Prefect server.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from flows import compliance_audit as audit
from generated_llm_logs import logs, nows, timed, windows, write_log
from runbooks.spec import Duty
from tasks.compliance import checks
from tasks.compliance.report import build_report
from tasks.common.findings import not_judged
from tasks.io.sources import first_timestamp
from tasks.store.database import open_store
from tasks.store.models import LogSeal
from tasks.core.windows import cover


def seals_of(system: str) -> list:
    with open_store().session() as session:
        return list(session.scalars(select(LogSeal.day).where(LogSeal.system == system)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(generated=logs, window=windows, now=nows)
def test_any_window_of_any_log_gets_an_honest_audit(tmp_path, generated, window, now) -> None:
    spec = write_log(tmp_path, generated)
    first = first_timestamp(spec.source)
    coverage = cover(window, first, now)
    if coverage.covered is None:  # what the flow returns before reading, sealing or sending anything
        report = not_judged(spec.system, Duty.compliance, coverage.window, coverage.reason)
        assert report.status == "skipped" and report.findings == [] and seals_of(spec.system) == []
        return
    covered, section = coverage.covered, spec.compliance
    log = audit.load_log.fn(spec, covered)
    history = audit.load_history.fn(spec, section, covered.end)
    untimed = audit.count_untimed.fn(spec)
    seals = audit.seal.fn(spec, covered, log)
    tamper = checks.tamper(seals, *audit.chain_breaks.fn(spec.system), section.regulation)
    found = [*audit.run_checks(spec, section, log, history, None, untimed), tamper]
    report = build_report(spec, coverage, found, seals, audit.scope(spec, coverage, len(log), "-"))

    assert len(log) == timed(generated, covered)
    assert untimed == sum(r["ts"] is None for r in generated)
    complete = next(f for f in report.findings if f.key == "completeness")
    assert complete.evidence["counts"]["log_rows_without_timestamp"] == untimed
    if log.empty:
        assert report.status == "no_data" and not [f for f in report.findings if f.severity == "critical"]
    else:
        assert report.status in ("healthy", "attention")
        gaps = next(f for f in report.findings if f.key == "retention-gaps").evidence["counts"]["days"]
        assert all(str(first.date()) <= d < str(covered.end.date()) for d in gaps)
    assert report.coverage == (coverage.label() if coverage.partial else None)
    assert ("partial window" in report.headline) == coverage.partial
    sealed = seals_of(spec.system)
    assert sealed and all(covered.start.date() <= d < covered.end.date() for d in sealed)
