"""Reading back the plotly figures a report page embeds, to assert on what the owner will see."""

from __future__ import annotations

import json
from typing import Any

CALL = "Plotly.newPlot("


def figures(page: str) -> list[dict[str, Any]]:
    """Each ``Plotly.newPlot(id, data, layout, config)`` call in the page as {"id", "data", "layout", "config"}."""
    decoder, found, at = json.JSONDecoder(), [], page.find(CALL)
    while at >= 0:
        pos, parts = at + len(CALL), []
        for _ in range(4):
            while page[pos] in " \n\t\r,":
                pos += 1
            value, pos = decoder.raw_decode(page, pos)
            parts.append(value)
        found.append(dict(zip(("id", "data", "layout", "config"), parts, strict=True)))
        at = page.find(CALL, pos)
    return found


def titled(page: str, heading: str) -> list[dict[str, Any]]:
    """The figures under the section whose <h2> starts with ``heading`` (up to the next section)."""
    start = page.index(f"<h2>{heading}")
    end = page.find("<h2>", start + 4)
    return figures(page[start:end if end >= 0 else len(page)])
