"""A database that cannot be opened, reached or used is one line and exit 1, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli


@pytest.mark.parametrize(
    ("db", "message"),
    [
        ("{tmp}", "database error: unable to open database file"),
        ("{tmp}/missing/folder/x.db", "database error: unable to open database file"),
        ("postgresql+psycopg://postgres@127.0.0.1:1/x", "database error: connection"),
        ("nonsense://x", "cannot use database 'nonsense://x'"),
    ],
)
@pytest.mark.parametrize("command", [["init"], ["case", "list"], ["audit", "verify"]])
def test_unusable_database(
    runner: CliRunner, tmp_path: Path, db: str, message: str, command: list[str]
) -> None:
    url = db.format(tmp=tmp_path)
    if command != ["init"] and "://" not in url and not Path(url).exists():
        message = "no database at"
    result = runner.invoke(cli, ["--db", url, *command])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert result.output.count("\n") == 1
    assert not (tmp_path / "missing").exists()
