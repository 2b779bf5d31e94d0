"""Small SVG charts for reports a director reads on paper: one scale per chart, every axis
labelled with its values, every bar with its own value, and "no data" said where there is none.

Pure functions from numbers to SVG text; the text inherits the page's (Thai) font.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

GRID = "#d9dee5"
AXIS = "#666"
MISSING = "#9aa3ad"


def nice_ticks(largest: float, count: int = 5, whole: bool = False) -> list[float]:
    """0 and round steps (1, 2 or 5 × 10ⁿ) up to at least *largest*: the axis's values;
    *whole* numbers only for counts."""
    if largest <= 0:
        return [0.0, 1.0]
    raw = largest / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if whole:
        step = max(step, 1)
    top = math.ceil(largest / step) * step
    ticks = []
    value = 0.0
    while value <= top + step / 2:
        ticks.append(round(value, 10))
        value += step
    return ticks


def number(value: float, percent: bool = False) -> str:
    """A tick or bar value: a percentage with no decimals, or a count with thousands commas."""
    if percent:
        return f"{value * 100:.0f}%"
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    return f"{value:,.1f}"


def _svg(width: float, height: float, label: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>" + "".join(body) + "</svg>"
    )


def column_chart(
    points: Sequence[tuple[str, float | None]],
    *,
    title: str,
    axis: str,
    color: str,
    percent: bool = False,
    missing: str = "no data",
    width: int = 760,
    height: int = 250,
) -> str:
    """Vertical bars over categories (fiscal years): a y-axis with its values, each bar's value
    above it, and *missing* written where a value is ``None``."""
    left, right, top, bottom = 64, 16, 30, 42
    plot_w, plot_h = width - left - right, height - top - bottom
    known = [v for _, v in points if v is not None]
    if percent:
        ticks = [t / 100 for t in nice_ticks(100)]
    else:
        ticks = nice_ticks(max(known, default=0), whole=all(v == int(v) for v in known))
    scale = ticks[-1] or 1
    body = [
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fbfcfe"/>',
        f'<text x="{left}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for t in ticks:
        y = top + plot_h - plot_h * t / scale
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="{AXIS}">{escape(number(t, percent))}</text>'
        )
    body.append(
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="{AXIS}"/>'
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="{AXIS}"/>'
        f'<text x="14" y="{top + plot_h / 2:.1f}" font-size="11" fill="{AXIS}" '
        f'text-anchor="middle" transform="rotate(-90 14 {top + plot_h / 2:.1f})">'
        f"{escape(axis)}</text>"
    )
    step = plot_w / max(len(points), 1)
    show_every = max(1, math.ceil(len(points) / 24))
    for i, (label, value) in enumerate(points):
        x = left + i * step
        centre = x + step / 2
        if value is None:
            body.append(
                f'<text x="{centre:.1f}" y="{top + plot_h - 6}" font-size="10" fill="{MISSING}" '
                f'text-anchor="middle">{escape(missing)}</text>'
            )
        else:
            bar_h = plot_h * value / scale
            body.append(
                f'<rect x="{x + step * 0.18:.1f}" y="{top + plot_h - bar_h:.1f}" '
                f'width="{step * 0.64:.1f}" height="{bar_h:.1f}" fill="{color}">'
                f"<title>{escape(label)}: {escape(number(value, percent))}</title></rect>"
            )
            if len(points) <= 24:
                body.append(
                    f'<text x="{centre:.1f}" y="{top + plot_h - bar_h - 4:.1f}" font-size="10" '
                    f'text-anchor="middle">{escape(number(value, percent))}</text>'
                )
        if i % show_every == 0:
            body.append(
                f'<text x="{centre:.1f}" y="{top + plot_h + 16}" font-size="10" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    return _svg(width, height, title, body)


def bar_chart(
    rows: Sequence[tuple[str, float | None, str]],
    *,
    title: str,
    color: str,
    percent: bool = True,
    missing: str = "no data",
    width: int = 760,
) -> str:
    """Horizontal bars, one per row (label, value, text after the bar), on one axis whose
    values are written above and below; *missing* where a value is ``None``."""
    label_w, right, bar_h, top = 200, 120, 18, 40
    plot_w = width - label_w - right
    height = top + bar_h * len(rows) + 24
    known = [v for _, v, _ in rows if v is not None]
    ticks = [t / 100 for t in nice_ticks(100)] if percent else nice_ticks(max(known, default=0))
    scale = ticks[-1] or 1
    body = [
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fbfcfe"/>',
        f'<text x="8" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    bottom = top + bar_h * len(rows)
    for t in ticks:
        x = label_w + plot_w * t / scale
        body.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{bottom}" stroke="{GRID}"/>'
            f'<text x="{x:.1f}" y="{top - 8}" font-size="10" text-anchor="middle" '
            f'fill="{AXIS}">{escape(number(t, percent))}</text>'
            f'<text x="{x:.1f}" y="{bottom + 14}" font-size="10" text-anchor="middle" '
            f'fill="{AXIS}">{escape(number(t, percent))}</text>'
        )
    for i, (label, value, after) in enumerate(rows):
        y = top + i * bar_h
        body.append(
            f'<text x="{label_w - 6}" y="{y + 13}" font-size="12" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        if value is None:
            body.append(
                f'<text x="{label_w + 4}" y="{y + 13}" font-size="11" fill="{MISSING}">'
                f"{escape(missing)}</text>"
            )
            continue
        body.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{plot_w * value / scale:.1f}" '
            f'height="{bar_h - 6}" fill="{color}"/>'
            f'<text x="{label_w + plot_w + 6}" y="{y + 13}" font-size="11">'
            f"{escape(number(value, percent))} {escape(after)}</text>"
        )
    return _svg(width, height, title, body)


def paired_bar_chart(
    rows: Sequence[tuple[str, float, float]],
    *,
    title: str,
    names: tuple[str, str],
    colors: tuple[str, str],
    width: int = 760,
) -> str:
    """Two horizontal bars per row (e.g. planned and spent) on one shared axis of values."""
    label_w, right, pair_h, top = 200, 110, 26, 56
    plot_w = width - label_w - right
    height = top + pair_h * len(rows) + 24
    ticks = nice_ticks(max([max(a, b) for _, a, b in rows], default=0))
    scale = ticks[-1] or 1
    bottom = top + pair_h * len(rows)
    body = [
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fbfcfe"/>',
        f'<text x="8" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
        f'<rect x="8" y="24" width="12" height="10" fill="{colors[0]}"/>'
        f'<text x="24" y="33" font-size="11">{escape(names[0])}</text>'
        f'<rect x="200" y="24" width="12" height="10" fill="{colors[1]}"/>'
        f'<text x="216" y="33" font-size="11">{escape(names[1])}</text>',
    ]
    for t in ticks:
        x = label_w + plot_w * t / scale
        body.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{bottom}" stroke="{GRID}"/>'
            f'<text x="{x:.1f}" y="{top - 8}" font-size="10" text-anchor="middle" '
            f'fill="{AXIS}">{escape(number(t))}</text>'
            f'<text x="{x:.1f}" y="{bottom + 14}" font-size="10" text-anchor="middle" '
            f'fill="{AXIS}">{escape(number(t))}</text>'
        )
    for i, (label, a, b) in enumerate(rows):
        y = top + i * pair_h
        body.append(
            f'<text x="{label_w - 6}" y="{y + 16}" font-size="12" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        for j, (value, colour) in enumerate(((a, colors[0]), (b, colors[1]))):
            yy = y + 2 + j * 11
            body.append(
                f'<rect x="{label_w}" y="{yy}" width="{plot_w * value / scale:.1f}" height="10" '
                f'fill="{colour}"/><text x="{label_w + plot_w + 6}" y="{yy + 9}" '
                f'font-size="10">{escape(number(value))}</text>'
            )
    return _svg(width, height, title, body)
