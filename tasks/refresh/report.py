"""What the owner reads before deciding: the HTML report and the Block Kit approval message."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from tasks.core.windows import Window
from tasks.refresh.evaluate import Comparison, business_rows, metric_rows, slice_rows
from tasks.render.html import html_table, report_path, write_html_report
from tasks.render.links import report_url, slack_links


def headline(comparison: Comparison, metric: str) -> str:
    gain = "-" if comparison.gate.gain is None else f"{comparison.gate.gain:+.4f}"
    verdict = "passed the gate" if comparison.gate.passed else "failed the gate"
    return (f"challenger v{comparison.challenger_version} {verdict} against champion v{comparison.champion_version}"
            f" ({metric} {gain})")


class Outcome(BaseModel):
    """How the owner's decision ended, for the report rewritten when it arrives."""

    state: Literal["approved", "rejected", "expired"]
    by: str | None = None  # the owner's name
    at: datetime | None = None
    reason: str | None = None
    promoted: int | None = None  # the version now champion, when approved


def decision_text(outcome: Outcome | None, comparison: Comparison) -> str:
    """The gate's sentence: still waiting, or the decision with who, when and what it changed."""
    if outcome is None:
        return "Passed: the owner is asked to approve."
    when = f" on {outcome.at:%Y-%m-%d %H:%M} UTC" if outcome.at else ""
    why = f" ({outcome.reason})" if outcome.reason else ""
    if outcome.state == "approved":
        return (f"Passed; approved by {outcome.by}{when}{why}: v{outcome.promoted or comparison.challenger_version} "
                f"promoted to champion, v{comparison.champion_version} retired.")
    if outcome.state == "rejected":
        return (f"Passed; rejected by {outcome.by}{when}{why}: champion v{comparison.champion_version} stays, "
                f"v{comparison.challenger_version} is not promoted.")
    return f"Passed; the approval expired{when} without a decision: champion v{comparison.champion_version} stays."


def write_refresh_report(system: str, holdout: Window, training: Window, comparison: Comparison, metric: str,
                         currency: str, outcome: Outcome | None = None) -> str:
    """The comparison page; written again with ``outcome`` once the owner decides, so it never still asks."""
    gate = comparison.gate
    verdict = f"<p>{html.escape(decision_text(outcome, comparison))}</p>" if gate.passed else (
        "<p>Failed; the owner is not asked:</p><ul>" + "".join(f"<li>{html.escape(r)}</li>" for r in gate.reasons)
        + "</ul>")
    if gate.excused:
        verdict += ("<p>Beyond tolerance but within sampling noise (a paired bootstrap finds the challenger no "
                    "worse in at least 5% of resamples), so not blocking:</p><ul>"
                    + "".join(f"<li>{html.escape(r)}</li>" for r in gate.excused) + "</ul>")
    sections = {
        "Gate": verdict,
        f"Held-out window {holdout.label()} ({comparison.holdout_rows:,} labelled rows)":
            html_table(metric_rows(comparison.champion, comparison.challenger)),
        "Business impact at the decision threshold": html_table(business_rows(comparison.champion,
                                                                              comparison.challenger, currency)),
        "Slices": html_table(slice_rows(comparison.champion, comparison.challenger, metric)),
    }
    if comparison.golden_champion and comparison.golden_challenger:
        sections[f"Golden set ({comparison.golden_rows:,} labelled examples)"] = html_table(
            metric_rows(comparison.golden_champion, comparison.golden_challenger))
    sections["Training"] = f"<p>Challenger trained on {training.label()}.</p>"
    path = report_path(system, "refresh", holdout.label())
    title = headline(comparison, metric) if outcome is None else decision_text(outcome, comparison)
    return str(write_html_report(path, f"Refresh · {system} · {holdout.label()}", title, sections))


def _preformatted(rows: list[dict[str, str]]) -> str:
    """A fixed-width table for Slack (Block Kit has no table block)."""
    if not rows:
        return "_none_"
    keys = list(rows[0])
    widths = {k: max(len(k), *(len(r[k]) for r in rows)) for k in keys}
    lines = ["  ".join(k.ljust(widths[k]) for k in keys)]
    lines += ["  ".join(r[k].ljust(widths[k]) for k in keys) for r in rows]
    return "```" + "\n".join(lines) + "```"


def approval_blocks(system: str, holdout: Window, comparison: Comparison, metric: str, currency: str, *,
                    report: str, run_url: str | None) -> tuple[str, list[dict[str, Any]]]:
    """The evaluation summary the owner decides on: metrics, business impact, slices, links."""
    text = f"{system}: promote model v{comparison.challenger_version}? {headline(comparison, metric)}"
    slices = slice_rows(comparison.champion, comparison.challenger, metric)
    golden = ""
    if comparison.golden_champion and comparison.golden_challenger:
        before, after = (getattr(m.overall, metric) for m in (comparison.golden_champion, comparison.golden_challenger))
        if before is not None and after is not None:
            golden = f"\nGolden set ({comparison.golden_rows:,} examples): {metric} {before:.4f} → {after:.4f}"
    links = slack_links((report_url(report), "Open report"), *([(run_url, "Prefect run")] if run_url else []))

    def section(markdown: str) -> dict[str, Any]:
        return {"type": "section", "text": {"type": "mrkdwn", "text": markdown[:2900]}}

    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Promote {system} model v{comparison.challenger_version}?"}},
        section(f"*{headline(comparison, metric)}* on {holdout.label()} "
                f"({comparison.holdout_rows:,} labelled rows).{golden}"),
        section("*Metrics* (held-out window)\n" + _preformatted(metric_rows(comparison.champion, comparison.challenger))),
        section("*Business impact*\n"
                + _preformatted(business_rows(comparison.champion, comparison.challenger, currency))),
        section("*Slices*\n" + _preformatted(slices[:12])),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": links}]},
    ]
    return text, blocks
