"""``sistercity serve``: its refusals are one line, and it hands uvicorn what was asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import cli
from tests.web.web_support import HEADER, Site, client, opened

CLEAN_ENV: dict[str, str | None] = {"SISTERCITY_DB": None, "SISTERCITY_OFFICER": None}


def refused(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env=CLEAN_ENV)
    assert result.exit_code == 1, result.output
    message = result.stderr.strip()
    assert message.startswith("Error: ") and "\n" not in message, message
    return message


def test_serve_needs_a_registered_officer(site: Site) -> None:
    assert "no officer is registered for OS login" in refused("--db", site.db, "serve")


def test_serve_needs_the_database(tmp_path: Path) -> None:
    assert "no database at" in refused("--db", str(tmp_path / "none.db"), "serve")


def test_serve_passes_its_options_to_uvicorn(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen: dict[str, Any] = {}

    def fake_run(app: Any, **options: Any) -> None:
        seen.update(options, app=app)
        app.state.web.library.close()

    monkeypatch.setattr(uvicorn, "run", fake_run)
    args = ["--db", site.db, "serve", "--trusted-header", HEADER, "--port", "8123"]
    result = CliRunner().invoke(cli, args, env=CLEAN_ENV)
    assert result.exit_code == 0, result.output
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8123
    assert seen["proxy_headers"] is False  # the TCP peer decides, never X-Forwarded-For
    assert seen["app"].state.web.config.trusted_header == HEADER


def test_an_unreachable_database_is_one_line(site: Site) -> None:
    with opened(site) as app:
        app.state.web.library.engine.dispose()
        app.state.web.library.engine = type(app.state.web.library)(
            "postgresql+psycopg://nobody@127.0.0.1:1/none"
        ).engine
        response = client(app).get("/")
        english = client(app).get("/?lang=en")
    assert response.status_code == english.status_code == 503
    # In the page's language, from the one catalogue.
    assert "ฐานข้อมูลขัดข้อง" in response.text and "Traceback" not in response.text
    assert "database error" in english.text
