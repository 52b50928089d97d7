"""Looking an order up: status, cartons, every scan, defects and SLA flags."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlmodel import Session, col, select

from intake.db import is_sqlite
from intake.errors import InvalidInput, NotFound, printable
from intake.fees import money
from intake.models import (
    Carton,
    Defect,
    Inspection,
    Order,
    OrderStatus,
    ScanEvent,
    Supplier,
    UTCDateTime,
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
_LEFT_OUT = {_INSPECTIONS: {"reading"}}  # the label's whole reading: evidence, not for a look-up
# A second carton under this order's label is held without the order: its inspection names it.
_INSPECTIONS_OF = (
    sa.select(*(c for c in _INSPECTIONS.c if c.name not in _LEFT_OUT[_INSPECTIONS]))
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


def _json_object(table: sa.Table) -> sa.ColumnElement[Any]:
    """A row of the table as one JSON object (PostgreSQL), keyed by column name. Exact
    numbers go as text: JSON's numbers would come back as floats."""
    pairs: list[sa.ColumnElement[Any]] = []
    for column in table.c:
        if column.name in _LEFT_OUT.get(table, ()):
            continue
        pairs += [
            sa.literal_column(f"'{column.name}'"),
            sa.cast(column, sa.Text) if _exact(column) else column,
        ]
    return sa.func.json_build_object(*pairs)


def _exact(column: sa.Column[Any]) -> bool:
    """A decimal column (a fee): exact, unlike a float, which sa.Float also counts as Numeric."""
    return isinstance(column.type, sa.Numeric) and not isinstance(column.type, sa.Float)


def _json_rows(
    table: sa.Table, where: sa.ColumnElement[bool], order_by: sa.ColumnElement[Any]
) -> sa.ScalarSelect[Any]:
    """The table's rows that match, in order, as one JSON array (NULL when none match)."""
    rows = sa.func.json_agg(aggregate_order_by(_json_object(table), order_by))
    return sa.select(rows).where(where).scalar_subquery()


def _at_once() -> sa.Select[Any]:
    """The whole look-up as one statement (PostgreSQL): the order's row, its supplier, and each
    list as a JSON array of rows. Over a network each statement costs a round trip and the
    driver's and SQLAlchemy's work per statement: seven statements took 1.1 ms of client CPU and
    1.7 ms in all per look-up, this one 0.36 and 0.53 ms (measured in-process; over HTTP, see
    docs/benchmarks.md)."""
    order_no = _ORDERS.c.order_no
    # Inside a UNION, SQLAlchemy correlates a subquery to the order's row only when told.
    carton_ids = sa.select(_CARTONS.c.id).where(_CARTONS.c.order_no == order_no).correlate(_ORDERS)
    own = _INSPECTIONS.alias("own")
    # Each half by its own index: an OR of the two would read the whole table.
    inspection_ids = sa.union(
        sa.select(own.c.id).where(own.c.order_no == order_no).correlate(_ORDERS),
        sa.select(own.c.id).where(own.c.carton_id.in_(carton_ids)),
    )
    inspected = sa.union(
        carton_ids,
        sa.select(own.c.carton_id).where(own.c.order_no == order_no).correlate(_ORDERS),
    )
    tracking = aggregate_order_by(_WAYBILLS.c.tracking_no, _WAYBILLS.c.tracking_no)
    lists = {
        "tracking": sa.select(sa.func.json_agg(tracking))
        .where(_WAYBILLS.c.order_no == order_no)
        .scalar_subquery(),
        "cartons": _json_rows(_CARTONS, _CARTONS.c.order_no == order_no, _CARTONS.c.seq),
        "scans": _json_rows(_SCANS, _SCANS.c.order_no == order_no, _SCANS.c.id),
        "inspections": _json_rows(
            _INSPECTIONS, _INSPECTIONS.c.id.in_(inspection_ids), _INSPECTIONS.c.id
        ),
        "defects": _json_rows(_DEFECTS, _DEFECTS.c.carton_id.in_(inspected), _DEFECTS.c.id),
    }
    return (
        sa.select(
            _ORDERS,
            _json_object(_SUPPLIERS).label("supplier_json"),
            *(value.label(f"{name}_json") for name, value in lists.items()),
        )
        .join_from(_ORDERS, _SUPPLIERS, _SUPPLIERS.c.supplier_id == _ORDERS.c.supplier_id)
        .where(order_no == sa.bindparam("order_no"))
    )


_ORDER_AT_ONCE = _at_once()


