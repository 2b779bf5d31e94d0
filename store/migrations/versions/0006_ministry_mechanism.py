"""The ministry's own mechanism (its committee or working group with related agencies), kept
current from its audit events like the provincial ones.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-12

A new table, and two covering indexes so that the indicators read a fiscal year's activities
(or a span of years) and the spans of states (the active-share trend, a partial index over the
moves that open a span) from the indexes alone; ``audit_records`` is not touched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ministry_mechanisms",
        sa.Column("level", sa.String(16), primary_key=True),
        sa.Column("order_no", sa.Text(), nullable=False),
        sa.Column("order_date", sa.String(10), nullable=False),
        sa.Column("chair", sa.Text(), nullable=False),
        sa.Column("agencies", sa.JSON(), nullable=False),
        sa.Column("document_sha256", sa.String(64)),
        sa.Column("document_name", sa.Text()),
        sa.Column("set_at", sa.String(32), nullable=False),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_activities_fy_cover",
        "activities",
        ["fiscal_year", "case_reference", "partner_participated", "budget_satang"],
    )
    op.create_index(
        "ix_moves_spans",
        "moves",
        ["dest", "case_reference", "occurred_at", "ended_at"],
        sqlite_where=sa.text("opens_span = 1"),
        postgresql_where=sa.text("opens_span"),
    )


def downgrade() -> None:
    op.drop_index("ix_moves_spans", "moves")
    op.drop_index("ix_activities_fy_cover", "activities")
    op.drop_table("ministry_mechanisms")
