"""Report charts as plotly figures: real axes with units, dates on a date axis, hover values, honest ranges.

Every builder is a pure function returning a plotly figure as a plain dict ``{"data": [...], "layout": {...}}``
(test the figure, not pixels; ``plotly.graph_objects.Figure(fig)`` validates one; building dicts rather than
graph objects is ~500x cheaper, which keeps building every demo report fast); ``embed(fig)`` turns one into an HTML fragment for ``write_html_report`` sections. Pages load plotly.js once
from ``reports/assets/plotly.min.js`` (copied from the installed package by ``ship_plotly_js``; no CDN), so a
report stays a file that opens from file:// without a server.

API (``unit`` is one of UNITS; ``currency`` an ISO code such as "USD", used when unit == "money"):

    Series(name, x, y, low=None, high=None, dashed=False, band="confidence band")
        one line; x = dates (date/datetime/ISO str); low/high = a band drawn as a fill, named "<name>: <band>"
    trend(series, *, unit, currency=None, limit=None, limit_name="SLA", y_title=None) -> Figure
        lines over a date axis; ``limit`` is a dashed horizontal line (an SLA bound, a drift threshold)
    compare_bars(labels, reference, current, *, unit="rate", names=("reference", "current")) -> Figure
        horizontal grouped bars per category/bin (drift: reference versus current shares)
    share_bars(labels, values, *, unit="rate", currency=None) -> Figure
        horizontal bars, one per category, largest first (spend share by model, money by slice)
    daily_bars(days, values, *, unit="money", currency=None, flagged=(), expected=None) -> Figure
        one bar per day on a date axis, flagged days in red, ``expected`` as a dashed line
    cumulative_spend(days, costs, *, currency, budget=None, forecast=None, month_end=None) -> Figure
        spend to date (cumulative) against the budget line, with the forecast to ``month_end`` dashed
    axis_format(unit, currency=None) -> dict        tickformat/hoverformat/tickprefix/rangemode for an axis
    embed(fig, height=None) -> str                   the <div> + Plotly.newPlot call (include_plotlyjs=False)
    ship_plotly_js(reports_dir) -> Path              copy plotly.min.js into reports_dir/assets once

Ranges never exaggerate: volumes, money and rates start at zero, rates end at most at 1, bands are clipped
to the unit's bounds (no negative money or rate).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import plotly
import plotly.io as pio

from tasks.core.money import currency_symbol

Unit = Literal["rate", "money", "count", "ms", "score", "number"]
UNITS: tuple[str, ...] = ("rate", "money", "count", "ms", "score", "number")
REFERENCE, CURRENT, LIMIT, FLAGGED = "#8da0cb", "#e45756", "#666", "#e45756"
PALETTE = ("#4c78a8", "#e45756", "#54a24b", "#f58518", "#b279a2", "#72b7b2", "#9d755d", "#bab0ac")
ASSET = "plotly.min.js"
_NONNEGATIVE = {"rate", "money", "count", "ms", "score"}
_CONFIG = {"responsive": True, "displaylogo": False}

X = date | datetime | str
Figure = dict[str, Any]


@dataclass(frozen=True)
class Series:
    """One line of a trend; ``low``/``high`` (same length as ``y``) draw its confidence band."""

    name: str
    x: Sequence[X]
    y: Sequence[float | None]
    low: Sequence[float | None] | None = None
    high: Sequence[float | None] | None = None
    dashed: bool = False
    band: str = "confidence band"


def axis_format(unit: str, currency: str | None = None) -> dict[str, Any]:
    """Tick and hover formats for a value axis: money with the owner's symbol, rates as %, counts grouped."""
    if unit not in UNITS:
        raise ValueError(f"unknown chart unit {unit!r}; one of {UNITS}")  # a programming error, not a user's
    fmt: dict[str, Any] = {
        "rate": {"tickformat": ".1%", "hoverformat": ".2%"},
        "money": {"tickformat": ",.2~f", "hoverformat": ",.2f", "tickprefix": currency_symbol(currency or "USD")},
        "count": {"tickformat": ",d", "hoverformat": ",d"},
        "ms": {"tickformat": ",.0f", "hoverformat": ",.0f", "ticksuffix": " ms"},
        "score": {"tickformat": ",.3~g", "hoverformat": ",.4f"},
        "number": {"tickformat": ",.3~g", "hoverformat": ",.4f"},
    }[unit]
    fmt["rangemode"] = "tozero" if unit in _NONNEGATIVE else "normal"
    return fmt


