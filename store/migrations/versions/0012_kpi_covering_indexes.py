"""The KPI report's queries answered from indexes alone.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30

The report's reads of ``moves`` went from an index to the table for every row: documents per
fiscal year (``docs``), the spans that ended in a year (``opens_span``, ``kind``, ``seconds``) and
the spans of states the active-share trend reads (``opens_span`` itself, which the partial
index's condition implies but SQLite still fetches). Each of those indexes is replaced by one
that goes on with the columns its query reads, so the number of indexes a step updates stays
the same. ``ix_activities_fy_cover`` goes on with ``province`` (a report for one province read
every activity of the year from the table), and ``ix_activities_fy_case`` is dropped: the
covering index begins with the same two columns. ``audit_records`` is not touched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_SPANS = ["dest", "case_reference", "occurred_at", "ended_at"]
_ACTIVITIES = ["fiscal_year", "case_reference", "partner_participated", "budget_satang"]


def _spans(name: str, columns: list[str]) -> None:
    op.create_index(
        name,
        "moves",
        columns,
        sqlite_where=sa.text("opens_span = 1"),
        postgresql_where=sa.text("opens_span"),
    )


def upgrade() -> None:
    op.drop_index("ix_moves_fy_province", table_name="moves")
    op.drop_index("ix_moves_ended", table_name="moves")
    op.drop_index("ix_moves_spans", table_name="moves")
    op.drop_index("ix_activities_fy_case", table_name="activities")
    op.drop_index("ix_activities_fy_cover", table_name="activities")
    op.create_index("ix_activities_fy_cover", "activities", [*_ACTIVITIES, "province"])
    op.create_index("ix_moves_fy_docs", "moves", ["fiscal_year", "docs", "province"])
    op.create_index(
        "ix_moves_ended_cover",
        "moves",
        ["ended_fy", "dest", "opens_span", "kind", "province", "seconds"],
    )
    _spans("ix_moves_spans_cover", [*_SPANS, "province", "opens_span"])


def downgrade() -> None:
    op.drop_index("ix_moves_spans_cover", table_name="moves")
    op.drop_index("ix_moves_ended_cover", table_name="moves")
    op.drop_index("ix_moves_fy_docs", table_name="moves")
    op.drop_index("ix_activities_fy_cover", table_name="activities")
    op.create_index("ix_activities_fy_cover", "activities", _ACTIVITIES)
    op.create_index("ix_activities_fy_case", "activities", ["fiscal_year", "case_reference"])
    _spans("ix_moves_spans", _SPANS)
    op.create_index("ix_moves_ended", "moves", ["ended_fy", "dest"])
    op.create_index("ix_moves_fy_province", "moves", ["fiscal_year", "province"])
