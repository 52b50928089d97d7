"""inspections of cartons from their photos, the evidence photo store, defects linked to both

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from intake.models import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "photos",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("media_type", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("stored_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("carton_id", sa.Integer(), sa.ForeignKey("cartons.id"), nullable=False),
        sa.Column("photo_sha256", sa.String(64), sa.ForeignKey("photos.sha256"), nullable=True),
        sa.Column("inspected_at", UTCDateTime(), nullable=False),
        sa.Column("station", sa.String(64), nullable=False),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("order_no", sa.String(32), sa.ForeignKey("orders.order_no"), nullable=True),
        sa.Column("label_order_no", sa.String(32), nullable=True),
        sa.Column("tracking_no", sa.String(40), nullable=True),
        sa.Column("reading", sa.JSON(), nullable=True),
        sa.UniqueConstraint("carton_id"),
    )
    op.create_index("ix_inspections_inspected_at", "inspections", ["inspected_at"])
    with op.batch_alter_table("defects") as batch:
        batch.add_column(sa.Column("inspection_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("box", sa.JSON(), nullable=True))
        batch.create_foreign_key(
            "fk_defects_inspection_id", "inspections", ["inspection_id"], ["id"]
        )
        batch.create_index("ix_defects_inspection_id", ["inspection_id"])


def downgrade() -> None:
    with op.batch_alter_table("defects") as batch:
        batch.drop_index("ix_defects_inspection_id")
        batch.drop_constraint("fk_defects_inspection_id", type_="foreignkey")
        batch.drop_column("box")
        batch.drop_column("inspection_id")
    op.drop_index("ix_inspections_inspected_at", "inspections")
    op.drop_table("inspections")
    op.drop_table("photos")
