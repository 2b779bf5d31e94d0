"""Fixtures of the web view's tests (the data is built by ``web_support.build_site``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette

from tests.web.web_support import Site, build_site, make_app


@pytest.fixture
def site(engine: Engine, db_url: str, tmp_path: Path) -> Site:
    """The web view's database, on SQLite and then PostgreSQL."""
    return build_site(engine, db_url, tmp_path)


@pytest.fixture
def app(site: Site) -> Iterator[Starlette]:
    """The application behind a proxy, its library closed afterwards."""
    application = make_app(site)
    yield application
    application.state.web.library.close()
