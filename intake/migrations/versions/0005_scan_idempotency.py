"""scan events: an idempotency key per station, so that a replayed scan is recorded once

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scan_events") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_scan_events_station_key", ["station", "idempotency_key"])


def downgrade() -> None:
    with op.batch_alter_table("scan_events") as batch:
        batch.drop_constraint("uq_scan_events_station_key", type_="unique")
        batch.drop_column("idempotency_key")
