"""Properties of the cost review over generated logs and windows: before, across, inside and after the log."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings

from generated_llm_logs import logs, nows, timed, windows, write_log
from tasks.cost.data import aggregate_frame, aggregate_sql, read_calls
from tasks.cost.verdict import review
from tasks.cost.spend import Period
from tasks.io.sources import first_timestamp
from tasks.core.windows import Window, cover


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(generated=logs, window=windows, now=nows)
def test_any_window_of_any_log_gets_an_honest_verdict(tmp_path, generated, window, now) -> None:
    spec = write_log(tmp_path, generated)
    coverage = cover(window, first_timestamp(spec.source), now)
    if coverage.covered is None:
        report = review(spec, coverage, pd.DataFrame(), now.date())
        assert report.status == "skipped" and report.findings == [] and report.headline.startswith("Not judged: ")
        return
    start, end = Period.covering(coverage, now.date()).read_range()
    read = Window(start=start, end=end)
    agg = aggregate_sql(spec, read)
    pd.testing.assert_frame_equal(agg, aggregate_frame(*read_calls(spec, read), spec), check_exact=False, rtol=1e-9,
                                  check_dtype=False, check_index_type=False)
    report = review(spec, coverage, agg, now.date())

    judged = timed(generated, coverage.covered)
    assert report.metrics.calls == judged
    assert (report.status == "no_data") == (judged == 0)
    if report.status == "no_data":
        assert report.findings == []
    assert report.coverage == (coverage.label() if coverage.partial else None)
    assert ("partial window" in report.headline) == coverage.partial
    assert len(report.findings) <= 21
    days = [d.day for d in report.metrics.by_day]
    assert all(str(coverage.covered.start.date()) <= d < str(coverage.covered.end.date()) for d in days)
    assert all(d.calls is not None for d in report.metrics.by_day)
