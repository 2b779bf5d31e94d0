"""Cases name their Thai party when it is not the province itself (the local-government track).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30

Only ``cases`` gains two nullable columns; ``audit_records`` is not touched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("thai_party_level", sa.String(32)))
    op.add_column("cases", sa.Column("thai_party_name", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("thai_party_name")
        batch.drop_column("thai_party_level")
