"""Create or upgrade a database with Alembic; idempotent, so ``init`` is always safe to rerun.

Alembic is imported inside the functions that migrate: only ``init`` (and upgrades) need it, and
it is the slowest thing the store could load.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, insert, select

from states.i18n import N_
from store.append_only import install as install_append_only
from store.core_tables import AUDIT_HEAD, SETTINGS
from store.database import migration_mode
from store.unit_of_work import SqlAlchemyUnitOfWork
from workflow.errors import InvalidInput
from workflow.integrity import GENESIS_HASH
from workflow.model import AuditDraft
from workflow.officers import INIT_ACTOR

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class InitResult:
    """What ``init`` found and did."""

    created: bool
    upgraded_from: str | None
    revision: str
    log_id: str
    training: bool


def alembic_config() -> Config:
    """Alembic configuration pointing at the shipped migrations (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at, or ``None`` for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """The newest migration shipped with this code."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _record_settings(engine: Engine, settings: dict[str, str]) -> None:
    """The settings are an audit event: the first record of a new log, and recorded once when
    an older database is upgraded, so that a row changed outside the product is detected."""
    uow = SqlAlchemyUnitOfWork(engine)
    with uow:
        uow.lock()
        if uow.audit.latest_of_kind("settings") is not None:
            return
        uow.audit.append(
            AuditDraft(
                kind="settings",
                case_reference=None,
                trigger="init",
                source=None,
                dest=None,
                actor_id=INIT_ACTOR,
                actor_role=None,
                os_user=None,
                occurred_at=dt.datetime.now(dt.UTC),
                fields={"log_id": settings["log_id"], "training": settings.get("training") == "1"},
            )
        )
        uow.commit()


def init_database(engine: Engine, training: bool = False) -> InitResult:
    """Create or upgrade the schema and, the first time, the log id and the audit head."""
    from alembic import command

    before = current_revision(engine)
    config = alembic_config()
    with engine.begin() as conn, migration_mode(conn):
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        # Belt and braces: whatever a migration did, the audit table leaves init append-only.
        install_append_only(conn)
    with engine.begin() as conn:
        settings = dict(conn.execute(select(SETTINGS.c.key, SETTINGS.c.value)).all())
        if "log_id" not in settings:
            log_id = str(uuid.uuid4())
            conn.execute(
                insert(SETTINGS),
                [
                    {"key": "log_id", "value": log_id},
                    {"key": "training", "value": "1" if training else "0"},
                ],
            )
            conn.execute(insert(AUDIT_HEAD).values(id=1, log_id=log_id, seq=0, hash=GENESIS_HASH))
            settings = {"log_id": log_id, "training": "1" if training else "0"}
        elif training and settings.get("training") != "1":
            raise InvalidInput(
                N_(
                    "this database was created for real work; --training is chosen only when a "
                    "database is created"
                )
            )
    _record_settings(engine, settings)
    return InitResult(
        created=before is None,
        upgraded_from=before if before != head_revision() else None,
        revision=head_revision(),
        log_id=settings["log_id"],
        training=settings.get("training") == "1",
    )
