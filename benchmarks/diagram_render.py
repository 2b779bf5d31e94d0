"""Time drawing the full procedure to SVG: ``python benchmarks/diagram_render.py [--runs N]``
(``--quick``: two runs, to check it still runs).

Officers run ``sistercity diagram`` interactively, so the target is well under a second. Each
run includes building the picture from the definition and one ``dot`` process, as the CLI does
the first time it draws a picture (no picture is taken from the cache, ``diagrams.kept``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from diagrams import procedure_diagram, render
from states import load_procedure

BUDGET_S = 1.0


def main() -> int:
    """Print median/min/max seconds and whether every run met the budget."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--procedure", default="provincial")
    parser.add_argument("--lang", default="both", choices=["th", "en", "both"])
    parser.add_argument("--quick", action="store_true", help="Two runs: does it still run?")
    args = parser.parse_args()
    if args.quick:
        args.runs = 2
    loaded = load_procedure(args.procedure)
    timings: list[float] = []
    for _ in range(args.runs):
        start = time.perf_counter()
        render(procedure_diagram(loaded, args.lang, show_roles=True), "svg", keep=False)
        timings.append(time.perf_counter() - start)
    d = loaded.definition
    print(f"procedure {d.procedure} v{d.version}, {len(d.states)} states, lang {args.lang}")
    print(
        f"{args.runs} runs: median {statistics.median(timings):.3f} s, "
        f"min {min(timings):.3f} s, max {max(timings):.3f} s"
    )
    worst = max(timings)
    verdict = "yes" if worst < BUDGET_S else "NO"
    print(f"under {BUDGET_S:g} s on every run: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
