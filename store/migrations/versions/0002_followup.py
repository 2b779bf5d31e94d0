"""Follow-up: documents, case facts, moves, activities, plans, provincial mechanisms.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

``audit_records`` is not touched (batch mode would rebuild it and lose its append-only
triggers). The read models are filled from the existing log by a later revision (0004).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "case_facts",
        sa.Column("case_reference", sa.String(32), primary_key=True),
        sa.Column("province", sa.String(8), nullable=False, index=True),
        sa.Column("established_on", sa.String(10)),
        sa.Column("established_fy", sa.Integer(), index=True),
        sa.Column("signed_on", sa.String(10)),
        sa.Column("signed_precision", sa.String(5)),
        sa.Column("term_years", sa.Integer()),
        sa.Column("expires_on", sa.String(10)),
        sa.Column("last_activity_on", sa.String(10)),
        sa.Column("follow_up_since", sa.String(10)),
        sa.Column("ended_on", sa.String(10)),
        sa.Column("imported_sha256", sa.String(64)),
    )
    op.create_table(
        "moves",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("case_reference", sa.String(32), nullable=False, index=True),
        sa.Column("province", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("trigger", sa.String(64)),
        sa.Column("source", sa.String(64)),
        sa.Column("dest", sa.String(64), nullable=False),
        sa.Column("occurred_at", sa.String(32), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("docs", sa.String(8)),
        sa.Column("opens_span", sa.Boolean(), nullable=False),
        sa.Column("ended_at", sa.String(32)),
        sa.Column("ended_fy", sa.Integer()),
        sa.Column("seconds", sa.Integer()),
    )
    op.create_index("ix_moves_fy_province", "moves", ["fiscal_year", "province"])
    op.create_index("ix_moves_ended", "moves", ["ended_fy", "dest"])
    op.create_table(
        "activities",
        sa.Column("audit_seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("case_reference", sa.String(32), nullable=False, index=True),
        sa.Column("province", sa.String(8), nullable=False),
        sa.Column("activity_date", sa.String(10), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("partner_participated", sa.Boolean(), nullable=False),
        sa.Column("budget_satang", sa.Integer()),
        sa.Column("evidence_count", sa.Integer(), nullable=False),
    )
    op.create_index("ix_activities_fy_case", "activities", ["fiscal_year", "case_reference"])
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_reference", sa.String(32), nullable=False),
        sa.Column("province", sa.String(8), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("budget_satang", sa.Integer(), nullable=False),
        sa.Column("document_sha256", sa.String(64), nullable=False),
        sa.Column("document_name", sa.Text(), nullable=False),
        sa.Column("document_bytes", sa.Integer(), nullable=False),
        sa.Column("set_at", sa.String(32), nullable=False),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.UniqueConstraint("case_reference", "fiscal_year", name="uq_plan_case_fy"),
    )
    op.create_index("ix_plans_fy", "plans", ["fiscal_year"])
    op.create_table(
        "mechanisms",
        sa.Column("province", sa.String(8), primary_key=True),
        sa.Column("order_no", sa.Text(), nullable=False),
        sa.Column("order_date", sa.String(10), nullable=False),
        sa.Column("chair", sa.Text(), nullable=False),
        sa.Column("document_sha256", sa.String(64)),
        sa.Column("document_name", sa.Text()),
        sa.Column("set_at", sa.String(32), nullable=False),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
    )
    # The read models are filled from the log by the newest migration that changes them (0004):
    # ``store.projections.rebuild`` writes the columns of today's tables, which this revision
    # does not have yet.


def downgrade() -> None:
    for table in ("mechanisms", "plans", "activities", "moves", "case_facts", "documents"):
        op.drop_table(table)
