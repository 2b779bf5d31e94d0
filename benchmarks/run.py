"""Every performance figure of the product, each against its floor, with one command.

    python -m benchmarks                  # everything, full sizes (tens of minutes)
    python -m benchmarks --quick          # small sizes, two rounds: does every benchmark run?
    python -m benchmarks --only steps scale --markdown

Each figure prints the product's median, its floor's median and the ratio of each interleaved
round as median (min–max), with the goal and whether it was met (``benchmarks.harness``). The
floors are written next to the products they bound, in the module of each group:

* ``startup``  — commands end to end against a bare interpreter, ``dot`` alone;
* ``steps``    — steps, activities and openings against hand-written Core transactions, on
  SQLite (``synchronous`` FULL and NORMAL) and PostgreSQL; readers while a writer commits;
* ``workers``  — PostgreSQL, 4 and 8 processes advancing different cases against one;
* ``scale``    — 10,000 cases and 1,000,000 records: history, lists, the KPI report against the
  same SQL on raw sqlite3, ``audit verify`` against a minimal verifier, exports in constant
  memory, an import of 5,000 rows.

PostgreSQL figures use ``--pg`` (default ``$SISTERCITY_TEST_PG_URL``); without a reachable server
they are left out, and the report says so. ``--quick`` checks nothing against the goals' limits:
it is what ``tests/test_benchmarks_quick.py`` runs so that no benchmark rots.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # ``python benchmarks/run.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import Figure, markdown, report

GROUPS = ("startup", "steps", "workers", "scale")


def _pg_url(given: str | None) -> str | None:
    from benchmarks.steps import pg_reachable

    url = given if given is not None else os.environ.get("SISTERCITY_TEST_PG_URL")
    if not url:
        return None
    return url if pg_reachable(url) else None


def run_steps(folder: Path, quick: bool, pg: str | None) -> list[Figure]:
    from benchmarks.steps import Bench, Clock, pg_database, prepared, reader_figures, step_figures

    rounds, per_round = (2, 3) if quick else (9, 40)
    figures: list[Figure] = []
    for mode in ("FULL", "NORMAL"):
        engine = prepared(str(folder / f"steps-{mode}.db"), mode)
        label = f"SQLite WAL, synchronous={mode}"
        figures += step_figures(Bench(engine, label, Clock(), engine.dispose), rounds, per_round)
        engine.dispose()
    if pg is not None:
        with pg_database(pg) as url:
            engine = prepared(url)
            figures += step_figures(
                Bench(engine, "PostgreSQL", Clock(), engine.dispose), rounds, per_round
            )
            engine.dispose()
    figures += reader_figures(folder, 2 if quick else 5, 20 if quick else 300)
    return figures


def run_workers(quick: bool, pg: str | None) -> list[Figure]:
    from benchmarks.workers import worker_figures

    if pg is None:
        return []
    return worker_figures(pg, quick)


def run_startup(folder: Path, quick: bool) -> list[Figure]:
    from benchmarks.startup import startup_figures

    return startup_figures(folder, 2 if quick else 15)


def run_scale(folder: Path, quick: bool) -> list[Figure]:
    from benchmarks.scale import scale_figures

    return scale_figures(folder, quick)


def machine() -> str:
    """When, on how many cores, and how busy the machine was: figures taken under load say so."""
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{stamp}, {os.cpu_count()} cores, load average {load} (1, 5, 15 min)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="Small sizes: does it still run?")
    parser.add_argument("--only", nargs="+", choices=GROUPS, default=list(GROUPS))
    parser.add_argument("--pg", default=None, help="PostgreSQL server URL for its figures")
    parser.add_argument("--markdown", action="store_true", help="Also print the README table")
    args = parser.parse_args(argv)
    pg = _pg_url(args.pg)
    started = time.perf_counter()
    at_start = machine()
    print(f"Started {at_start}", flush=True)
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="sistercity-bench-") as tmp:
        folder = Path(tmp)
        for group in args.only:
            t0 = time.perf_counter()
            if group == "startup":
                got = run_startup(folder, args.quick)
            elif group == "steps":
                got = run_steps(folder, args.quick, pg)
            elif group == "workers":
                got = run_workers(args.quick, pg)
            else:
                got = run_scale(folder, args.quick)
            print(report(got), flush=True)
            print(f"   ({group}: {time.perf_counter() - t0:.0f} s)", flush=True)
            figures += got
    if pg is None and ("steps" in args.only or "workers" in args.only):
        print("\nPostgreSQL figures left out: no server (--pg or SISTERCITY_TEST_PG_URL)")
    missed = [f.name for f in figures if f.met is False]
    print(f"\n{len(figures)} figures in {time.perf_counter() - started:.0f} s", end="")
    print(f"; goals missed: {', '.join(missed)}" if missed else "; every goal met")
    if args.quick:
        print("(--quick: small sizes, the goals are not meant to hold)")
    at_end = machine()
    print(f"Ended {at_end}")
    if args.markdown:
        print(f"\nStarted {at_start}; ended {at_end}.\n\n" + markdown(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
