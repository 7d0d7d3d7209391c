"""Where reports go, formatted tables, and a self-contained HTML page for a duty run.

``html_table(rows, formats=None, currency=None, sort_by=None)`` formats each column by the kind passed in
``formats`` or inferred from its name (``column_kind``): money in the owner's currency, shares and rates as %,
counts with separators, other numbers rounded, booleans as yes/no, missing values as a dash, status cells
coloured. Tables scroll inside their own box with a sticky header, so they never overflow the page.
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from tasks.core.money import money
from tasks.render.charts import ship_plotly_js
from tasks.store.database import steward_home

Kind = Literal["money", "percent", "count", "number", "status", "text"]
DASH = "—"
_MONEY = ("cost", "saving", "spend", "budget", "revenue", "money", "loss", "price", "amount")
_PERCENT = ("share", "rate", "coverage", "precision", "recall", "accuracy")
_STATUS = ("status", "verdict", "severity", "drifted", "result", "passed", "ok", "verified", "state")
_BAD = {"critical", "breach", "breached", "fail", "failed", "error", "drifted", "true_drift", "mismatch", "broken",
        "rejected", "expired", "violation"}
_WARN = {"warning", "warn", "partial", "pending", "insufficient", "skipped", "no_data", "unknown", "estimated",
         "not_measured", "attention"}
_GOOD = {"healthy", "pass", "passed", "ok", "judged", "met", "info", "approved", "verified", "none"}
_RANK = {**dict.fromkeys(_BAD, 0), **dict.fromkeys(_WARN, 1), **dict.fromkeys(_GOOD, 2)}
STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem auto;padding:0 2rem;max-width:96rem;color:#222}"
    ".table-wrap{max-width:100%;max-height:36rem;overflow:auto;border:1px solid #ddd;margin:.5rem 0 1rem}"
    "table{border-collapse:collapse;font-size:.9rem;min-width:40%}"
    "td,th{border-bottom:1px solid #eee;padding:.3rem .6rem;text-align:left;white-space:nowrap}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}td.wrap{white-space:normal;min-width:16rem}"
    "th{background:#f3f3f3;position:sticky;top:0;z-index:1}"
    ".bad{background:#fde2e1;color:#8a1c17}.warn{background:#fff3cd;color:#7a5a00}.good{background:#e3f4e1;color:#1e5b1a}"
    ".plot{width:100%;min-height:200px}.js-plotly-plot{width:100%}"
)


def reports_dir() -> Path:
    return steward_home() / "reports"


def report_path(system: str, duty: str, label: str) -> Path:
    path = reports_dir() / system / duty / f"{label}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def column_kind(name: str, values: list[Any]) -> Kind:
    """A column's format from its name and values: the tables of every duty read alike without per-table code."""
    key = name.lower()
    present = [v for v in values if v is not None]
    if any(s in key for s in _STATUS) or all(isinstance(v, bool) for v in present) and present:
        return "status"
    if not present or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "text"
    if any(s in key for s in _MONEY) and "per_1k" not in key or key.endswith(("_per_1k", "per_1000")):
        return "money"
    if any(s in key for s in _PERCENT) and not key.endswith(("_ms", "_per_day")):
        return "percent"
    if all(isinstance(v, int) for v in present) or any(s in key for s in ("rows", "calls", "count", "tokens")):
        return "count"
    return "number"


def format_cell(value: Any, kind: Kind, currency: str | None = None) -> str:
    """One cell as the owner reads it (plain text, not yet escaped)."""
    if value is None or isinstance(value, float) and math.isnan(value):
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        if kind == "money":
            return money(float(value), currency or "USD")
        if kind == "percent":
            return f"{value:.1%}" if abs(value) >= 0.001 or value == 0 else f"{value:.3%}"
        if kind == "count" and float(value).is_integer():
            return f"{int(value):,}"
        return _number(float(value))
    if isinstance(value, list | tuple):
        return ", ".join(format_cell(v, "text", currency) for v in value) or DASH
    if isinstance(value, Mapping):
        return json.dumps(value, default=str)
    return str(value)


def _number(v: float) -> str:
    """Rounded sensibly: separators for large values, four significant digits for small ones, never 1e+05."""
    if v == 0 or v.is_integer() and abs(v) < 1e15:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:,.1f}"
    if abs(v) >= 1e-4:
        return f"{v:.4g}" if abs(v) >= 1 else f"{v:.4f}".rstrip("0").rstrip(".")
    return f"{v:.2e}"


def _status_class(value: Any) -> str:
    if isinstance(value, bool):
        return "bad" if value else "good"
    word = str(value).lower()
    return "bad" if word in _BAD else "warn" if word in _WARN else "good" if word in _GOOD else ""


def _sort_key(value: Any, kind: Kind) -> tuple[int, Any]:
    """Worst status first; otherwise the largest value first; missing values last."""
    if value is None:
        return (2, 0)
    if kind == "status":
        return (0, _RANK.get(str(value).lower(), 0 if value is True else 2 if value is False else 1))
    if isinstance(value, int | float):
        return (0, -abs(float(value)))
    return (1, str(value))


def html_table(rows: list[dict[str, Any]], formats: Mapping[str, Kind] | None = None, currency: str | None = None,
               sort_by: str | None = None) -> str:
    """A formatted, scrollable table; ``sort_by`` orders the rows by impact (worst status or largest value first)."""
    if not rows:
        return "<p>Nothing to show.</p>"
    columns = list(dict.fromkeys(k for row in rows for k in row))
    kinds = {c: (formats or {}).get(c) or column_kind(c, [r.get(c) for r in rows]) for c in columns}
    if sort_by is not None:
        rows = sorted(rows, key=lambda r: _sort_key(r.get(sort_by), kinds[sort_by]))
    head = "".join(f"<th>{html.escape(str(c).replace('_', ' '))}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            value, kind = row.get(c), kinds[c]
            text = format_cell(value, kind, currency)
            css = ("num" if kind in ("money", "percent", "count", "number") else
                   _status_class(value) if kind == "status" else "wrap" if len(text) > 60 else "")
            cells.append(f"<td class='{css}'>{html.escape(text)}</td>" if css else f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<div class='table-wrap'><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>")


def write_html_report(path: Path, title: str, headline: str, sections: dict[str, str]) -> Path:
    """Write an offline page; ``sections`` values are trusted HTML fragments (tables, ``charts.embed`` figures).
    A page with charts loads plotly.js from reports/assets by a relative path, so it opens from file://."""
    parts = "".join(f"<h2>{html.escape(name)}</h2>{content}" for name, content in sections.items())
    script = ""
    if "Plotly.newPlot" in parts:
        asset = ship_plotly_js(reports_dir())
        src = Path(os.path.relpath(asset.resolve(), path.resolve().parent)).as_posix()
        script = f"<script src='{html.escape(src)}' charset='utf-8'></script>"
    path.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style>{script}</head><body><h1>{html.escape(title)}</h1>"
        f"<p><strong>{html.escape(headline)}</strong></p>{parts}</body></html>",
        encoding="utf-8",
    )
    return path