def _clip(values: Sequence[float | None] | None, unit: str) -> list[float | None] | None:
    """Bounds a band to what the unit can be: no negative money or rate, no rate above 1."""
    if values is None:
        return None
    low = 0.0 if unit in _NONNEGATIVE else None
    high = 1.0 if unit == "rate" else None
    out: list[float | None] = []
    for v in values:
        if v is not None:
            v = max(v, low) if low is not None else v
            v = min(v, high) if high is not None else v
        out.append(v)
    return out


def _value_range(unit: str, values: Sequence[float | None]) -> list[float] | None:
    """An explicit range from zero for non-negative units (rates capped at 1): never a truncated range."""
    if unit not in _NONNEGATIVE:
        return None
    top = max([v for v in values if v is not None] + [0.0])
    top = top * 1.1 if top > 0 else 1.0
    return [0.0, min(top, 1.0) if unit == "rate" else top]


def _axis(**extra: Any) -> dict[str, Any]:
    return {"gridcolor": "#e5e5e5", "zerolinecolor": "#bbb", "linecolor": "#999", "automargin": True, **extra}


def _figure(data: list[dict[str, Any]], xaxis: dict[str, Any], yaxis: dict[str, Any], *, legend: bool = True,
            height: int = 320, hovermode: str = "x unified", **layout: Any) -> Figure:
    """The house layout: white, full width (autosize; embed makes it responsive), legend above the plot."""
    return {"data": data, "layout": {
        "autosize": True, "height": height, "margin": {"l": 70, "r": 30, "t": 40, "b": 60},
        "paper_bgcolor": "white", "plot_bgcolor": "white", "hovermode": hovermode, "showlegend": legend,
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        "font": {"family": "system-ui, sans-serif", "size": 12}, "colorway": list(PALETTE),
        "xaxis": _axis(**xaxis), "yaxis": _axis(**yaxis), **layout}}


def _iso(x: X) -> str:
    return x.isoformat() if isinstance(x, date) else str(x)


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def trend(series: Sequence[Series], *, unit: Unit, currency: str | None = None, limit: float | None = None,
          limit_name: str = "SLA", y_title: str | None = None) -> Figure:
    """Values per window on a true date axis (uneven gaps stay uneven), gaps where a value is missing."""
    data: list[dict[str, Any]] = []
    seen: list[float | None] = [limit] if limit is not None else []
    every_x: list[str] = []
    for n, s in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        xs = [_iso(x) for x in s.x]
        every_x += xs
        low, high = _clip(s.low, unit), _clip(s.high, unit)
        if low is not None and high is not None:
            # The band: the upper edge, then the lower edge filled up to it (plotly's "tonexty").
            data.append({"type": "scatter", "x": xs, "y": high, "mode": "lines", "line": {"width": 0},
                         "showlegend": False, "hoverinfo": "skip", "name": f"{s.name} upper"})
            data.append({"type": "scatter", "x": xs, "y": low, "mode": "lines", "line": {"width": 0},
                         "fill": "tonexty", "fillcolor": _tint(colour), "name": f"{s.name}: {s.band}",
                         "hoverinfo": "skip"})
            seen += high
        data.append({"type": "scatter", "x": xs, "y": _clip(s.y, unit), "mode": "lines+markers", "name": s.name,
                     "line": {"color": colour, "dash": "dash" if s.dashed else "solid"}, "marker": {"size": 5},
                     "connectgaps": False})
        seen += list(s.y)
    if limit is not None and every_x:
        data.append({"type": "scatter", "x": [min(every_x), max(every_x)], "y": [limit, limit], "mode": "lines",
                     "name": limit_name, "line": {"color": LIMIT, "dash": "dot"}})
    return _figure(data, {"type": "date", "tickformat": "%b %d\n%Y", "hoverformat": "%Y-%m-%d",
                          "title": {"text": "window start"}},
                   _drop_none({"title": {"text": y_title} if y_title else None, "range": _value_range(unit, seen),
                               **axis_format(unit, currency)}))


def compare_bars(labels: Sequence[str], reference: Sequence[float], current: Sequence[float], *,
                 unit: Unit = "rate", names: tuple[str, str] = ("reference", "current")) -> Figure:
    """Reference versus current per category or bin, as horizontal bars so long labels stay readable."""
    ys = [str(label) for label in labels]
    data = [{"type": "bar", "y": ys, "x": list(values), "name": name, "orientation": "h", "marker": {"color": colour}}
            for name, values, colour in ((names[0], reference, REFERENCE), (names[1], current, CURRENT))]
    x = _drop_none({"range": _value_range(unit, [*reference, *current]), **axis_format(unit),
                    "title": {"text": "share of rows"} if unit == "rate" else None})
    return _figure(data, x, {"type": "category", "autorange": "reversed"}, barmode="group",
                   height=max(240, 80 + 34 * len(ys)), hovermode="y unified")


