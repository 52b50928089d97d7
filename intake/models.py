"""All tables of the intake service. Timestamps are aware UTC; the order number is the key."""

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware, on SQLite as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every timestamp must carry its offset")
        value = value.astimezone(UTC)
        # SQLite has no zone type: store naive UTC so that text comparison orders correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def table_of(model: type[SQLModel]) -> sa.Table:
    """A table model's Core table, for statements that skip the ORM on hot paths."""
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    return table


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class OrderStatus(StrEnum):
    """Where an order stands at the warehouse."""

    awaiting = "awaiting"  # no carton received yet
    partially_received = "partially_received"  # some of a multi-package order's cartons are in
    received = "received"  # every carton received for international forwarding
    shipped = "shipped"
    delivered = "delivered"


class CodeKind(StrEnum):
    """What a scanned code turned out to be."""

    tracking_no = "tracking_no"
    order_no = "order_no"
    unknown = "unknown"
    invalid = "invalid"


class ScanOutcome(StrEnum):
    """The intake decision for one scan."""

    received = "received"
    already_received = "already_received"
    unknown = "unknown"
    invalid = "invalid"


class CartonState(StrEnum):
    """A carton is either received against its order or held because its consignee is unknown."""

    received = "received"
    held = "held"


class Supplier(SQLModel, table=True):
    """The seller that packs and labels the cartons of its orders."""

    __tablename__ = "suppliers"

    supplier_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    address: str = Field(max_length=500)


class Order(SQLModel, table=True):
    """One cross-border order of the order book."""

    __tablename__ = "orders"

    order_no: str = Field(primary_key=True, max_length=32)
    supplier_id: str = Field(foreign_key="suppliers.supplier_id", index=True, max_length=64)
    buyer_name: str = Field(max_length=200)
    buyer_address: str = Field(max_length=500)
    buyer_postcode: str = Field(max_length=16)
    buyer_country: str = Field(max_length=2)
    carrier: str | None = Field(default=None, max_length=32)
    packages: int = 1
    ordered_at: datetime = _ts()
    ready_to_ship_at: datetime | None = _ts(nullable=True)
    status: str = Field(default=OrderStatus.awaiting, max_length=24, index=True)
    received_at: datetime | None = _ts(nullable=True, index=True)


class Waybill(SQLModel, table=True):
    """A domestic tracking number the supplier registered against an order (one per carton)."""

    __tablename__ = "waybills"

    tracking_no: str = Field(primary_key=True, max_length=40)
    order_no: str = Field(foreign_key="orders.order_no", index=True, max_length=32)
    carrier: str | None = Field(default=None, max_length=32)


