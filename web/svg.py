"""SVG for pages: Graphviz output made inline and accessible, a case's path marked on it, and
the geometry of the dashboard's bar charts.

Laying out the procedure takes Graphviz tens of milliseconds, too slow for every case page, so a
case page reuses the procedure picture drawn once per version and language and marks the case's
path on it by class: the emphasis of each state and the edges taken come from
``diagrams.case_diagram`` (the same model ``sistercity diagram case`` draws), and the stylesheet
colours them. ``diagrams`` gives every node and edge an ``id`` (``node__<state>``,
``edge__<from>__<to>``) and a class; only those class attributes change here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from diagrams import Diagram

_GROUP = re.compile(r'<g id="((?:node|edge)__[^"]*)" class="([^"]*)"')
_SIZE = re.compile(r'\swidth="[^"]*pt"\sheight="[^"]*pt"')


def inline(svg: str, label: str) -> str:
    """Graphviz's SVG document as an element for an HTML page, named for screen readers.

    The XML prolog, doctype and comments go; the fixed size in points goes too (the stylesheet
    scales the picture to the page, the ``viewBox`` keeps its proportions).
    """
    start = svg.find("<svg")
    if start < 0:
        return ""
    element = _SIZE.sub("", svg[start:], count=1)
    return element.replace(
        "<svg",
        f'<svg class="diagram" role="img" aria-label="{escape(label, quote=True)}" '
        'focusable="false"',
        1,
    )


def mark_path(svg: str, picture: Diagram) -> str:
    """*svg* (the procedure) with the classes of *picture* (a case) on its states and edges."""
    classes: dict[str, str] = {}
    for node in picture.nodes:
        extra = " overdue" if node.overdue else ""
        classes[f"node__{node.id}"] = f"node {node.kind} {node.emphasis}{extra}"
    for edge in picture.edges:
        state = "taken" if edge.taken else ("faded" if edge.faded else "plain")
        classes[f"edge__{edge.source}__{edge.dest}"] = f"edge {edge.kind} {state}"

    def swap(match: re.Match[str]) -> str:
        element_id, current = match.group(1), match.group(2)
        return f'<g id="{element_id}" class="{classes.get(element_id, current)}"'

    return _GROUP.sub(swap, svg)


# ---------------------------------------------------------------------- bar charts
@dataclass(frozen=True)
class Bar:
    """One bar: its label, the value it stands for, the text shown, and its geometry."""

    label: str
    text: str
    y: float
    width: float
    href: str | None = None


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart drawn by the ``bars`` template macro."""

    title: str
    bars: tuple[Bar, ...]
    width: int
    height: int
    label_width: int
    plot_width: int
    bar_height: int


def bar_chart(
    title: str,
    rows: list[tuple[str, float, str, str | None]],
    maximum: float | None = None,
    width: int = 720,
    label_width: int = 230,
) -> BarChart:
    """Bars for (label, value, text, link) rows, scaled to *maximum* (default: the largest)."""
    bar_height = 22
    text_width = 110
    plot_width = width - label_width - text_width
    top = max(maximum or 0.0, *(value for _, value, _, _ in rows), 0.0) if rows else 0.0
    bars = tuple(
        Bar(
            label=label,
            text=text,
            y=i * bar_height,
            width=round(plot_width * value / top, 1) if top > 0 else 0.0,
            href=href,
        )
        for i, (label, value, text, href) in enumerate(rows)
    )
    return BarChart(
        title=title,
        bars=bars,
        width=width,
        height=max(bar_height, bar_height * len(bars)) + 4,
        label_width=label_width,
        plot_width=plot_width,
        bar_height=bar_height,
    )
