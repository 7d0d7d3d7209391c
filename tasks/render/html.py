"""Where reports go, and a small self-contained HTML page for a duty run."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from tasks.store.database import steward_home


def report_path(system: str, duty: str, label: str) -> Path:
    path = steward_home() / "reports" / system / duty / f"{label}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def html_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>Nothing to show.</p>"
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row.values()) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_html_report(path: Path, title: str, headline: str, sections: dict[str, str]) -> Path:
    """Write an offline page (no external assets); ``sections`` values are trusted HTML fragments."""
    style = (
        "body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}"
        "th{background:#f3f3f3}"
    )
    parts = "".join(f"<h2>{html.escape(name)}</h2>{content}" for name, content in sections.items())
    path.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body><h1>{html.escape(title)}</h1>"
        f"<p><strong>{html.escape(headline)}</strong></p>{parts}</body></html>",
        encoding="utf-8",
    )
    return path
