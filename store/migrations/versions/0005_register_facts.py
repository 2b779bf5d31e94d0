"""Facts a real register needs: how precisely a relationship's signing is known, when it entered
the system, and which instrument replaces which (an MOU after a letter of intent).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10

Only ``case_facts`` gains nullable columns; ``audit_records`` is not touched. The read models are
then rebuilt from the log, so every existing case gets the new facts its records imply.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = (
    ("established_precision", sa.String(8)),
    ("entered_on", sa.String(10)),
    ("supersedes", sa.String(32)),
    ("superseded_by", sa.String(32)),
    ("relationship", sa.String(32)),
)


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("case_facts", sa.Column(name, kind))
    op.create_index("ix_case_facts_relationship", "case_facts", ["relationship"])
    from store.projections import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_case_facts_relationship", "case_facts")
    with op.batch_alter_table("case_facts") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
