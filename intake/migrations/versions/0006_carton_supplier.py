"""cartons: the supplier of the carton's order, so a day's cartons by supplier read one index

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cartons") as batch:
        batch.add_column(sa.Column("supplier_id", sa.String(64), nullable=True))
    op.execute(
        "UPDATE cartons SET supplier_id = (SELECT orders.supplier_id FROM orders "
        "WHERE orders.order_no = cartons.order_no) WHERE order_no IS NOT NULL"
    )
    with op.batch_alter_table("cartons") as batch:
        batch.drop_index("ix_cartons_received_at")
        batch.create_index("ix_cartons_received_at_supplier", ["received_at", "supplier_id"])


def downgrade() -> None:
    with op.batch_alter_table("cartons") as batch:
        batch.drop_index("ix_cartons_received_at_supplier")
        batch.create_index("ix_cartons_received_at", ["received_at"])
        batch.drop_column("supplier_id")
