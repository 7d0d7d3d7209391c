"""What the owner reads before deciding: the per-route table, the per-example matrix, the approval message."""

from __future__ import annotations

import html
from typing import Any

from tasks.change.data import LlmConfig
from tasks.change.metrics import GroupResult, difference
from tasks.change.scorers import AnswerScore
from tasks.change.verdict import ChangeVerdict
from tasks.core.money import money
from tasks.render.html import html_table, report_path, write_html_report

MATRIX_ROWS = 200  # the most different examples; the rest agree


def headline(system: str, candidate: LlmConfig, verdict: ChangeVerdict, currency: str) -> str:
    overall = verdict.overall
    cost = overall.monthly_cost_change
    money_part = f", {money(cost, currency)}/month" if cost is not None else ""
    state = "passed the gate" if verdict.passed else "failed the gate"
    return (f"{system}: candidate {candidate.label()} {state} ({verdict.label}; quality "
            f"{overall.quality_change:+.3f}{money_part})")


def _cost(value: float | None, currency: str) -> str:
    return "-" if value is None else f"{currency} {value:.5f}"


def group_rows(groups: list[GroupResult], currency: str) -> list[dict[str, str]]:
    rows = []
    for g in groups:
        change = g.monthly_cost_change
        rows.append({
            "route": g.name, "examples": f"{g.examples:,}", "champion quality": f"{g.champion.quality:.3f}",
            "candidate quality": f"{g.candidate.quality:.3f}", "change": f"{g.quality_change:+.3f}",
            "sure it is worse": "-" if g.share_worse is None else f"{g.share_worse:.0%}",
            "unsafe (champion → candidate)": f"{g.champion.unsafe} → {g.candidate.unsafe}",
            "escalations": f"{g.champion.escalated} → {g.candidate.escalated}",
            "cost per call": f"{_cost(g.champion.cost_per_call, currency)} → {_cost(g.candidate.cost_per_call, currency)}",
            "cost per month": "-" if change is None else f"{money(change, currency)} ({g.monthly_calls:,.0f} calls)",
            "latency p95 ms": f"{g.champion.latency_p95_ms:,.0f} → {g.candidate.latency_p95_ms:,.0f}",
        })
    return rows


def _verdicts(score: AnswerScore) -> str:
    parts = [f"quality {score.quality:.2f}"]
    parts += [f"{name} {'ok' if ok else 'FAILED'}" for name, ok in score.checks.items()]
    if score.escalated:
        parts.append("escalates")
    parts += [f"PII {p}" for p in score.pii]
    return "; ".join(parts)


def matrix_rows(examples: list[dict[str, Any]], answers: tuple[list[str], list[str]],
                scores: tuple[list[AnswerScore], list[AnswerScore]], limit: int = MATRIX_ROWS) -> list[dict[str, str]]:
    """Side by side, ranked by how much the candidate differs. ``answers`` must already be PII-masked."""
    order = sorted(range(len(examples)), key=lambda i: -difference(scores[0][i], scores[1][i]))[:limit]
    return [{"request": examples[i]["request_id"], "route": examples[i]["route"], "outcome": examples[i]["outcome"],
             "input": examples[i]["input_text"], "reference": examples[i]["reference"],
             "champion": answers[0][i], "champion scores": _verdicts(scores[0][i]),
             "candidate": answers[1][i], "candidate scores": _verdicts(scores[1][i]),
             "difference": f"{difference(scores[0][i], scores[1][i]):.2f}"} for i in order]


def _list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>" if items else "<p>None.</p>"


def write_change_report(system: str, label: str, champion: LlmConfig, candidate: LlmConfig, golden_version: int,
                        verdict: ChangeVerdict, matrix: list[dict[str, str]], currency: str, title: str) -> str:
    sections = {
        "Gate": ("<p>Passed: the owner is asked to approve.</p>" if verdict.passed
                 else "<p>Failed; the owner is not asked:</p>" + _list(verdict.reasons)),
        "Gains": _list(verdict.gains),
        "Measured losses within tolerance": _list(verdict.losses),
        "Beyond tolerance but within sampling noise (not blocking)": _list(verdict.excused),
        "Configurations": html_table([{"role": "champion", "configuration": champion.label()},
                                      {"role": "candidate", "configuration": candidate.label()}]),
        f"Per route (golden set v{golden_version})": html_table(group_rows(verdict.groups, currency)),
        f"Per example, most different first ({len(matrix)} shown)": html_table(matrix),
    }
    path = report_path(system, "change-review", label)
    return str(write_html_report(path, f"Change review · {system}", title, sections))


def _preformatted(rows: list[dict[str, str]], keys: list[str]) -> str:
    widths = {k: max(len(k), *(len(r[k]) for r in rows)) for k in keys}
    lines = ["  ".join(k.ljust(widths[k]) for k in keys)] + ["  ".join(r[k].ljust(widths[k]) for k in keys) for r in rows]
    return "```" + "\n".join(lines) + "```"


def approval_blocks(system: str, candidate: LlmConfig, verdict: ChangeVerdict, title: str, currency: str, *,
                    report: str, run_url: str | None) -> tuple[str, list[dict[str, Any]]]:
    """The decision in Slack, in the refresh approval's style: the headline, per-route table, links."""
    rows = group_rows(verdict.groups, currency)
    links = f"Report: `{report}`" + (f" · <{run_url}|Prefect run>" if run_url else "")
    notes = "\n".join(f"• {line}" for line in [*verdict.gains, *verdict.losses])

    def section(markdown: str) -> dict[str, Any]:
        return {"type": "section", "text": {"type": "mrkdwn", "text": markdown[:2900]}}

    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Adopt {candidate.label()} for {system}?"[:150]}},
        section(f"*{title}*" + (f"\n{notes}" if notes else "")),
        section("*Per route*\n" + _preformatted(rows, ["route", "examples", "change", "unsafe (champion → candidate)",
                                                        "cost per month"])),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": links}]},
    ]
    return f"{system}: adopt {candidate.label()}? {title}", blocks
