"""Shared fixtures: a real SQLite file per test and, when configured, a real PostgreSQL database.

``SISTERCITY_TEST_PG_URL`` names a server (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``);
each test that uses it gets a database of its own, created and dropped here. When the variable is
set and the server cannot be reached the run stops with an error instead of skipping.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, create_engine, make_url, text

from store import SqlAlchemyUnitOfWork, init_database, make_engine
from store.demo import OFFICERS
from workflow import services
from workflow.model import Actor

PG_ENV = "SISTERCITY_TEST_PG_URL"
#: The cache variables as they were before the run (``None``: not set), and the run's folder.
_USER_CACHE = pytest.StashKey[tuple[dict[str, str | None], str]]()
_CACHE_VARIABLES = ("XDG_CACHE_HOME", "SISTERCITY_CACHE")


def pytest_configure(config: pytest.Config) -> None:
    """What the product keeps (validated definitions, drawn diagrams) goes to a folder of the
    run's own, removed after it: a test neither leaves anything in the user's cache folder nor
    depends on what an earlier run kept there (or on ``SISTERCITY_CACHE`` set by the user).
    Commands run as subprocesses inherit it."""
    folder = tempfile.mkdtemp(prefix="sistercity-test-cache-")
    config.stash[_USER_CACHE] = ({k: os.environ.get(k) for k in _CACHE_VARIABLES}, folder)
    os.environ.pop("SISTERCITY_CACHE", None)
    os.environ["XDG_CACHE_HOME"] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    before, folder = config.stash[_USER_CACHE]
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    shutil.rmtree(folder, ignore_errors=True)


def pytest_sessionstart(session: pytest.Session) -> None:
    url = os.environ.get(PG_ENV)
    if not url:
        return
    try:
        probe = create_engine(url)
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        probe.dispose()
    except Exception as exc:
        pytest.exit(f"{PG_ENV} is set but PostgreSQL is unreachable: {exc}", returncode=3)


def _has_thai_font() -> bool:
    if not shutil.which("fc-list"):
        return False
    listing = subprocess.run(["fc-list", ":lang=th", "family"], capture_output=True, text=True)
    return bool(listing.stdout.strip())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without Graphviz, skip the rendering tests on a developer's machine; CI must have it."""
    if os.environ.get("CI") or (shutil.which("dot") and _has_thai_font()):
        return
    skip = pytest.mark.skip(
        reason="Graphviz or a Thai font missing (apt-get install graphviz fonts-thai-tlwg)"
    )
    for item in items:
        if item.get_closest_marker("graphviz"):
            item.add_marker(skip)


def _pg_database() -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} not set")
    name = f"sc_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: an SQLite file, then PostgreSQL when configured."""
    if request.param == "sqlite":
        yield str(tmp_path / "sistercity.db")
    else:
        yield from _pg_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file path, for tests that only need the embedded default."""
    return str(tmp_path / "sistercity.db")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An initialised training database on each backend."""
    eng = make_engine(db_url)
    init_database(eng, training=True)
    yield eng
    eng.dispose()


@pytest.fixture
def uow(engine: Engine) -> SqlAlchemyUnitOfWork:
    """A unit of work on the test database."""
    return SqlAlchemyUnitOfWork(engine)


@pytest.fixture
def officers(uow: SqlAlchemyUnitOfWork) -> dict[str, Actor]:
    """The demo's officers, registered (province TH-50 for provincial roles)."""
    start = dt.datetime(2024, 1, 2, 3, 0, tzinfo=dt.UTC)
    for officer in OFFICERS:
        services.add_officer(uow, officer, None, start)
    return {o.id: o for o in OFFICERS}


@pytest.fixture
def clock() -> Callable[[], dt.datetime]:
    """A clock that moves one hour per call from 1 Jan 2024, Bangkok noon."""
    moments = iter(
        dt.datetime(2024, 1, 1, 5, 0, tzinfo=dt.UTC) + dt.timedelta(hours=h)
        for h in range(100_000)
    )
    return lambda: next(moments)


@pytest.fixture
def runner() -> CliRunner:
    """click's test runner."""
    return CliRunner()
