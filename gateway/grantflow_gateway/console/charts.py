"""Charts drawn on the server as inline SVG: horizontal bars, columns over time and stacked bars.

The console's pages allow no script and no inline style, so a chart is plain SVG markup with
presentation attributes (`fill`, `width`), sized by a `viewBox` so it scales with the page. Each
chart names itself for assistive technology (`role="img"`, a `<title>` it is labelled by); the
page shows the same numbers in a data table beside it, because a picture of numbers alone is
not accessible. Values are exact (Decimal); only pixel positions are rounded. Every text is
escaped here, since the markup goes into the page as it is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

WIDTH = 560
LABEL_WIDTH = 180  # room for the category names left of horizontal bars
VALUE_WIDTH = 90  # room for the value printed after a bar
BAR_HEIGHT = 22
BAR_GAP = 10
PAD = 12
FONT_SIZE = 13
COLUMN_HEIGHT = 200  # the tallest column
MAX_COLUMN_WIDTH = 48  # a few months should not draw as a wall
MAX_LABEL = 20  # characters of a category name before it is cut (the table has it whole)
INK = "#1b1f24"
MUTED = "#4a5563"
ACCENT = "#0b5cad"
# At most this many month labels under a column chart; more would overlap.
MAX_COLUMN_LABELS = 12


@dataclass(frozen=True)
class Frame:
    """What every chart has: an id unique in the page, its title, and what to say when there
    is nothing to draw."""

    chart_id: str
    title: str
    empty: str


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    # The value as the page prints it, in the page's language ("1,5", "12 %").
    text: str


@dataclass(frozen=True)
class Segment:
    """One part of a stacked bar: its legend text and colour."""

    name: str
    colour: str


@dataclass(frozen=True)
class Stack:
    label: str
    counts: tuple[int, ...]  # one per segment, in the segments' order
    text: str


def _n(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _cut(label: str, limit: int = MAX_LABEL) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _text(x: float, y: float, content: str, *, anchor: str = "start", fill: str = INK) -> str:
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" fill="{fill}" '
        f'font-size="{FONT_SIZE}" dominant-baseline="middle">{escape(content)}</text>'
    )


def _svg(frame: Frame, height: float, body: Sequence[str]) -> Markup:
    title_id = f"{frame.chart_id}-title"
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{escape(title_id)}" '
        f'id="{escape(frame.chart_id)}" class="chart" viewBox="0 0 {WIDTH} {_n(height)}" '
        f'width="{WIDTH}" height="{_n(height)}">'
        f'<title id="{escape(title_id)}">{escape(frame.title)}</title>' + "".join(body) + "</svg>"
    )


def _empty(frame: Frame) -> Markup:
    height = 2 * PAD + BAR_HEIGHT
    return _svg(frame, height, [_text(WIDTH / 2, height / 2, frame.empty, anchor="middle")])


def _share(value: Decimal, largest: Decimal) -> float:
    """`value` as a fraction of `largest`; all zeros draw nothing rather than divide by zero."""
    if value < 0:
        raise ValueError("a chart draws counts and ratios, which are never negative")
    return float(value / largest) if largest > 0 else 0.0


def bar_chart(frame: Frame, bars: Sequence[Bar], *, colour: str = ACCENT) -> Markup:
    """Horizontal bars, one per category, each as long as its share of the largest value."""
    if not bars:
        return _empty(frame)
    largest = max(bar.value for bar in bars)
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    body = []
    for i, bar in enumerate(bars):
        top = PAD + i * (BAR_HEIGHT + BAR_GAP)
        middle = top + BAR_HEIGHT / 2
        length = plot * _share(bar.value, largest)
        body.append(_text(LABEL_WIDTH - 8, middle, _cut(bar.label), anchor="end"))
        body.append(
            f'<rect x="{LABEL_WIDTH}" y="{_n(top)}" width="{_n(length)}" '
            f'height="{BAR_HEIGHT}" fill="{escape(colour)}"></rect>'
        )
        body.append(_text(LABEL_WIDTH + length + 6, middle, bar.text))
    height = 2 * PAD + len(bars) * BAR_HEIGHT + (len(bars) - 1) * BAR_GAP
    axis = (
        f'<line x1="{LABEL_WIDTH}" y1="{PAD - 4}" x2="{LABEL_WIDTH}" y2="{_n(height - PAD + 4)}" '
        f'stroke="{MUTED}" stroke-width="1"></line>'
    )
    return _svg(frame, height, [*body, axis])


def column_chart(frame: Frame, columns: Sequence[Bar], *, colour: str = ACCENT) -> Markup:
    """Vertical columns in the given order (months, for a series over time), each as tall as its
    share of the largest; the value above each column, labels below, thinned when crowded."""
    if not columns:
        return _empty(frame)
    largest = max(column.value for column in columns)
    top, bottom_room = PAD + FONT_SIZE + 6, FONT_SIZE + 2 * PAD
    base = top + COLUMN_HEIGHT
    slot = (WIDTH - 2 * PAD) / len(columns)
    width = min(slot * 0.7, MAX_COLUMN_WIDTH)
    every = math.ceil(len(columns) / MAX_COLUMN_LABELS)
    body = [
        f'<line x1="{PAD}" y1="{_n(base)}" x2="{WIDTH - PAD}" y2="{_n(base)}" '
        f'stroke="{MUTED}" stroke-width="1"></line>'
    ]
    for i, column in enumerate(columns):
        centre = PAD + slot * i + slot / 2
        height = COLUMN_HEIGHT * _share(column.value, largest)
        body.append(
            f'<rect x="{_n(centre - width / 2)}" y="{_n(base - height)}" width="{_n(width)}" '
            f'height="{_n(height)}" fill="{escape(colour)}"></rect>'
        )
        body.append(_text(centre, base - height - FONT_SIZE / 2 - 2, column.text, anchor="middle"))
        if i % every == 0:
            body.append(
                _text(centre, base + PAD, _cut(column.label, 10), anchor="middle", fill=MUTED)
            )
    return _svg(frame, base + bottom_room, body)


def stacked_bar_chart(frame: Frame, segments: Sequence[Segment], stacks: Sequence[Stack]) -> Markup:
    """Horizontal bars split into coloured parts (counts per segment), with a legend on top; a
    bar's length is its total against the largest total, so bars compare as well as parts."""
    if not stacks or not any(sum(s.counts) for s in stacks):
        return _empty(frame)
    for stack in stacks:
        if len(stack.counts) != len(segments):
            raise ValueError(
                f"{stack.label!r} has {len(stack.counts)} counts for {len(segments)} parts"
            )
    largest = Decimal(max(sum(s.counts) for s in stacks))
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    legend_step = (WIDTH - 2 * PAD) / max(len(segments), 1)
    body = []
    for j, segment in enumerate(segments):
        x = PAD + j * legend_step
        body.append(
            f'<rect x="{_n(x)}" y="{PAD}" width="{FONT_SIZE}" height="{FONT_SIZE}" '
            f'fill="{escape(segment.colour)}"></rect>'
        )
        body.append(_text(x + FONT_SIZE + 5, PAD + FONT_SIZE / 2, _cut(segment.name, 18)))
    first = 2 * PAD + FONT_SIZE
    for i, stack in enumerate(stacks):
        top = first + i * (BAR_HEIGHT + BAR_GAP)
        middle = top + BAR_HEIGHT / 2
        body.append(_text(LABEL_WIDTH - 8, middle, _cut(stack.label), anchor="end"))
        x = float(LABEL_WIDTH)
        for segment, count in zip(segments, stack.counts, strict=True):
            length = plot * _share(Decimal(count), largest)
            if length > 0:
                body.append(
                    f'<rect x="{_n(x)}" y="{_n(top)}" width="{_n(length)}" height="{BAR_HEIGHT}" '
                    f'fill="{escape(segment.colour)}"></rect>'
                )
            x += length
        body.append(_text(x + 6, middle, stack.text))
    height = first + len(stacks) * BAR_HEIGHT + (len(stacks) - 1) * BAR_GAP + PAD
    return _svg(frame, height, body)
