"""Interleaved measurements of the product against a floor, reported as ratios.

Every figure pairs what the product does (through the library or the command line) with a
*floor*: the least work that gives the same result, written out in the same module as the
product's measurement so anyone can read and check it (a hand-written Core transaction, the same
SQL on raw sqlite3, a bare interpreter, ``dot`` alone, a minimal verifier). Each round runs the
product and then its floor back to back (the order alternating between rounds), so that a busy
machine slows both alike; the ratio of each round is kept, and the report gives the median,
minimum and maximum of those ratios. On a shared machine only the ratios are stable.

Each round's CPU time is kept too (this process's and its finished children's, user and
system), and its ratio reported beside the wall-clock one. The goals are judged
on wall-clock ratios, as the issue states them; the CPU ratio is what to read when other work
shares the machine's cores, since a busy machine stretches wall time but not CPU time. It leaves
out waiting on the disk (``fsync``) and the PostgreSQL server's own work, which the wall ratio
counts.
"""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["cost", "rate"]


@dataclass
class Figure:
    """One line of the report: product and floor values per round, and the goal.

    ``cost`` figures are seconds (lower is better) and their ratio is product / floor;
    ``rate`` figures are per second (higher is better) and their ratio is floor / product, so a
    ratio above 1 always means the product is that many times slower than its floor. Scaling
    figures (``scaling=True``) compare the product with itself on one worker: their ratio is
    product / floor and higher is better.
    """

    group: str
    name: str
    product_label: str
    floor_label: str
    unit: str
    direction: Direction
    goal_ratio: float | None = None
    #: Goal on the product's own median (seconds for cost figures, per second for rates).
    goal_absolute: float | None = None
    scaling: bool = False
    note: str = ""
    product: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    #: CPU seconds each round's product and floor took (``interleave``), when measured.
    product_cpu: list[float] = field(default_factory=list)
    floor_cpu: list[float] = field(default_factory=list)

    def add(self, product: float, floor: float) -> None:
        self.product.append(product)
        self.floor.append(floor)

    @property
    def cpu_ratios(self) -> list[float]:
        """Product CPU time over floor CPU time, per round (none for scaling figures)."""
        if self.scaling or self.unit == "MiB" or not self.product_cpu:
            return []  # a scaling or memory figure compares different work
        pairs = zip(self.product_cpu, self.floor_cpu, strict=True)
        return [p / f if f else float("inf") for p, f in pairs]

    @property
    def ratios(self) -> list[float]:
        pairs = zip(self.product, self.floor, strict=True)
        if self.scaling or self.direction == "cost":
            return [p / f if f else float("inf") for p, f in pairs]
        return [f / p if p else float("inf") for p, f in pairs]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    def verdicts(self) -> list[bool]:
        found: list[bool] = []
        if self.goal_ratio is not None:
            found.append(
                self.ratio >= self.goal_ratio if self.scaling else self.ratio <= self.goal_ratio
            )
        if self.goal_absolute is not None:
            median = statistics.median(self.product)
            found.append(
                median <= self.goal_absolute
                if self.direction == "cost"
                else median >= self.goal_absolute
            )
        return found

    @property
    def met(self) -> bool | None:
        verdicts = self.verdicts()
        return all(verdicts) if verdicts else None

    def goal_text(self) -> str:
        parts: list[str] = []
        if self.goal_ratio is not None:
            parts.append(f"{'≥' if self.scaling else '≤'} {self.goal_ratio:g}×")
        if self.goal_absolute is not None:
            value = self.goal_absolute
            if self.direction == "cost":
                parts.append(f"≤ {format_value(value, self.unit)}")
            else:
                parts.append(f"≥ {value:,.0f} {self.unit}")
        return " and ".join(parts) or "—"


def format_value(value: float, unit: str) -> str:
    """Seconds shown in the unit that reads best; rates with thousands separators."""
    if unit == "s":
        if value < 0.001:
            return f"{value * 1e6:.0f} µs"
        if value < 1:
            return f"{value * 1e3:.1f} ms"
        return f"{value:.2f} s"
    if unit == "MiB":
        return f"{value:.1f} MiB"
    return f"{value:,.0f} {unit}"


def _spread(ratios: Sequence[float]) -> str:
    return f"{statistics.median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f})"


def fmt_ratio(figure: Figure) -> str:
    return _spread(figure.ratios)


def fmt_cpu_ratio(figure: Figure) -> str:
    ratios = figure.cpu_ratios
    return _spread(ratios) if ratios else "—"


def cpu_seconds() -> float:
    """CPU seconds (user and system) of this process and of its children that have ended."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(action: Callable[[], object]) -> float:
    """Seconds *action* took."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def interleave(
    figure: Figure,
    rounds: int,
    product: Callable[[], float],
    floor: Callable[[], float],
) -> Figure:
    """Run product and floor back to back *rounds* times, alternating which goes first; the
    CPU time of each call is kept beside its figure."""

    def run(action: Callable[[], float]) -> tuple[float, float]:
        start = cpu_seconds()
        value = action()
        return value, cpu_seconds() - start

    for n in range(rounds):
        if n % 2:
            f, f_cpu = run(floor)
            p, p_cpu = run(product)
        else:
            p, p_cpu = run(product)
            f, f_cpu = run(floor)
        figure.add(p, f)
        figure.product_cpu.append(p_cpu)
        figure.floor_cpu.append(f_cpu)
    return figure


def report(figures: Sequence[Figure]) -> str:
    """The plain-text table: product, floor, ratio (median, min–max), goal and verdict."""
    lines: list[str] = []
    group = None
    for f in figures:
        if f.group != group:
            group = f.group
            lines.append(f"\n== {group}")
        met = {True: "met", False: "MISSED", None: ""}[f.met]
        lines.append(
            f"{f.name}\n"
            f"    product  {format_value(statistics.median(f.product), f.unit):>16}  "
            f"{f.product_label}\n"
            f"    floor    {format_value(statistics.median(f.floor), f.unit):>16}  "
            f"{f.floor_label}\n"
            f"    ratio    {fmt_ratio(f):>24}  goal {f.goal_text()}  {met}"
            f"  [{len(f.product)} rounds]"
        )
        if f.cpu_ratios:
            lines.append(f"    cpu      {fmt_cpu_ratio(f):>24}  (CPU time, product / floor)")
        if f.note:
            lines.append(f"    note     {f.note}")
    return "\n".join(lines)


def markdown(figures: Sequence[Figure]) -> str:
    """The README's table, from the same figures."""
    rows = [
        "| measure | product (median) | floor (median) | ratio: median (min–max) | goal | met "
        "| CPU-time ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        met = {True: "yes", False: "**no**", None: "—"}[f.met]
        product = format_value(statistics.median(f.product), f.unit)
        floor = format_value(statistics.median(f.floor), f.unit)
        rows.append(
            f"| {f.name} | {product} | {floor}: {f.floor_label} | {fmt_ratio(f)} | "
            f"{f.goal_text()} | {met} | {fmt_cpu_ratio(f)} |"
        )
    return "\n".join(rows)
