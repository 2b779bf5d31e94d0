"""Stored documents come back byte for byte, and only if they still match their hash."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from cli import cli
from store.demo import build_demo


def test_evidence_comes_back_checked(tmp_path: Path, runner: CliRunner) -> None:
    db = str(tmp_path / "demo.db")
    found, _ = build_demo(db)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff photo of the exchange")
    digest = hashlib.sha256(photo.read_bytes()).hexdigest()
    added = runner.invoke(cli, ["--db", db, "--as", "somchai", "activity", "add", found.reference,
                                "--date", "2024-12-01", "--kind", "exchange", "--title",
                                "Teachers' exchange", "--evidence", str(photo)])  # fmt: skip
    assert added.exit_code == 0, added.output

    out = tmp_path / "copy.jpg"
    got = runner.invoke(cli, ["--db", db, "document", "get", digest.upper(), "-o", str(out)])
    assert got.exit_code == 0, got.output
    assert out.read_bytes() == photo.read_bytes()
    again = runner.invoke(cli, ["--db", db, "document", "get", digest, "-o", str(out)])
    assert again.exit_code == 1 and "--force" in again.output
    to_stdout = runner.invoke(cli, ["--db", db, "document", "get", digest])
    assert to_stdout.stdout_bytes == photo.read_bytes()

    unknown = runner.invoke(cli, ["--db", db, "document", "get", "0" * 64])
    assert unknown.exit_code == 1 and "no document" in unknown.output
    malformed = runner.invoke(cli, ["--db", db, "document", "get", "abc"])
    assert malformed.exit_code == 1 and "not a SHA-256" in malformed.output

    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE documents SET content = ? WHERE sha256 = ?", (b"forged", digest))
    corrupted = runner.invoke(cli, ["--db", db, "document", "get", digest, "-o", "-"])
    assert corrupted.exit_code == 1 and "does not match its hash" in corrupted.output
