"""Small inline SVG charts: reports stay single offline files with no plotting dependency."""

from __future__ import annotations

import html

WIDTH, HEIGHT, PAD = 640, 200, 30
REFERENCE, CURRENT, LIMIT = "#8da0cb", "#e45756", "#999"


def bars(labels: list[str], reference: list[float], current: list[float]) -> str:
    """Side-by-side bars of each side's share per bin: the reference-versus-current picture."""
    if not labels:
        return ""
    top = max([*reference, *current, 1e-9])
    slot = (WIDTH - 2 * PAD) / len(labels)
    parts = []
    for i, (label, r, c) in enumerate(zip(labels, reference, current, strict=True)):
        x = PAD + i * slot
        for offset, value, colour in ((0.1, r, REFERENCE), (0.5, c, CURRENT)):
            h = (HEIGHT - 2 * PAD) * value / top
            parts.append(f"<rect x='{x + offset * slot:.1f}' y='{HEIGHT - PAD - h:.1f}' width='{0.4 * slot:.1f}' "
                         f"height='{h:.1f}' fill='{colour}'><title>{html.escape(label)}: reference {r:.1%}, "
                         f"current {c:.1%}</title></rect>")
        parts.append(f"<text x='{x + slot / 2:.1f}' y='{HEIGHT - 8}' font-size='9' text-anchor='middle'>"
                     f"{html.escape(label[:14])}</text>")
    legend = (f"<text x='{PAD}' y='14' font-size='11' fill='{REFERENCE}'>■ reference</text>"
              f"<text x='{PAD + 90}' y='14' font-size='11' fill='{CURRENT}'>■ current</text>")
    return f"<svg width='{WIDTH}' height='{HEIGHT}' role='img'>{legend}{''.join(parts)}</svg>"


def history(points: list[tuple[str, float | None]], threshold: float) -> str:
    """A score per window with the owner's threshold as a dashed line."""
    known = [(i, v) for i, (_, v) in enumerate(points) if v is not None]
    if not known:
        return "<p>No history yet.</p>"
    top = max([v for _, v in known] + [threshold]) * 1.15
    step = (WIDTH - 2 * PAD) / max(len(points) - 1, 1)

    def y(v: float) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * v / top

    line = " ".join(f"{PAD + i * step:.1f},{y(v):.1f}" for i, v in known)
    dots = "".join(f"<circle cx='{PAD + i * step:.1f}' cy='{y(v):.1f}' r='3' fill='{CURRENT if v >= threshold else REFERENCE}'>"
                   f"<title>{html.escape(points[i][0])}: {v:.3f}</title></circle>" for i, v in known)
    return (f"<svg width='{WIDTH}' height='{HEIGHT}' role='img'>"
            f"<line x1='{PAD}' x2='{WIDTH - PAD}' y1='{y(threshold):.1f}' y2='{y(threshold):.1f}' stroke='{LIMIT}' stroke-dasharray='4'/>"
            f"<polyline points='{line}' fill='none' stroke='{REFERENCE}'/>{dots}"
            f"<text x='{PAD}' y='{HEIGHT - 8}' font-size='9'>{html.escape(points[0][0])}</text>"
            f"<text x='{WIDTH - PAD}' y='{HEIGHT - 8}' font-size='9' text-anchor='end'>{html.escape(points[-1][0])}</text></svg>")


PALETTE = ("#4c78a8", "#e45756", "#54a24b", "#f58518", "#b279a2", "#72b7b2", "#9d755d", "#bab0ac")