class Carton(SQLModel, table=True):
    """A physical parcel that reached an intake station, once, whatever was scanned on it."""

    __tablename__ = "cartons"
    # One receipt per carton code, and one per carton slot of an order ("2 of 3"): the database,
    # not the application, guarantees that two stations cannot both receive the same carton.
    __table_args__ = (
        sa.UniqueConstraint("order_no", "seq", name="uq_cartons_order_seq"),
        sa.Index("ix_cartons_received_at_supplier", "received_at", "supplier_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=128)
    code_kind: str = Field(max_length=16)
    order_no: str | None = Field(default=None, foreign_key="orders.order_no", max_length=32)
    seq: int | None = None
    state: str = Field(max_length=16)
    # The order's supplier, copied at receipt (and kept by an import that moves the order): a
    # day's cartons by supplier are then counted from the index alone, not one join per carton.
    supplier_id: str | None = Field(default=None, max_length=64)
    received_at: datetime = _ts()
    station: str = Field(max_length=64)
    operator: str = Field(max_length=64)
    late_ready_to_ship: bool = False
    carrier_delay: bool = False


class ScanEvent(SQLModel, table=True):
    """Every scan, whatever its outcome: the append-only journal of the stations."""

    __tablename__ = "scan_events"
    # A station that resends a scan (its offline queue replaying) sends the same key: one event.
    __table_args__ = (
        sa.UniqueConstraint("station", "idempotency_key", name="uq_scan_events_station_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scanned_at: datetime = _ts(index=True)
    station: str = Field(max_length=64)
    operator: str = Field(max_length=64)
    raw_code: str = Field(max_length=600)
    code: str | None = Field(default=None, max_length=128)
    code_kind: str = Field(max_length=16)
    carrier_hint: str | None = Field(default=None, max_length=32)
    outcome: str = Field(max_length=24, index=True)
    order_no: str | None = Field(
        default=None, foreign_key="orders.order_no", index=True, max_length=32
    )
    carton_id: int | None = Field(default=None, foreign_key="cartons.id", index=True)
    message: str = Field(default="", max_length=300)
    idempotency_key: str | None = Field(default=None, max_length=64)


class DefectState(StrEnum):
    """Where a mislabel stands: open until the warehouse has dealt with the carton."""

    open = "open"
    relabeled = "relabeled"
    returned = "returned"
    disposed = "disposed"
    waived = "waived"


class Defect(SQLModel, table=True):
    """One mislabel defect of a carton, with the vocabulary of DOMAIN.md as its code."""

    __tablename__ = "defects"

    id: int | None = Field(default=None, primary_key=True)
    carton_id: int = Field(foreign_key="cartons.id", index=True)
    code: str = Field(max_length=32)
    detail: str = Field(default="", max_length=500)  # the evidence, in words
    state: str = Field(default=DefectState.open, max_length=16, index=True)
    created_at: datetime = _ts(index=True)
    confidence: float = 1.0
    # Priced when recorded, from the fee schedule then in force: a later schedule never reprices.
    action: str = Field(default="", max_length=16)
    fee_amount: Decimal = Field(default=Decimal(0), max_digits=12, decimal_places=3)
    fee_currency: str = Field(default="", max_length=3)
    fee_schedule_version: str = Field(default="", max_length=40)
    resolved_by: str | None = Field(default=None, max_length=64)
    resolved_at: datetime | None = _ts(nullable=True)
    # What shows it: the inspection (and its photo) that found it, and where on that photo.
    inspection_id: int | None = Field(default=None, foreign_key="inspections.id", index=True)
    box: list[int] | None = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))


class Photo(SQLModel, table=True):
    """An evidence photo: the file lives in the photo store under its SHA-256, which is its id."""

    __tablename__ = "photos"
    # The retention's scan: photos not purged, oldest first.
    __table_args__ = (sa.Index("ix_photos_purged_at_stored_at", "purged_at", "stored_at"),)

    sha256: str = Field(primary_key=True, max_length=64)
    media_type: str = Field(max_length=32)
    size: int
    width: int
    height: int
    stored_at: datetime = _ts()  # when it was last stored (sent again, it is evidence again)
    # When the retention removed its bytes from the store: the row stays, as the record that
    # the photo existed (its id, size and type) and when it went.
    purged_at: datetime | None = _ts(nullable=True)


class Inspection(SQLModel, table=True):
    """The label check of one carton, from one photo: at most one per carton."""

    __tablename__ = "inspections"

    id: int | None = Field(default=None, primary_key=True)
    carton_id: int = Field(foreign_key="cartons.id", unique=True)
    # Indexed for the retention, which asks which defects a photo is the evidence of.
    photo_sha256: str | None = Field(
        default=None, foreign_key="photos.sha256", index=True, max_length=64
    )
    inspected_at: datetime = _ts(index=True)
    station: str = Field(max_length=64)
    operator: str = Field(max_length=64)
    verdict: str = Field(max_length=16)  # labelrules.Verdict
    # Indexed for an order's look-up, which shows the inspections that name the order.
    order_no: str | None = Field(
        default=None, foreign_key="orders.order_no", index=True, max_length=32
    )
    label_order_no: str | None = Field(default=None, max_length=32)  # as read on the label
    tracking_no: str | None = Field(default=None, max_length=40)  # as read on the waybill
    # The label's fields as read (text, confidence, box): the evidence behind each decision.
    reading: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON))


class ApiToken(SQLModel, table=True):
    """A token for the HTTP API: its name and role, and only the SHA-256 of its secret."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    role: str = Field(max_length=16)  # tokens.Role
    secret_sha256: str = Field(max_length=64)
    created_at: datetime = _ts()
    revoked_at: datetime | None = _ts(nullable=True)