class Record(dict[str, Any]):
    """One row as a dict whose columns also read as attributes (`carton.state`), whichever way
    the look-up read it."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _restorer(table: sa.Table) -> Callable[[dict[str, Any]], Record]:
    """Turns a row read back from JSON into the values a row read as columns would hold."""
    typed: dict[str, Callable[[Any], Any]] = {}
    for column in table.c:
        if isinstance(column.type, UTCDateTime):
            typed[column.name] = _utc
        elif _exact(column):
            typed[column.name] = Decimal
        elif isinstance(column.type, sa.Float):
            typed[column.name] = float  # JSON writes 1.0 as 1

    def restore(row: dict[str, Any]) -> Record:
        for name, convert in typed.items():
            if row.get(name) is not None:
                row[name] = convert(row[name])
        return Record(row)

    return restore


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


_RESTORE = {
    table: _restorer(table) for table in (_SUPPLIERS, _CARTONS, _SCANS, _INSPECTIONS, _DEFECTS)
}


@dataclass(frozen=True, slots=True)
class OrderView:
    """Everything known about one order at the warehouse: rows of orders, suppliers, cartons,
    scan_events, inspections (without the raw reading) and defects."""

    order: Record
    supplier: Record
    tracking_numbers: list[str]
    cartons: list[Record]
    scans: list[Record]
    defects: list[Record]
    sla: SlaFlags | None  # None until a carton is received
    inspections: list[Record]

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


def _plain(record: Record) -> dict[str, Any]:
    return {k: _iso(v) if isinstance(v, datetime) else v for k, v in record.items()}


def get_order_view(session: Session, *, order_no: str, rules: Rules) -> OrderView:
    """The order with its cartons, scans and defects; NotFound when the book does not hold it."""
    connection = session.connection()
    order_no = printable(order_no.strip(), "the order number")
    read = _read_each if is_sqlite(connection) else _read_at_once
    view = read(connection, order_no)
    if view is None:
        raise NotFound(f"no order {order_no!r} in the order book")
    order, supplier, tracking, cartons, scans, inspections, defects = view
    sla = None
    if cartons:
        sla = evaluate(
            rules.sla,
            ordered_at=order.ordered_at,
            ready_to_ship_at=order.ready_to_ship_at,
            received_at=cartons[-1].received_at,
        )
    return OrderView(order, supplier, tracking, cartons, scans, defects, sla, inspections)


_Parts = tuple[Record, Record, list[str], list[Record], list[Record], list[Record], list[Record]]


def _read_each(connection: sa.Connection, order_no: str) -> _Parts | None:
    """SQLite: a statement per table. In the same process they cost microseconds each."""
    order = connection.execute(_ORDER, {"order_no": order_no}).first()
    if order is None:
        return None
    supplier = connection.execute(_SUPPLIER, {"supplier_id": order.supplier_id}).one()
    by_order = {"order_no": order_no}
    tracking = connection.execute(_TRACKING, by_order).scalars().all()
    cartons = _records(connection.execute(_CARTONS_OF, by_order))
    scans = _records(connection.execute(_SCANS_OF, by_order))
    carton_ids = [c.id for c in cartons]
    inspections = _records(
        connection.execute(_INSPECTIONS_OF, by_order | {"carton_ids": carton_ids})
    )
    inspected = [i.carton_id for i in inspections]
    defects = _records(connection.execute(_DEFECTS_OF, {"carton_ids": carton_ids + inspected}))
    return (
        Record(order._mapping),
        Record(supplier._mapping),
        list(tracking),
        cartons,
        scans,
        inspections,
        defects,
    )


def _records(rows: Iterable[sa.Row[Any]]) -> list[Record]:
    return [Record(row._mapping) for row in rows]


def _read_at_once(connection: sa.Connection, order_no: str) -> _Parts | None:
    """A database server: the one statement of _at_once."""
    row = connection.execute(_ORDER_AT_ONCE, {"order_no": order_no}).first()
    if row is None:
        return None
    values = row._mapping

    def rows(table: sa.Table, name: str) -> list[Record]:
        return [_RESTORE[table](r) for r in values[f"{name}_json"] or ()]

    return (
        Record({c.name: values[c] for c in _ORDERS.c}),
        _RESTORE[_SUPPLIERS](values["supplier_json"]),
        values["tracking_json"] or [],
        rows(_CARTONS, "cartons"),
        rows(_SCANS, "scans"),
        rows(_INSPECTIONS, "inspections"),
        rows(_DEFECTS, "defects"),
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
    if supplier_id is not None:
        printable(supplier_id, "the supplier")
    if after is not None:
        printable(after, "the order number to start after")
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
