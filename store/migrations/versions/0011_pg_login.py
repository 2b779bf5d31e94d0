"""Officers' own PostgreSQL logins, and the server's checks of who is acting.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-20

``officers`` gains ``pg_login`` (unique when set), the login an officer connects to PostgreSQL
with; ``officer add/update --pg-login`` sets it with an ``officer`` event like every other part of
a registration. On PostgreSQL this migration also installs the triggers of ``store/pg_identity.py``
(the acting officer is the one whose login the server authenticated; officers, cases and the
audit head change only with their record); on SQLite it adds the column only. No record is
touched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store import pg_identity

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("officers") as batch:
        batch.add_column(sa.Column("pg_login", sa.String(64)))
        batch.create_unique_constraint("uq_officers_pg_login", ["pg_login"])
    pg_identity.install(op.get_bind())


def downgrade() -> None:
    pg_identity.uninstall(op.get_bind())
    with op.batch_alter_table("officers") as batch:
        batch.drop_constraint("uq_officers_pg_login", type_="unique")
        batch.drop_column("pg_login")
