"""SVG charts (bot/analytics/charts.py): well-formed, named and described, escaped, proportional."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from bot.analytics.charts import nice_top, svg
from bot.analytics.figures import Chart, Column, Figure

NS = "{http://www.w3.org/2000/svg}"


def figure(kind: str, labels, series, title: str = "Cases <by> category") -> Figure:  # type: ignore[no-untyped-def]
    return Figure("k", title, 'Pothole & "graffiti"', [Column("Label", "text")], [], Chart(kind, labels, series))


def test_a_chart_is_an_image_named_by_its_title_and_described_by_its_headline() -> None:
    drawn = ET.fromstring(svg(figure("bars", ["<script>x</script>", "b"], [("Cases", [3.0, 1.0])]), "chart-k"))
    assert drawn.get("role") == "img"
    assert drawn.get("aria-labelledby") == "chart-k-title" and drawn.get("aria-describedby") == "chart-k-desc"
    assert drawn.find(f"{NS}title").text == "Cases <by> category"
    assert drawn.find(f"{NS}desc").text == 'Pothole & "graffiti"'
    texts = [t.text for t in drawn.iter(f"{NS}text")]
    assert "<script>x</script>" in texts  # escaped in the markup, so it is text, not an element
    assert not list(drawn.iter(f"{NS}script"))


def test_bars_are_proportional_and_columns_stack_per_label() -> None:
    bars = ET.fromstring(svg(figure("bars", ["a", "b"], [("n", [4.0, 1.0])]), "c"))
    widths = [float(r.get("width")) for r in bars.iter(f"{NS}rect") if r.get("fill") != "#ffffff"]
    assert widths[0] == 4 * widths[1]
    columns = ET.fromstring(svg(figure("columns", ["d1", "d2"], [("web", [2.0, 0.0]), ("sms", [1.0, 3.0])]), "c"))
    rects = [r for r in columns.iter(f"{NS}rect") if r.get("fill") != "#ffffff" and float(r.get("y")) > 20]
    heights = sorted(float(r.get("height")) for r in rects)
    assert len(heights) == 3
    assert heights[2] == pytest.approx(heights[0] * 3, abs=0.02) and heights[1] == pytest.approx(heights[0] * 2, abs=0.02)
    legend = [t.text for t in columns.iter(f"{NS}text")]
    assert "web" in legend and "sms" in legend


def test_an_empty_chart_says_so_and_axes_are_round_numbers() -> None:
    empty = ET.fromstring(svg(figure("bars", [], [("n", [])]), "c"))
    assert "Nothing in this period." in [t.text for t in empty.iter(f"{NS}text")]
    assert ET.fromstring(svg(figure("columns", [], [("n", [])]), "c")) is not None
    assert nice_top(0) == (1.0, 1.0) and nice_top(3) == (3.0, 1.0)
    assert nice_top(37) == (40, 10) and nice_top(123) == (150, 50) and nice_top(999) == (1000, 250)
