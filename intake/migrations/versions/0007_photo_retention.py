"""photos: when the retention purged one (the row stays), and the indexes the retention reads

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from intake.models import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("photos") as batch:
        batch.add_column(sa.Column("purged_at", UTCDateTime(), nullable=True))
        batch.create_index("ix_photos_purged_at_stored_at", ["purged_at", "stored_at"])
    with op.batch_alter_table("inspections") as batch:
        batch.create_index("ix_inspections_photo_sha256", ["photo_sha256"])


def downgrade() -> None:
    with op.batch_alter_table("inspections") as batch:
        batch.drop_index("ix_inspections_photo_sha256")
    with op.batch_alter_table("photos") as batch:
        batch.drop_index("ix_photos_purged_at_stored_at")
        batch.drop_column("purged_at")