def lines(labels: list[str], series: dict[str, list[float | None]], limit: float | None = None,
          dashed: tuple[str, ...] = ()) -> str:
    """Several series over the same windows (gaps where a value is missing); ``dashed`` series are estimates."""
    values = [v for s in series.values() for v in s if v is not None]
    if not labels or not values:
        return "<p>No history yet.</p>"
    bounds = [*values, *([limit] if limit is not None else [])]
    low, high = min(bounds), max(bounds)
    span = (high - low) or abs(high) or 1.0
    low, high = low - 0.1 * span, high + 0.1 * span
    step = (WIDTH - 2 * PAD) / max(len(labels) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return PAD + i * step, HEIGHT - PAD - (HEIGHT - 2 * PAD) * (v - low) / (high - low)

    parts = []
    if limit is not None:
        y = xy(0, limit)[1]
        parts.append(f"<line x1='{PAD}' x2='{WIDTH - PAD}' y1='{y:.1f}' y2='{y:.1f}' stroke='{LIMIT}' stroke-dasharray='4'/>")
    for n, (name, points) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        dash = " stroke-dasharray='5 3'" if name in dashed else ""
        runs: list[list[str]] = [[]]
        for i, v in enumerate(points):
            if v is None:
                runs.append([])
            else:
                x, y = xy(i, v)
                runs[-1].append(f"{x:.1f},{y:.1f}")
                parts.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='2.5' fill='{colour}'>"
                             f"<title>{html.escape(name)} {html.escape(labels[i])}: {v:,.4g}</title></circle>")
        parts += [f"<polyline points='{' '.join(r)}' fill='none' stroke='{colour}'{dash}/>" for r in runs if len(r) > 1]
        parts.append(f"<text x='{PAD + 150 * n}' y='14' font-size='11' fill='{colour}'>■ {html.escape(name[:24])}</text>")
    parts.append(f"<text x='{PAD}' y='{HEIGHT - 8}' font-size='9'>{html.escape(labels[0])}</text>"
                 f"<text x='{WIDTH - PAD}' y='{HEIGHT - 8}' font-size='9' text-anchor='end'>{html.escape(labels[-1])}</text>"
                 f"<text x='2' y='{PAD}' font-size='9'>{high:,.3g}</text>"
                 f"<text x='2' y='{HEIGHT - PAD}' font-size='9'>{low:,.3g}</text>")
    return f"<svg width='{WIDTH}' height='{HEIGHT}' role='img'>{''.join(parts)}</svg>"
def daily_bars(points: list[tuple[str, float | None]], flagged: set[str],
               expected: list[float | None] | None = None) -> str:
    """One bar per day, flagged days in red; ``expected`` (the usual level per day) as a dashed line.
    A day without a value (before a log began) is left as a gap, not drawn as zero."""
    if not points:
        return ""
    top = max([v for _, v in points if v is not None] + [e for e in (expected or []) if e is not None] + [1e-9]) * 1.1
    slot = (WIDTH - 2 * PAD) / len(points)

    def y(v: float) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * v / top

    parts = [f"<rect x='{PAD + i * slot + 0.1 * slot:.1f}' y='{y(v):.1f}' width='{0.8 * slot:.1f}' "
             f"height='{HEIGHT - PAD - y(v):.1f}' fill='{CURRENT if label in flagged else REFERENCE}'>"
             f"<title>{html.escape(label)}: {v:,.2f}</title></rect>" for i, (label, v) in enumerate(points) if v is not None]
    if expected:
        line = " ".join(f"{PAD + (i + 0.5) * slot:.1f},{y(e):.1f}" for i, e in enumerate(expected) if e is not None)
        parts.append(f"<polyline points='{line}' fill='none' stroke='{LIMIT}' stroke-dasharray='4'/>")
    return (f"<svg width='{WIDTH}' height='{HEIGHT}' role='img'>{''.join(parts)}"
            f"<text x='{PAD}' y='{HEIGHT - 8}' font-size='9'>{html.escape(points[0][0])}</text>"
            f"<text x='{WIDTH - PAD}' y='{HEIGHT - 8}' font-size='9' text-anchor='end'>{html.escape(points[-1][0])}</text></svg>")


def share_bars(items: list[tuple[str, float]]) -> str:
    """Horizontal bars of each item's share of a whole (e.g. spend by model)."""
    if not items:
        return ""
    row, label_width = 22, 160
    top = max([v for _, v in items] + [1e-9])
    parts = []
    for i, (label, v) in enumerate(items):
        w = (WIDTH - label_width - 2 * PAD) * v / top
        parts.append(f"<text x='{label_width - 6}' y='{i * row + 15}' font-size='11' text-anchor='end'>"
                     f"{html.escape(label[:24])}</text><rect x='{label_width}' y='{i * row + 4}' width='{w:.1f}' "
                     f"height='{row - 8}' fill='{REFERENCE}'><title>{html.escape(label)}: {v:.1%}</title></rect>"
                     f"<text x='{label_width + w + 4:.1f}' y='{i * row + 15}' font-size='10'>{v:.1%}</text>")
    return f"<svg width='{WIDTH}' height='{len(items) * row + 4}' role='img'>{''.join(parts)}</svg>"