def share_bars(labels: Sequence[str], values: Sequence[float], *, unit: Unit = "rate",
               currency: str | None = None) -> Figure:
    """One horizontal bar per category, largest first, its value written beside it."""
    pairs = sorted(zip(labels, values, strict=True), key=lambda p: -p[1])
    fmt = axis_format(unit, currency)
    data = [{"type": "bar", "y": [str(p[0]) for p in pairs], "x": [p[1] for p in pairs], "orientation": "h",
             "marker": {"color": PALETTE[0]}, "name": "",
             "texttemplate": f"{fmt.get('tickprefix', '')}%{{x:{fmt['hoverformat']}}}{fmt.get('ticksuffix', '')}",
             "textposition": "auto", "cliponaxis": False}]
    x = _drop_none({"range": _value_range(unit, [v * 1.2 for v in values]), **fmt})
    return _figure(data, x, {"type": "category", "autorange": "reversed"}, legend=False, hovermode="closest",
                   height=max(200, 80 + 30 * len(pairs)))


def daily_bars(days: Sequence[X], values: Sequence[float | None], *, unit: Unit = "money", currency: str | None = None,
               flagged: Sequence[X] = (), expected: Sequence[float | None] | None = None,
               name: str = "spend", expected_name: str = "usual for the weekday") -> Figure:
    """A bar per day on a date axis; a day without a value (before the log began) is a gap, not a zero."""
    xs = [_iso(d) for d in days]
    marked = {_iso(d) for d in flagged}
    data = [{"type": "bar", "x": xs, "y": list(values), "name": name,
             "marker": {"color": [FLAGGED if x in marked else REFERENCE for x in xs]}}]
    if expected is not None:
        data.append({"type": "scatter", "x": xs, "y": list(expected), "name": expected_name, "mode": "lines",
                     "line": {"color": LIMIT, "dash": "dash"}})
    y = _drop_none({"range": _value_range(unit, [*values, *(expected or [])]), **axis_format(unit, currency)})
    return _figure(data, {"type": "date", "hoverformat": "%a %Y-%m-%d", "title": {"text": "day (UTC)"}}, y)


def cumulative_spend(days: Sequence[X], costs: Sequence[float | None], *, currency: str, budget: float | None = None,
                     forecast: float | None = None, month_end: X | None = None) -> Figure:
    """Spend to date against the month's budget, with the forecast drawn dashed from today to month end."""
    xs = [_iso(d) for d in days]
    total, running = 0.0, []
    for c in costs:
        total += c or 0.0
        running.append(total)
    data: list[dict[str, Any]] = [{"type": "scatter", "x": xs, "y": running, "name": "spend to date",
                                   "mode": "lines+markers", "line": {"color": PALETTE[0]}, "fill": "tozeroy",
                                   "fillcolor": _tint(PALETTE[0])}]
    seen: list[float | None] = list(running)
    end = _iso(month_end) if month_end is not None else (xs[-1] if xs else None)
    if forecast is not None and month_end is not None and xs:
        data.append({"type": "scatter", "x": [xs[-1], end], "y": [running[-1], forecast], "name": "forecast",
                     "mode": "lines+markers", "line": {"color": PALETTE[3], "dash": "dash"}})
        seen.append(forecast)
    if budget is not None and xs:
        data.append({"type": "scatter", "x": [xs[0], end], "y": [budget, budget], "name": "budget", "mode": "lines",
                     "line": {"color": CURRENT, "dash": "dot"}})
        seen.append(budget)
    y = _drop_none({"range": _value_range("money", seen), "title": {"text": f"cumulative spend ({currency})"},
                    **axis_format("money", currency)})
    return _figure(data, {"type": "date", "hoverformat": "%Y-%m-%d", "title": {"text": "day (UTC)"}}, y)


def _tint(colour: str, alpha: float = 0.2) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def embed(fig: Figure, height: int | None = None) -> str:
    """The figure as an HTML fragment that fills the page width; plotly.js comes from the page's head."""
    if height is not None:
        fig = {**fig, "layout": {**fig["layout"], "height": height}}
    return pio.to_html(fig, full_html=False, include_plotlyjs=False, config=_CONFIG, validate=False,
                       default_width="100%", default_height=f"{fig['layout'].get('height', 320)}px")


def ship_plotly_js(reports_dir: Path) -> Path:
    """Copy the installed plotly.js beside the reports, once (again only if the installed one changed)."""
    source = Path(plotly.__file__).parent / "package_data" / ASSET
    target = reports_dir / "assets" / ASSET
    if not target.exists() or target.stat().st_size != source.stat().st_size:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return target
