"""Persistence: SQLAlchemy tables, the unit of work, the chained audit log, migrations."""

from store.database import (
    DEFAULT_DB,
    DatabaseUnavailable,
    database_errors,
    database_url,
    make_engine,
    make_session_factory,
)
from store.schema import InitResult, init_database
from store.unit_of_work import SqlAlchemyUnitOfWork

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
