"""The one publish step of every duty run: what the Prefect UI shows beside the run, and where the report is."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

from runbooks.spec import Duty
from tasks.common.findings import DutyReport
from tasks.render.links import markdown_link, report_url

TITLES = {Duty.drift: "Drift", Duty.outcomes: "Outcomes", Duty.cost: "Cost review", Duty.compliance: "Compliance",
          Duty.refresh: "Refresh", Duty.change_review: "Change review"}


def artifact_key(report: DutyReport) -> str:
    """One key per (duty, system), so the UI keeps each duty's history of artifacts together."""
    return f"{report.duty.value}-{report.system}"


def summary_markdown(report: DutyReport, page: str | Path | None, bullets: Sequence[str], note: str = "") -> str:
    """The run's markdown summary: headline, one bullet per finding line, and a link to the report."""
    lines = [f"# {TITLES[report.duty]} · {report.system} · {report.window.label()}", "", f"**{report.headline}**", ""]
    lines += [f"- {b}" for b in bullets]
    lines += ["", *([note] if note else []), f"Report: {markdown_link(report_url(page), 'Open report')}" if page else ""]
    return "\n".join(lines).rstrip() + "\n"


def publish(report: DutyReport, page: str | Path | None, table: list[dict[str, Any]], *,
            bullets: Sequence[str] | None = None, note: str = "") -> DutyReport:
    """Attach the run's table and summary artifacts, and a link to its report when it has a public URL;
    the report comes back with its page and flow run id.

    Args:
        page: the HTML report already written for this run (None when the duty writes none).
        table: one row per column, segment, model or check: the run's table artifact.
        bullets: the summary's lines (default: each finding's title).
        note: one more paragraph for the summary (e.g. the baseline judged against).
    """
    from prefect.runtime import flow_run

    key = artifact_key(report)
    create_table_artifact(key=key, table=table or [{"-": "-"}], description=report.headline)
    create_markdown_artifact(key=f"{key}-summary", markdown=summary_markdown(
        report, page, bullets if bullets is not None else [f.title for f in report.findings], note))
    if url := report_url(page):
        create_link_artifact(key=f"{key}-report", link=url, link_text=f"{TITLES[report.duty]} report · "
                             f"{report.system} · {report.window.label()}", description=report.headline)
    return report.model_copy(update={"report_path": str(page) if page else report.report_path,
                                     "flow_run_id": flow_run.id})
