"""Fixtures of the audit tests: a signing key and a realistic, populated database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from store.checkpoint import generate_keypair
from tests.audit.audit_support import Populated, backup_database, drop_backup, populate
from workflow.model import Actor


@pytest.fixture
def key_prefix(tmp_path: Path) -> Path:
    """An Ed25519 key pair made by ``generate_keypair``: PREFIX.key and PREFIX.pub."""
    prefix = tmp_path / "keys" / "audit"
    prefix.parent.mkdir()
    generate_keypair(str(prefix))
    return prefix


@pytest.fixture
def populated(
    engine: Engine,
    db_url: str,
    officers: dict[str, Actor],
    clock: Callable[[], dt.datetime],
    key_prefix: Path,
    tmp_path: Path,
) -> Iterator[Populated]:
    """A log written by the real use cases, with a backup taken part-way and a checkpoint."""
    made: list[str] = []

    def backup() -> str:
        made.append(backup_database(db_url, engine, tmp_path))
        return made[-1]

    try:
        yield populate(engine, db_url, officers, clock, key_prefix, backup)
    finally:
        engine.dispose()
        for url in made:
            drop_backup(url)
