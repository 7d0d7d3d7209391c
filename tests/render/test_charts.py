"""The report charts and tables: what the owner sees, read back from the figure data and the HTML."""

from __future__ import annotations

import os
from pathlib import Path

import plotly.graph_objects as go
from hypothesis import given
from hypothesis import strategies as st

from chart_support import figures
from tasks.render import charts
from tasks.render.charts import Series, compare_bars, cumulative_spend, daily_bars, embed, share_bars, trend
from tasks.render.html import column_kind, format_cell, html_table, write_html_report

DAYS = ["2026-10-24", "2026-10-31", "2026-11-07"]


def test_trend_is_on_a_date_axis_with_percent_formats_a_zero_floor_and_the_sla() -> None:
    fig = trend([Series("recall", DAYS, [0.95, None, 0.94])], unit="rate", limit=0.9)
    go.Figure(fig)  # every attribute is one plotly knows
    x, y = fig["layout"]["xaxis"], fig["layout"]["yaxis"]
    assert x["type"] == "date" and y["tickformat"] == ".1%" and y["hoverformat"] == ".2%"
    assert y["range"][0] == 0 and y["range"][1] <= 1  # not a 0.939–0.957 range that exaggerates movement
    line, sla = fig["data"]
    assert line["y"] == [0.95, None, 0.94] and not line["connectgaps"]  # a missing window is a gap
    assert sla["name"] == "SLA" and sla["y"] == [0.9, 0.9] and sla["x"] == [DAYS[0], DAYS[-1]]


def test_an_estimate_is_drawn_dashed_in_its_confidence_band_clipped_to_rates() -> None:
    fig = trend([Series("recall (estimated)", DAYS, [0.02, 0.5, 0.98], low=[-0.05, 0.4, 0.9], high=[0.1, 0.6, 1.2],
                        dashed=True)], unit="rate")
    upper, lower, estimate = fig["data"]
    assert lower["fill"] == "tonexty" and lower["name"] == "recall (estimated): confidence band"
    assert lower["y"] == [0.0, 0.4, 0.9] and upper["y"] == [0.1, 0.6, 1.0]  # a rate stays within [0, 1]
    assert estimate["line"]["dash"] == "dash"


def test_money_is_in_the_owners_currency_from_zero() -> None:
    fig = trend([Series("fraud_missed", DAYS, [299_000.0, 310_000.0, 305_000.0])], unit="money", currency="EUR")
    y = fig["layout"]["yaxis"]
    assert y["tickprefix"] == "€" and y["tickformat"] == ",.2~f" and y["hoverformat"] == ",.2f"  # never 2.99e+05
    assert y["range"][0] == 0 and y["range"][1] > 310_000


@given(st.lists(st.one_of(st.none(), st.floats(-5, 5)), min_size=1, max_size=20))
def test_rate_and_money_axes_never_go_below_zero(values: list[float | None]) -> None:
    for unit in ("rate", "money", "count"):
        fig = trend([Series("v", ["2026-11-01"] * len(values), values, low=values, high=values)], unit=unit)
        assert fig["layout"]["yaxis"]["range"][0] == 0
        drawn = [v for t in fig["data"] for v in t["y"] if v is not None]
        assert all(v >= 0 for v in drawn) and (unit != "rate" or all(v <= 1 for v in drawn))


def test_category_bars_are_horizontal_so_long_labels_stay_readable() -> None:
    labels = ["digital_goods", "entertainment", "0.0011–0.564"]
    fig = compare_bars(labels, [0.2, 0.3, 0.5], [0.1, 0.1, 0.8], names=("reference (v2)", "current"))
    go.Figure(fig)
    assert [t["orientation"] for t in fig["data"]] == ["h", "h"] and fig["data"][0]["y"] == labels
    assert fig["layout"]["yaxis"]["type"] == "category" and fig["layout"]["xaxis"]["tickformat"].endswith("%")
    assert fig["layout"]["height"] >= 80 + 34 * len(labels)  # room for each label


def test_share_bars_are_sorted_largest_first_with_values_written() -> None:
    fig = share_bars(["gpt-4o-mini", "gpt-4o"], [0.2, 0.8])
    go.Figure(fig)
    assert fig["data"][0]["y"] == ["gpt-4o", "gpt-4o-mini"] and "%{x:.2%}" in fig["data"][0]["texttemplate"]


