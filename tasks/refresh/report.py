"""What the owner reads before deciding: the HTML report and the Block Kit approval message."""

from __future__ import annotations

import html
from typing import Any

from tasks.core.windows import Window
from tasks.refresh.evaluate import Comparison, business_rows, metric_rows, slice_rows
from tasks.render.html import html_table, report_path, write_html_report
from tasks.render.links import report_url, slack_links


def headline(comparison: Comparison, metric: str) -> str:
    gain = "-" if comparison.gate.gain is None else f"{comparison.gate.gain:+.4f}"
    verdict = "passed the gate" if comparison.gate.passed else "failed the gate"
    return (f"challenger v{comparison.challenger_version} {verdict} against champion v{comparison.champion_version}"
            f" ({metric} {gain})")


def write_refresh_report(system: str, holdout: Window, training: Window, comparison: Comparison, metric: str) -> str:
    gate = comparison.gate
    verdict = "<p>Passed: the owner is asked to approve.</p>" if gate.passed else (
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
                                                                              comparison.challenger)),
        "Slices": html_table(slice_rows(comparison.champion, comparison.challenger, metric)),
    }
    if comparison.golden_champion and comparison.golden_challenger:
        sections[f"Golden set ({comparison.golden_rows:,} labelled examples)"] = html_table(
            metric_rows(comparison.golden_champion, comparison.golden_challenger))
    sections["Training"] = f"<p>Challenger trained on {training.label()}.</p>"
    path = report_path(system, "refresh", holdout.label())
    return str(write_html_report(path, f"Refresh · {system} · {holdout.label()}",
                                 headline(comparison, metric), sections))


def _preformatted(rows: list[dict[str, str]]) -> str:
    """A fixed-width table for Slack (Block Kit has no table block)."""
    if not rows:
        return "_none_"
    keys = list(rows[0])
    widths = {k: max(len(k), *(len(r[k]) for r in rows)) for k in keys}
    lines = ["  ".join(k.ljust(widths[k]) for k in keys)]
    lines += ["  ".join(r[k].ljust(widths[k]) for k in keys) for r in rows]
    return "```" + "\n".join(lines) + "```"


def approval_blocks(system: str, holdout: Window, comparison: Comparison, metric: str, *, report: str,
                    run_url: str | None) -> tuple[str, list[dict[str, Any]]]:
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
        section("*Business impact*\n" + _preformatted(business_rows(comparison.champion, comparison.challenger))),
        section("*Slices*\n" + _preformatted(slices[:12])),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": links}]},
    ]
    return text, blocks
