"""How fast the engine and the store move cases: run ``python benchmarks/advance_cases.py``
(``--quick``: small counts, to check it still runs).

Prints the engine alone (no storage; one shared machine, cases never registered) and full
audited advances on an SQLite file, as transitions per second, plus peak memory. Figures are
for comparison between versions on one machine, not promises.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import tempfile
import time
from pathlib import Path

from store import SqlAlchemyUnitOfWork, init_database, make_engine
from store.demo import OFFICERS
from workflow import services
from workflow.catalog import engine_for
from workflow.model import Case, NewCase

LOOP = ("suspend", "resume")


def engine_only(n: int) -> float:
    engine = engine_for("provincial")
    now = dt.datetime.now(dt.UTC)
    case = Case(
        "SC-0",
        "provincial",
        1,
        engine.loaded.sha256,
        "moi_review",
        "TH-50",
        "X",
        "CN",
        "city",
        "MOU",
        "sister",
        now,
        "somchai",
        now,
    )
    director = next(o for o in OFFICERS if o.id == "director-fad")
    start = time.perf_counter()
    for i in range(n):
        case = engine.fire(case, LOOP[i % 2], director, {}, "benchmark", now).case
    elapsed = time.perf_counter() - start
    assert not engine._machine.models
    return n / elapsed


def stored(n: int, folder: Path) -> float:
    eng = make_engine(str(folder / "bench.db"))
    init_database(eng, training=True)
    uow = SqlAlchemyUnitOfWork(eng)
    now = dt.datetime.now(dt.UTC)
    for officer in OFFICERS:
        services.add_officer(uow, officer, None, now)
    actors = {o.id: o for o in OFFICERS}
    case = services.open_case(
        uow,
        actors["somchai"],
        NewCase("TH-50", "Guangzhou", "CN", "city", "LOI", "friendship"),
        now,
    )
    start = time.perf_counter()
    for i in range(n):
        services.advance_case(
            uow, actors["governor-cm"], case.reference, LOOP[i % 2], {}, "benchmark", now
        )
    elapsed = time.perf_counter() - start
    eng.dispose()
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine-fires", type=int, default=20_000)
    parser.add_argument("--stored-advances", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="Small counts: does it still run?")
    args = parser.parse_args()
    if args.quick:
        args.engine_fires, args.stored_advances, args.repeat = 500, 20, 1
    rates = [engine_only(args.engine_fires) for _ in range(args.repeat)]
    print(
        f"engine only: median {statistics.median(rates):,.0f} transitions/s "
        f"(min {min(rates):,.0f}, max {max(rates):,.0f}; {args.engine_fires} fires per run)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        rate = stored(args.stored_advances, Path(tmp))
    print(
        f"audited advances on SQLite: {rate:,.0f} transitions/s ({args.stored_advances} advances, "
        "each its own transaction with BEGIN IMMEDIATE, head lock and chained audit row)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