def test_cost_charts_draw_spend_to_date_against_the_budget_with_the_forecast() -> None:
    fig = cumulative_spend(["2026-11-01", "2026-11-02", "2026-11-03"], [10.0, None, 5.0], currency="USD",
                           budget=100.0, forecast=140.0, month_end="2026-11-30")
    go.Figure(fig)
    spend, forecast, budget = fig["data"]
    assert spend["y"] == [10.0, 10.0, 15.0]  # cumulative; a day without spend adds nothing
    assert forecast["x"] == ["2026-11-03", "2026-11-30"] and forecast["y"] == [15.0, 140.0]
    assert budget["name"] == "budget" and budget["y"] == [100.0, 100.0]
    assert fig["layout"]["xaxis"]["type"] == "date" and fig["layout"]["yaxis"]["tickprefix"] == "$"
    assert fig["layout"]["yaxis"]["range"] == [0.0, 140.0 * 1.1]

    days = daily_bars(["2026-11-01", "2026-11-02"], [3.0, None], flagged=["2026-11-02"], expected=[2.0, 2.0],
                      currency="GBP")
    go.Figure(days)
    assert days["data"][0]["marker"]["color"] == [charts.REFERENCE, charts.FLAGGED]
    assert days["layout"]["yaxis"]["tickprefix"] == "£" and days["layout"]["xaxis"]["type"] == "date"


def test_a_page_loads_plotly_js_once_from_the_reports_assets_by_a_relative_path(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path))
    page = tmp_path / "reports" / "fraud-scoring" / "drift" / "2026-11-20.html"
    page.parent.mkdir(parents=True)
    write_html_report(page, "Drift", "headline", {"chart": embed(trend([Series("a", DAYS, [1, 2, 3])], unit="count"))})
    text = page.read_text()
    assert "<script src='../../assets/plotly.min.js'" in text and "cdn" not in text.lower()
    asset = tmp_path / "reports" / "assets" / "plotly.min.js"
    assert asset.stat().st_size > 1_000_000 and (page.parent / "../../assets/plotly.min.js").resolve() == asset
    [fig] = figures(text)
    assert fig["config"]["responsive"] and fig["layout"]["autosize"]
    assert "width:100%" in text.replace(" ", "")  # fills the page, not 640 px
    before = os.stat(asset).st_mtime_ns
    write_html_report(page, "Drift", "again", {"chart": embed(trend([Series("a", DAYS, [1, 2, 3])], unit="count"))})
    assert os.stat(asset).st_mtime_ns == before  # shipped once
    plain = tmp_path / "reports" / "x" / "compliance" / "p.html"
    plain.parent.mkdir(parents=True)
    assert "<script" not in write_html_report(plain, "t", "h", {"table": html_table([{"a": 1}])}).read_text()


def test_tables_format_money_percentages_missing_values_and_colour_status() -> None:
    rows = [{"model": "a", "cost": 242450.78, "share": 0.14889967095015738, "drifted": False, "p_value": None,
             "psi": 0.14889967095015738, "calls": 12000, "status": "healthy"},
            {"model": "b", "cost": 5.5, "share": 0.85, "drifted": True, "p_value": 1e-7, "psi": 2.5, "calls": 3,
             "status": "breach"}]
    page = html_table(rows, currency="EUR", sort_by="drifted")
    assert "€242,450.78" in page and "14.9%" in page and "0.1489" in page and "12,000" in page
    assert "—" in page and "None" not in page and "True" not in page and "1.00e-07" in page
    assert page.index("<td>b</td>") < page.index("<td>a</td>")  # the drifted row first
    assert "<td class='bad'>breach</td>" in page and "<td class='good'>healthy</td>" in page
    assert page.startswith("<div class='table-wrap'>")  # scrolls inside its own box
    by_cost = html_table(rows, sort_by="cost")
    assert by_cost.index("<td>a</td>") < by_cost.index("<td>b</td>")  # the largest first


def test_column_kinds_are_inferred_from_names_and_can_be_overridden() -> None:
    assert column_kind("monthly_saving", [1.5]) == "money" and column_kind("cache_hit_rate", [0.5]) == "percent"
    assert column_kind("calls", [3, 4]) == "count" and column_kind("verdict", ["met"]) == "status"
    assert column_kind("note", ["x", None]) == "text" and column_kind("latency_ms_mean", [12.5]) == "number"
    assert "1,234.5" in html_table([{"fraud_missed": 1234.5}])
    assert "$1,234.50" in html_table([{"fraud_missed": 1234.5}], formats={"fraud_missed": "money"})
    assert format_cell(0.0004, "percent") == "0.040%" and format_cell(3.14159, "number") == "3.142"


def test_no_report_module_keeps_the_hand_drawn_svg() -> None:
    repo = Path(__file__).resolve().parents[2]
    for report in (repo / "tasks").glob("*/report.py"):
        assert "<svg" not in report.read_text(), report
