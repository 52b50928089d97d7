"""Looking an order up: status, cartons, every scan, defects and SLA flags."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, or_, select

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
)
from intake.sla import Rules, SlaFlags, evaluate


@dataclass(frozen=True, slots=True)
class OrderView:
    """Everything known about one order at the warehouse."""

    order: Order
    supplier: Supplier
    tracking_numbers: list[str]
    cartons: list[Carton]
    scans: list[ScanEvent]
    defects: list[Defect]
    sla: SlaFlags | None  # None until a carton is received
    inspections: list[Inspection] = field(default_factory=list)

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
            "inspections": [_plain(i, leave_out={"reading"}) for i in self.inspections],
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _plain(row: Any, leave_out: set[str] | None = None) -> dict[str, Any]:
    return {
        k: _iso(v) if isinstance(v, datetime) else v
        for k, v in row.model_dump(exclude=leave_out).items()
    }


def get_order_view(session: Session, *, order_no: str, rules: Rules) -> OrderView:
    """The order with its cartons, scans and defects; NotFound when the book does not hold it."""
    order = session.get(Order, order_no.strip())
    if order is None:
        raise NotFound(f"no order {order_no.strip()!r} in the order book")
    supplier = session.get(Supplier, order.supplier_id)
    assert supplier is not None  # a foreign key guarantees it
    tracking = session.exec(
        select(Waybill.tracking_no)
        .where(Waybill.order_no == order.order_no)
        .order_by(col(Waybill.tracking_no))
    ).all()
    cartons = session.exec(
        select(Carton).where(Carton.order_no == order.order_no).order_by(col(Carton.seq))
    ).all()
    scans = session.exec(
        select(ScanEvent).where(ScanEvent.order_no == order.order_no).order_by(col(ScanEvent.id))
    ).all()
    carton_ids = [c.id for c in cartons]
    # A second carton under this order's label is held without the order: its inspection names it.
    inspections = session.exec(
        select(Inspection)
        .where(
            or_(Inspection.order_no == order.order_no, col(Inspection.carton_id).in_(carton_ids))
        )
        .order_by(col(Inspection.id))
    ).all()
    inspected = [i.carton_id for i in inspections]
    defects = session.exec(
        select(Defect)
        .where(col(Defect.carton_id).in_(carton_ids + inspected))
        .order_by(col(Defect.id))
    ).all()
    sla = None
    if cartons:
        sla = evaluate(
            rules.sla,
            ordered_at=order.ordered_at,
            ready_to_ship_at=order.ready_to_ship_at,
            received_at=cartons[-1].received_at,
        )
    return OrderView(
        order,
        supplier,
        list(tracking),
        list(cartons),
        list(scans),
        list(defects),
        sla,
        list(inspections),
    )


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
