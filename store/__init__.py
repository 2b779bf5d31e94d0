"""Persistence: SQLAlchemy tables, the unit of work, the chained audit log, migrations.

The names below are loaded on first use, not when the package is imported: the CLI's help and
its procedure commands import ``store`` for ``DEFAULT_DB`` and must not pay for SQLAlchemy or
Alembic."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

DEFAULT_DB = "sistercity.db"

if TYPE_CHECKING:
    from store.database import (
        DatabaseUnavailable,
        database_errors,
        database_url,
        make_engine,
        make_session_factory,
    )
    from store.schema import InitResult, init_database
    from store.unit_of_work import SqlAlchemyUnitOfWork

_LAZY = {
    "DatabaseUnavailable": "store.database",
    "database_errors": "store.database",
    "database_url": "store.database",
    "make_engine": "store.database",
    "make_session_factory": "store.database",
    "InitResult": "store.schema",
    "init_database": "store.schema",
    "SqlAlchemyUnitOfWork": "store.unit_of_work",
}


def __getattr__(name: str) -> Any:
    """Import the module that defines *name* the first time it is asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'store' has no attribute '{name}'")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_DB",
    "DatabaseUnavailable",
    "InitResult",
    "SqlAlchemyUnitOfWork",
    "database_errors",
    "database_url",
    "init_database",
    "make_engine",
    "make_session_factory",
]
