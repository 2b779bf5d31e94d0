"""Amounts as 64-bit integers: budgets are satang, and 32 bits hold only 21 million baht.

Revision ID: 0009
Revises: 0006
Create Date: 2026-11-30

``activities.budget_satang`` and ``plans.budget_satang`` become BIGINT. On SQLite an INTEGER
column already holds 64 bits; the batch operation rewrites the table with the declared type so
that the schema says what the model says. ``audit_records`` is not touched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None

_COLUMNS = (("activities", True), ("plans", False))


def upgrade() -> None:
    for table, nullable in _COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "budget_satang",
                existing_type=sa.Integer(),
                type_=sa.BigInteger(),
                existing_nullable=nullable,
            )


def downgrade() -> None:
    for table, nullable in _COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "budget_satang",
                existing_type=sa.BigInteger(),
                type_=sa.Integer(),
                existing_nullable=nullable,
            )
