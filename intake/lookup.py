"""Looking an order up: status, cartons, every scan, defects and SLA flags."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from intake.errors import InvalidInput, NotFound
from intake.fees import money
from intake.models import (
    Carton,
    Defect,
    Inspection,
    Order,
    OrderStatus,
    ScanEvent,
    Supplier,
    Waybill,
    table_of,
)
from intake.sla import Rules, SlaFlags, evaluate

# A look-up is what other systems call all day, so it is a few Core statements, built once: the
# ORM's loading and identity map cost ten times what SQLite takes to run them (bench/api_load.py).
_ORDERS, _SUPPLIERS, _WAYBILLS, _CARTONS, _SCANS, _INSPECTIONS, _DEFECTS = (
    table_of(model) for model in (Order, Supplier, Waybill, Carton, ScanEvent, Inspection, Defect)
)
_ORDER = sa.select(_ORDERS).where(_ORDERS.c.order_no == sa.bindparam("order_no"))
_SUPPLIER = sa.select(_SUPPLIERS).where(_SUPPLIERS.c.supplier_id == sa.bindparam("supplier_id"))
_TRACKING = (
    sa.select(_WAYBILLS.c.tracking_no)
    .where(_WAYBILLS.c.order_no == sa.bindparam("order_no"))
    .order_by(_WAYBILLS.c.tracking_no)
)
_CARTONS_OF = (
    sa.select(_CARTONS)
    .where(_CARTONS.c.order_no == sa.bindparam("order_no"))
    .order_by(_CARTONS.c.seq)
)
_SCANS_OF = (
    sa.select(_SCANS).where(_SCANS.c.order_no == sa.bindparam("order_no")).order_by(_SCANS.c.id)
)
# A second carton under this order's label is held without the order: its inspection names it.
_INSPECTIONS_OF = (
    sa.select(*(c for c in _INSPECTIONS.c if c.name != "reading"))
    .where(
        sa.or_(
            _INSPECTIONS.c.order_no == sa.bindparam("order_no"),
            _INSPECTIONS.c.carton_id.in_(sa.bindparam("carton_ids", expanding=True)),
        )
    )
    .order_by(_INSPECTIONS.c.id)
)
_DEFECTS_OF = (
    sa.select(_DEFECTS)
    .where(_DEFECTS.c.carton_id.in_(sa.bindparam("carton_ids", expanding=True)))
    .order_by(_DEFECTS.c.id)
)

Rows = Sequence[sa.Row[Any]]


@dataclass(frozen=True, slots=True)
class OrderView:
    """Everything known about one order at the warehouse: rows of orders, suppliers, cartons,
    scan_events, inspections (without the raw reading) and defects."""

    order: sa.Row[Any]
    supplier: sa.Row[Any]
    tracking_numbers: list[str]
    cartons: Rows
    scans: Rows
    defects: Rows
    sla: SlaFlags | None  # None until a carton is received
    inspections: Rows = ()

    def as_dict(self) -> dict[str, Any]:
        """The view as JSON-friendly data (timestamps ISO 8601 UTC)."""
        return {
            "order_no": self.order.order_no,
            "status": self.order.status,
            "supplier": _plain(self.supplier),
            "buyer": {
                "name": self.order.buyer_name,
                "address": self.order.buyer_address,
                "postcode": self.order.buyer_postcode,
                "country": self.order.buyer_country,
            },
            "carrier": self.order.carrier,
            "tracking_numbers": self.tracking_numbers,
            "packages": self.order.packages,
            "cartons_received": sum(1 for c in self.cartons if c.state == "received"),
            "ordered_at": _iso(self.order.ordered_at),
            "ready_to_ship_at": _iso(self.order.ready_to_ship_at),
            "received_at": _iso(self.order.received_at),
            "sla": self.sla.as_dict() if self.sla else None,
            "cartons": [_plain(c) for c in self.cartons],
            "scans": [_plain(s) for s in self.scans],
            "defects": [_plain(d) | {"fee_amount": money(d.fee_amount)} for d in self.defects],
            # What the label check saw: verdict and evidence photo (GET /photos/{id}).
            "inspections": [_plain(i) for i in self.inspections],
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _plain(row: sa.Row[Any]) -> dict[str, Any]:
    return {k: _iso(v) if isinstance(v, datetime) else v for k, v in row._mapping.items()}


def get_order_view(session: Session, *, order_no: str, rules: Rules) -> OrderView:
    """The order with its cartons, scans and defects; NotFound when the book does not hold it."""
    connection = session.connection()
    order_no = order_no.strip()
    order = connection.execute(_ORDER, {"order_no": order_no}).first()
    if order is None:
        raise NotFound(f"no order {order_no!r} in the order book")
    supplier = connection.execute(_SUPPLIER, {"supplier_id": order.supplier_id}).one()
    by_order = {"order_no": order_no}
    tracking = connection.execute(_TRACKING, by_order).scalars().all()
    cartons = connection.execute(_CARTONS_OF, by_order).all()
    scans = connection.execute(_SCANS_OF, by_order).all()
    carton_ids = [c.id for c in cartons]
    inspections = connection.execute(_INSPECTIONS_OF, by_order | {"carton_ids": carton_ids}).all()
    inspected = [i.carton_id for i in inspections]
    defects = connection.execute(_DEFECTS_OF, {"carton_ids": carton_ids + inspected}).all()
    sla = None
    if cartons:
        sla = evaluate(
            rules.sla,
            ordered_at=order.ordered_at,
            ready_to_ship_at=order.ready_to_ship_at,
            received_at=cartons[-1].received_at,
        )
    return OrderView(order, supplier, list(tracking), cartons, scans, defects, sla, inspections)


MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class OrderPage:
    """One page of orders, in order-number order, and where the next page starts."""

    orders: list[Order]
    next_after: str | None  # pass as `after` for the next page; None on the last page


def list_orders(
    session: Session,
    *,
    status: str | None = None,
    supplier_id: str | None = None,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
    after: str | None = None,
    limit: int = 100,
) -> OrderPage:
    """Orders matching the filters, a page at a time (keyset on the order number: stable while
    orders are added, and as quick on page 10,000 as on page 1)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be 1 to {MAX_PAGE}, not {limit}")
    if status is not None and status not in set(OrderStatus):
        raise InvalidInput(f"unknown status {status!r}: {', '.join(OrderStatus)}")
    query = select(Order).order_by(col(Order.order_no)).limit(limit + 1)
    if status is not None:
        query = query.where(Order.status == status)
    if supplier_id is not None:
        query = query.where(Order.supplier_id == supplier_id)
    if received_from is not None:
        query = query.where(col(Order.received_at) >= received_from)
    if received_to is not None:
        query = query.where(col(Order.received_at) < received_to)
    if after is not None:
        query = query.where(col(Order.order_no) > after)
    rows = list(session.exec(query).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return OrderPage(rows, rows[-1].order_no if more and rows else None)
