"""Officers are projections of their audit events: retired flag, the seq of the latest event.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

``officers`` gains ``retired`` and ``audit_seq`` (the officer's latest ``officer`` event, which a
command compares the row with). ``audit_records`` gains an index on (kind, seq) so that the latest
officer and settings events are found without a scan; an index changes no row and no hash. The
existing officers' ``audit_seq`` is filled from the log.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "officers", sa.Column("retired", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("officers", sa.Column("audit_seq", sa.Integer()))
    op.create_index("ix_audit_kind_seq", "audit_records", ["kind", "seq"])
    bind = op.get_bind()
    latest: dict[str, int] = {}
    for seq, fields in bind.execute(
        sa.text("SELECT seq, fields FROM audit_records WHERE kind = 'officer' ORDER BY seq")
    ):
        officer = json.loads(fields).get("officer")
        if isinstance(officer, str):
            latest[officer] = seq
    for officer, seq in latest.items():
        bind.execute(
            sa.text("UPDATE officers SET audit_seq = :seq WHERE id = :id"),
            {"seq": seq, "id": officer},
        )


def downgrade() -> None:
    op.drop_index("ix_audit_kind_seq", "audit_records")
    with op.batch_alter_table("officers") as batch:
        batch.drop_column("audit_seq")
        batch.drop_column("retired")
