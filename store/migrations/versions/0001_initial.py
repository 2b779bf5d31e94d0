"""Initial schema: settings, officers, cases, the chained audit log and its head.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.append_only import install

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "officers",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("province", sa.String(8)),
        sa.Column("os_user", sa.String(64), unique=True),
        sa.Column("deputy", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(32), nullable=False, unique=True),
        sa.Column("procedure", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition_sha256", sa.String(64), nullable=False),
        sa.Column("state", sa.String(64), nullable=False, index=True),
        sa.Column("previous_state", sa.String(64)),
        sa.Column("province", sa.String(8), nullable=False, index=True),
        sa.Column("partner_name", sa.Text(), nullable=False),
        sa.Column("partner_country", sa.String(2), nullable=False),
        sa.Column("partner_level", sa.Text(), nullable=False),
        sa.Column("instrument", sa.String(32), nullable=False),
        sa.Column("label", sa.String(32), nullable=False),
        sa.Column("opened_at", sa.String(32), nullable=False),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("state_since", sa.String(32), nullable=False),
        sa.Column("trigger_actors", sa.JSON(), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "audit_records",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("log_id", sa.String(36), nullable=False),
        sa.Column("record_version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("case_reference", sa.String(32)),
        sa.Column("case_seq", sa.Integer()),
        sa.Column("trigger", sa.String(64)),
        sa.Column("source", sa.String(64)),
        sa.Column("dest", sa.String(64)),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("actor_role", sa.String(64)),
        sa.Column("os_user", sa.String(64)),
        sa.Column("occurred_at", sa.String(32), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("payload_sha256", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("case_reference", "case_seq", name="uq_audit_case_seq"),
    )
    op.create_index("ix_audit_actor", "audit_records", ["actor_id"])
    op.create_index("ix_audit_occurred", "audit_records", ["occurred_at"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("log_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    install(op.get_bind())


def downgrade() -> None:
    for table in ("audit_head", "audit_records", "cases", "officers", "settings"):
        op.drop_table(table)
