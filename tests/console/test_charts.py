"""The console's SVG charts: well-formed, named for assistive technology, drawn to scale, escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal
from itertools import pairwise

import pytest
from grantflow_gateway.console.charts import (
    BAR_HEIGHT,
    COLUMN_HEIGHT,
    LABEL_WIDTH,
    MAX_COLUMN_LABELS,
    MAX_LABEL,
    VALUE_WIDTH,
    WIDTH,
    Bar,
    Frame,
    Segment,
    Stack,
    bar_chart,
    column_chart,
    stacked_bar_chart,
)

NS = {"svg": "http://www.w3.org/2000/svg"}
FRAME = Frame("chart-test", "Agreements by attainment", "No data yet")
PLOT = WIDTH - LABEL_WIDTH - VALUE_WIDTH


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def rects(svg: ET.Element) -> list[ET.Element]:
    return svg.findall("svg:rect", NS)


def texts(svg: ET.Element) -> list[str]:
    return [t.text or "" for t in svg.findall("svg:text", NS)]


def bars(*values: int) -> list[Bar]:
    return [Bar(f"bucket {i}", Decimal(v), str(v)) for i, v in enumerate(values)]


def test_a_chart_is_an_image_labelled_by_its_title() -> None:
    svg = parse(bar_chart(FRAME, bars(3)))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "chart-test-title"
    title = svg.find("svg:title", NS)
    assert title is not None and title.get("id") == "chart-test-title"
    assert title.text == "Agreements by attainment"
    assert svg.get("viewBox", "").startswith(f"0 0 {WIDTH} ")


def test_bars_are_as_long_as_their_share_of_the_largest() -> None:
    svg = parse(bar_chart(FRAME, bars(40, 10, 20, 0)))
    widths = [float(r.get("width", "")) for r in rects(svg)]
    assert widths == [PLOT, PLOT / 4, PLOT / 2, 0]
    assert {r.get("height") for r in rects(svg)} == {str(BAR_HEIGHT)}
    tops = [float(r.get("y", "")) for r in rects(svg)]
    assert tops == sorted(tops) and len(set(tops)) == 4  # one below the other
    # Each bar's label and printed value, in order.
    assert texts(svg) == ["bucket 0", "40", "bucket 1", "10", "bucket 2", "20", "bucket 3", "0"]


def test_exact_ratios_are_drawn_without_float_input() -> None:
    svg = parse(
        bar_chart(FRAME, [Bar("a", Decimal("0.88"), "0,88"), Bar("b", Decimal("0.44"), "")])
    )
    assert [float(r.get("width", "")) for r in rects(svg)] == [PLOT, PLOT / 2]


def test_all_zero_values_draw_empty_bars_rather_than_dividing_by_zero() -> None:
    svg = parse(bar_chart(FRAME, bars(0, 0)))
    assert [r.get("width") for r in rects(svg)] == ["0", "0"]


def test_no_data_says_so_inside_a_still_labelled_image() -> None:
    for markup in (
        bar_chart(FRAME, []),
        column_chart(FRAME, []),
        stacked_bar_chart(FRAME, [Segment("low", "#1e6b34")], []),
        stacked_bar_chart(FRAME, [Segment("low", "#1e6b34")], [Stack("RU-MOW", (0,), "0")]),
    ):
        svg = parse(markup)
        assert rects(svg) == []
        assert texts(svg) == ["No data yet"]
        assert svg.get("role") == "img" and svg.find("svg:title", NS) is not None


def test_negative_values_are_refused() -> None:
    with pytest.raises(ValueError, match="never negative"):
        bar_chart(FRAME, [Bar("a", Decimal(-1), "-1")])


def test_text_is_escaped_and_the_markup_stays_well_formed() -> None:
    hostile = '<script>alert("x")</script> & "quotes"'
    frame = Frame('chart-"x"', f"Title {hostile}", hostile)
    markup = bar_chart(frame, [Bar("<b>Bold</b> & co", Decimal(1), "<1>")])
    assert "<script>" not in markup and "<b>" not in markup
    svg = parse(markup)  # would fail on a stray tag or ampersand
    assert texts(svg) == ["<b>Bold</b> & co", "<1>"]
    title = svg.find("svg:title", NS)
    assert title is not None and title.text == f"Title {hostile}"
    assert svg.get("aria-labelledby") == 'chart-"x"-title'
    # The text said when there is nothing to draw is escaped as well.
    assert texts(parse(bar_chart(frame, []))) == [hostile]


def test_long_labels_are_cut_and_marked() -> None:
    svg = parse(
        bar_chart(FRAME, [Bar("Support of family, motherhood and childhood", Decimal(1), "1")])
    )
    label = texts(svg)[0]
    assert label.endswith("…") and len(label) <= MAX_LABEL


def test_columns_rise_from_one_baseline_by_their_share() -> None:
    columns = [Bar(f"m{i}", Decimal(v), str(v)) for i, v in enumerate((2, 8, 0, 4))]
    svg = parse(column_chart(FRAME, columns))
    drawn = rects(svg)
    heights = [float(r.get("height", "")) for r in drawn]
    assert heights == [COLUMN_HEIGHT / 4, COLUMN_HEIGHT, 0, COLUMN_HEIGHT / 2]
    bottoms = {round(float(r.get("y", "")) + float(r.get("height", "")), 2) for r in drawn}
    assert len(bottoms) == 1
    lefts = [float(r.get("x", "")) for r in drawn]
    assert lefts == sorted(lefts)
    assert all(float(r.get("x", "")) + float(r.get("width", "")) <= WIDTH for r in drawn)
    # Value above each column, its label under it.
    assert texts(svg) == ["2", "m0", "8", "m1", "0", "m2", "4", "m3"]


def test_crowded_columns_keep_every_value_but_thin_their_labels() -> None:
    months = [Bar(f"M{i:02d}", Decimal(i), str(i)) for i in range(36)]
    svg = parse(column_chart(FRAME, months))
    labels = [t for t in texts(svg) if t.startswith("M")]
    assert len(rects(svg)) == 36
    assert len(labels) <= MAX_COLUMN_LABELS and labels[0] == "M00"


def test_stacked_bars_split_each_total_into_its_parts() -> None:
    segments = [Segment("low", "#1e6b34"), Segment("medium", "#9a5b00"), Segment("high", "#a4161a")]
    stacks = [Stack("RU-MOW", (2, 1, 1), "4"), Stack("RU-PRI", (0, 0, 2), "2")]
    svg = parse(stacked_bar_chart(FRAME, segments, stacks))
    drawn = rects(svg)
    legend, parts = drawn[:3], drawn[3:]
    assert [r.get("fill") for r in legend] == ["#1e6b34", "#9a5b00", "#a4161a"]
    # Zero parts are not drawn; the largest total spans the plot, others in proportion.
    assert [(r.get("fill"), float(r.get("width", ""))) for r in parts] == [
        ("#1e6b34", PLOT / 2),
        ("#9a5b00", PLOT / 4),
        ("#a4161a", PLOT / 4),
        ("#a4161a", PLOT / 2),
    ]
    first_row = parts[:3]
    for left, right in pairwise(first_row):
        assert float(left.get("x", "")) + float(left.get("width", "")) == float(right.get("x", ""))
    assert {"low", "medium", "high", "RU-MOW", "RU-PRI", "4", "2"} <= set(texts(svg))


def test_a_stack_with_the_wrong_number_of_parts_is_refused() -> None:
    with pytest.raises(ValueError, match="2 counts for 3 parts"):
        stacked_bar_chart(
            FRAME,
            [Segment("a", "#000"), Segment("b", "#111"), Segment("c", "#222")],
            [Stack("RU-MOW", (1, 2), "3")],
        )
