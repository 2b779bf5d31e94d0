"""The dates each case's steps recorded, which later steps' dates may not precede.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-14

Only ``case_facts`` gains a nullable column (JSON text: each date field's latest date and the
step that recorded it, ``workflow.chronology``); ``audit_records`` is not touched. The read
models are then rebuilt from the log, so every existing case gets the dates its records hold.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("case_facts", sa.Column("step_dates", sa.Text()))
    from store.projections import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("case_facts") as batch:
        batch.drop_column("step_dates")
