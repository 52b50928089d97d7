"""defects: confidence, action and fee priced when recorded, resolution

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from intake.models import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("defects") as batch:
        batch.add_column(sa.Column("confidence", sa.Float(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("action", sa.String(16), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("fee_amount", sa.Numeric(12, 3), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("fee_currency", sa.String(3), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("fee_schedule_version", sa.String(40), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("resolved_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("resolved_at", UTCDateTime(), nullable=True))
        batch.create_index("ix_defects_state", ["state"])


def downgrade() -> None:
    with op.batch_alter_table("defects") as batch:
        batch.drop_index("ix_defects_state")
        for column in (
            "resolved_at",
            "resolved_by",
            "fee_schedule_version",
            "fee_currency",
            "fee_amount",
            "action",
            "confidence",
        ):
            batch.drop_column(column)
