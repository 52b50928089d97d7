"""order book, cartons, scan events, defects

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-29 04:44:53.797235
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from intake.models import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "suppliers",
        sa.Column("supplier_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("supplier_id"),
    )
    op.create_table(
        "orders",
        sa.Column("order_no", sa.String(length=32), nullable=False),
        sa.Column("supplier_id", sa.String(length=64), nullable=False),
        sa.Column("buyer_name", sa.String(length=200), nullable=False),
        sa.Column("buyer_address", sa.String(length=500), nullable=False),
        sa.Column("buyer_postcode", sa.String(length=16), nullable=False),
        sa.Column("buyer_country", sa.String(length=2), nullable=False),
        sa.Column("carrier", sa.String(length=32), nullable=True),
        sa.Column("packages", sa.Integer(), nullable=False),
        sa.Column("ordered_at", UTCDateTime(), nullable=False),
        sa.Column("ready_to_ship_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.supplier_id"],
        ),
        sa.PrimaryKeyConstraint("order_no"),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_supplier_id"), ["supplier_id"], unique=False)

    op.create_table(
        "cartons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=128), nullable=False),
        sa.Column("code_kind", sa.String(length=16), nullable=False),
        sa.Column("order_no", sa.String(length=32), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("station", sa.String(length=64), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("late_ready_to_ship", sa.Boolean(), nullable=False),
        sa.Column("carrier_delay", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_no"],
            ["orders.order_no"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("order_no", "seq", name="uq_cartons_order_seq"),
    )
    with op.batch_alter_table("cartons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cartons_received_at"), ["received_at"], unique=False)

    op.create_table(
        "waybills",
        sa.Column("tracking_no", sa.String(length=40), nullable=False),
        sa.Column("order_no", sa.String(length=32), nullable=False),
        sa.Column("carrier", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_no"],
            ["orders.order_no"],
        ),
        sa.PrimaryKeyConstraint("tracking_no"),
    )
    with op.batch_alter_table("waybills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_waybills_order_no"), ["order_no"], unique=False)

    op.create_table(
        "defects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("carton_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["carton_id"],
            ["cartons.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("defects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_defects_carton_id"), ["carton_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_defects_created_at"), ["created_at"], unique=False)

    op.create_table(
        "scan_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scanned_at", UTCDateTime(), nullable=False),
        sa.Column("station", sa.String(length=64), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("raw_code", sa.String(length=600), nullable=False),
        sa.Column("code", sa.String(length=128), nullable=True),
        sa.Column("code_kind", sa.String(length=16), nullable=False),
        sa.Column("carrier_hint", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("order_no", sa.String(length=32), nullable=True),
        sa.Column("carton_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["carton_id"],
            ["cartons.id"],
        ),
        sa.ForeignKeyConstraint(
            ["order_no"],
            ["orders.order_no"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("scan_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scan_events_carton_id"), ["carton_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_scan_events_order_no"), ["order_no"], unique=False)
        batch_op.create_index(batch_op.f("ix_scan_events_outcome"), ["outcome"], unique=False)
        batch_op.create_index(batch_op.f("ix_scan_events_scanned_at"), ["scanned_at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("scan_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scan_events_scanned_at"))
        batch_op.drop_index(batch_op.f("ix_scan_events_outcome"))
        batch_op.drop_index(batch_op.f("ix_scan_events_order_no"))
        batch_op.drop_index(batch_op.f("ix_scan_events_carton_id"))

    op.drop_table("scan_events")
    with op.batch_alter_table("defects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_defects_created_at"))
        batch_op.drop_index(batch_op.f("ix_defects_carton_id"))

    op.drop_table("defects")
    with op.batch_alter_table("waybills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_waybills_order_no"))

    op.drop_table("waybills")
    with op.batch_alter_table("cartons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cartons_received_at"))

    op.drop_table("cartons")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_orders_status"))
        batch_op.drop_index(batch_op.f("ix_orders_received_at"))

    op.drop_table("orders")
    op.drop_table("suppliers")
