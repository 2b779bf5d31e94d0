"""Cases listed by state or province in reference order, from an index.

Revision ID: 0010
Revises: 0006
Create Date: 2026-11-30

``case list`` filters by state and/or province and orders by reference. With one-column indexes
SQLite walked the reference index over every case and checked each row's state. Each of the two
indexes is replaced by one that goes on with the columns the list needs next, so the number of
indexes a step updates stays the same: ``(state, reference)`` answers a list by state in order
without a sort, ``(province, state, reference)`` a list by province, and by province and state.
``audit_records`` is not touched.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_cases_state", table_name="cases")
    op.drop_index("ix_cases_province", table_name="cases")
    op.create_index("ix_cases_state_reference", "cases", ["state", "reference"])
    op.create_index(
        "ix_cases_province_state_reference", "cases", ["province", "state", "reference"]
    )


def downgrade() -> None:
    op.drop_index("ix_cases_province_state_reference", table_name="cases")
    op.drop_index("ix_cases_state_reference", table_name="cases")
    op.create_index("ix_cases_province", "cases", ["province"])
    op.create_index("ix_cases_state", "cases", ["state"])
