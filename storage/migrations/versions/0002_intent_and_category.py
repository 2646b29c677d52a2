"""intent, confidence and a 3-level category on events and tickets

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("events", "tickets")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("intent", sa.String(length=64), nullable=True))
            batch_op.add_column(sa.Column("confidence", sa.Float(), nullable=True))
            for level in (1, 2, 3):
                batch_op.add_column(
                    sa.Column(f"category{level}", sa.String(length=100), nullable=True)
                )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_category1"), ["category1"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_category1"))
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in ("category3", "category2", "category1", "confidence", "intent"):
                batch_op.drop_column(column)
