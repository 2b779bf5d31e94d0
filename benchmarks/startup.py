"""Commands end to end, as an officer runs them, against the interpreter they cannot beat.

Each product is the installed ``sistercity`` console script in a fresh process; each floor is the
same Python in a fresh process importing only what that command cannot do without (nothing for
help; SQLAlchemy's ORM for a read; SQLAlchemy, transitions and pydantic for a step), or, for a
diagram, Graphviz's ``dot`` on the very DOT text the command renders: once drawn for the first
time, once drawn again with the picture kept from before. The goals are issue 13's.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

from benchmarks.harness import Figure, interleave, timed

BIN = Path(sys.executable).parent
SISTERCITY = str(BIN / "sistercity")
PYTHON = sys.executable


def _run(argv: list[str], env: dict[str, str]) -> float:
    def go() -> None:
        done = subprocess.run(argv, env=env, capture_output=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()[-300:]}")

    return timed(go)


def startup_figures(folder: Path, rounds: int) -> list[Figure]:
    from store import SqlAlchemyUnitOfWork, init_database, make_engine
    from store.demo import OFFICERS
    from workflow import services
    from workflow.model import NewCase

    db = folder / "startup.db"
    engine = make_engine(str(db))
    init_database(engine, training=True)
    uow = SqlAlchemyUnitOfWork(engine)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    for officer in OFFICERS:
        services.add_officer(uow, officer, None, now)
    somchai = next(o for o in OFFICERS if o.id == "somchai")
    reference = services.open_case(
        uow, somchai, NewCase("TH-50", "Kunming", "CN", "city", "MOU", "sister"), now, version=1
    ).reference
    engine.dispose()
    # As installed: bytecode cached (PYTHONDONTWRITEBYTECODE would have every run compile the
    # product's modules again, while the floors' packages were compiled by pip).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SISTERCITY_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update({"SISTERCITY_DB": str(db), "SISTERCITY_OFFICER": "governor-cm"})
    # As after the first command: the definitions validated once and kept (the first process to
    # read a definition file validates it; states/definition_cache.py).
    subprocess.run([PYTHON, "-c", "from states import load_all; load_all()"], env=env, check=True)
    bare = [PYTHON, "-c", "pass"]
    orm = [PYTHON, "-c", "import sqlalchemy.orm"]
    step_imports = [PYTHON, "-c", "import sqlalchemy.orm, transitions, pydantic"]
    group = "Commands end to end (a fresh process each)"
    cases: list[tuple[str, list[str], str, list[str], float]] = [
        ("sistercity --help", [SISTERCITY, "--help"], "python -c pass", bare, 3.0),
        ("sistercity procedure list", [SISTERCITY, "procedure", "list"], "python -c pass", bare,
         5.0),
        ("sistercity procedure show", [SISTERCITY, "procedure", "show"], "python -c pass", bare,
         5.0),
        ("sistercity case list", [SISTERCITY, "case", "list"],
         "python -c 'import sqlalchemy.orm'", orm, 1.15),
        ("sistercity case show", [SISTERCITY, "case", "show", reference],
         "python -c 'import sqlalchemy.orm'", orm, 1.15),
        ("sistercity case history", [SISTERCITY, "case", "history", reference],
         "python -c 'import sqlalchemy.orm'", orm, 1.15),
    ]  # fmt: skip
    figures = []
    for name, product, floor_label, floor, goal in cases:
        figure = Figure(group, name, "the command", floor_label, "s", "cost", goal_ratio=goal)
        interleave(
            figure,
            rounds,
            lambda p=product: _run(p, env),  # type: ignore[misc]
            lambda f=floor: _run(f, env),  # type: ignore[misc]
        )
        figures.append(figure)
    figures += diagram_figures(folder, rounds, env, group)
    # A step end to end: suspend and resume in turn, so that every run takes a real step.
    state = {"next": "suspend"}

    def advance() -> float:
        trigger = state["next"]
        argv = [SISTERCITY, "case", "advance", reference, trigger, "--note", "bench"]
        took = _run(argv, env)
        state["next"] = "resume" if trigger == "suspend" else "suspend"
        return took

    figure = Figure(group, "sistercity case advance (a real step)", "the command",
                    "python -c 'import sqlalchemy.orm, transitions, pydantic'", "s", "cost",
                    goal_ratio=1.25)  # fmt: skip
    interleave(figure, rounds, advance, lambda: _run(step_imports, env))
    figures.append(figure)
    return figures


def diagram_figures(folder: Path, rounds: int, env: dict[str, str], group: str) -> list[Figure]:
    """The procedure drawn to SVG, against ``dot`` on the very DOT text the command renders.

    Twice: drawn for the first time (no picture kept: ``dot`` runs), and drawn again (the SVG
    kept from an earlier run: ``diagrams.kept``). Both with the definitions validated before,
    in a cache folder of the benchmark's own, emptied of pictures before each first drawing.
    """
    cache = folder / "cache"
    env = {**env, "SISTERCITY_CACHE": str(cache)}
    subprocess.run([PYTHON, "-c", "from states import load_all; load_all()"], env=env, check=True)
    dot_file = folder / "procedure.dot"
    subprocess.run(
        [SISTERCITY, "diagram", "procedure", "--format", "dot", "-o", str(dot_file)],
        env=env,
        check=True,
        capture_output=True,
    )
    svg = str(folder / "procedure.svg")
    draw = [SISTERCITY, "diagram", "procedure", "--format", "svg", "-o", svg, "--force"]
    floor = ["dot", "-Tsvg", str(dot_file), "-o", svg]
    floor_label = "dot -Tsvg on the same DOT"

    def first() -> float:
        shutil.rmtree(cache / "diagrams", ignore_errors=True)  # not timed
        return _run(draw, env)

    cold = Figure(group, "sistercity diagram procedure --format svg, first drawing (dot runs)",
                  "the command", floor_label, "s", "cost", goal_ratio=2.0)  # fmt: skip
    interleave(cold, rounds, first, lambda: _run(floor, env))
    _run(draw, env)  # kept from here on
    warm = Figure(group, "sistercity diagram procedure --format svg, drawn again (SVG kept)",
                  "the command", floor_label, "s", "cost", goal_ratio=2.0)  # fmt: skip
    interleave(warm, rounds, lambda: _run(draw, env), lambda: _run(floor, env))
    return [cold, warm]
