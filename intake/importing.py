"""Storing an order book: streamed, batched upserts by order number, all or nothing by default."""

import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from intake.errors import ImportRejected, RowProblem
from intake.models import Carton, Order, Supplier, Waybill, table_of
from intake.orderbook import OrderRow, RawRow, validate

BATCH_SIZE = 5000
# Enough to fix a file by; a file of a million bad rows must not hold a million messages.
MAX_PROBLEMS_KEPT = 1000

OnReject = Callable[[RawRow, list[RowProblem]], None]


@dataclass
class ImportReport:
    """What an import read, wrote and refused."""

    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    rejected: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    problems_total: int = 0

    def add_problems(self, problems: Sequence[RowProblem]) -> None:
        """Count the problems of one rejected row, keeping the first ones for the report."""
        self.rejected += 1
        self.problems_total += len(problems)
        room = MAX_PROBLEMS_KEPT - len(self.problems)
        if room > 0:
            self.problems.extend(problems[:room])

    def as_dict(self) -> dict[str, object]:
        """The report as JSON-friendly data."""
        return {
            "rows_read": self.rows_read,
            "inserted": self.inserted,
            "updated": self.updated,
            "rejected": self.rejected,
            "problems_total": self.problems_total,
            "problems": [p.as_dict() for p in self.problems],
        }


def import_orders(
    session: Session,
    *,
    records: Iterable[RawRow],
    skip_invalid: bool = False,
    on_reject: OnReject | None = None,
) -> ImportReport:
    """Upsert the valid records; raise ImportRejected if any is bad, unless skip_invalid."""
    report = ImportReport()
    seen_orders: set[str] = set()
    batch: list[tuple[OrderRow, RawRow]] = []
    connection = session.connection()
    for record in records:
        report.rows_read += 1
        row, problems = validate(record)
        if row is not None and row.order_no in seen_orders:
            problems = [
                RowProblem(
                    record.line, "order_no", f"order {row.order_no} appears earlier in this file"
                )
            ]
        if row is None or problems:
            _reject(report, record, problems, on_reject)
            continue
        seen_orders.add(row.order_no)
        batch.append((row, record))
        if len(batch) >= BATCH_SIZE:
            _store_batch(connection, batch, report, on_reject)
            batch = []
    _store_batch(connection, batch, report, on_reject)
    if report.rejected and not skip_invalid:
        raise ImportRejected(
            f"{report.rejected} of {report.rows_read} rows are invalid; nothing was imported",
            report.problems,
        )
    return report


def _reject(
    report: ImportReport, record: RawRow, problems: list[RowProblem], on_reject: OnReject | None
) -> None:
    report.add_problems(problems)
    if on_reject is not None:
        on_reject(record, problems)


def _store_batch(
    connection: sa.Connection,
    batch: list[tuple[OrderRow, RawRow]],
    report: ImportReport,
    on_reject: OnReject | None,
) -> None:
    if not batch:
        return
    good = _drop_tracking_conflicts(connection, batch, report, on_reject)
    if not good:
        return
    existing = _existing_orders(connection, [row.order_no for row in good])
    report.updated += len(existing)
    report.inserted += len(good) - len(existing)
    _upsert(connection, table_of(Supplier), _supplier_values(good), ["supplier_id"])
    _store_orders(connection, [_order_values(row) for row in good], set(existing))
    waybills = table_of(Waybill)
    if existing:  # an updated order's tracking numbers replace the ones it had
        connection.execute(sa.delete(waybills).where(waybills.c.order_no.in_(existing)))
        _follow_supplier(connection, existing)
    values = [
        {"tracking_no": t, "order_no": row.order_no, "carrier": row.carrier}
        for row in good
        for t in row.tracking_numbers
    ]
    if values:
        _executemany(connection, sa.insert(waybills), values)


def _store_orders(
    connection: sa.Connection, values: list[dict[str, Any]], existing: set[str]
) -> None:
    orders = table_of(Order)
    if connection.dialect.name == "sqlite":
        # SQLite has one writer: `existing` stays exact until this transaction ends. New orders
        # take a plain INSERT, as an upsert that may change a foreign key (supplier_id) costs
        # SQLite three times as much per row, conflict or not.
        new = [v for v in values if v["order_no"] not in existing]
        if new:
            _executemany(connection, sa.insert(orders), new)
        values = [v for v in values if v["order_no"] in existing]
    if values:
        _upsert(connection, orders, values, ["order_no"])


def _drop_tracking_conflicts(
    connection: sa.Connection,
    batch: list[tuple[OrderRow, RawRow]],
    report: ImportReport,
    on_reject: OnReject | None,
) -> list[OrderRow]:
    """The batch less the rows whose tracking number another order holds (in the book or file)."""
    owner: dict[str, str] = {}
    numbers = [t for row, _ in batch for t in row.tracking_numbers]
    if numbers:
        waybills = table_of(Waybill)
        query = sa.select(waybills.c.tracking_no, waybills.c.order_no).where(
            waybills.c.tracking_no.in_(numbers)
        )
        owner = {t: o for t, o in connection.execute(query)}
    good: list[OrderRow] = []
    for row, record in batch:
        problems = [
            RowProblem(
                row.line, "domestic_tracking_no", f"{t} is already registered to order {owner[t]}"
            )
            for t in row.tracking_numbers
            if owner.get(t, row.order_no) != row.order_no
        ]
        if problems:
            _reject(report, record, problems, on_reject)
            continue
        owner.update(dict.fromkeys(row.tracking_numbers, row.order_no))
        good.append(row)
    return good


def _follow_supplier(connection: sa.Connection, order_nos: list[str]) -> None:
    """Cartons already received keep their order's supplier, when an import moved the order."""
    cartons, orders = table_of(Carton), table_of(Order)
    supplier = (
        sa.select(orders.c.supplier_id)
        .where(orders.c.order_no == cartons.c.order_no)
        .scalar_subquery()
    )
    connection.execute(
        sa.update(cartons)
        .where(cartons.c.order_no.in_(order_nos), cartons.c.supplier_id.is_distinct_from(supplier))
        .values(supplier_id=supplier)
    )


def _existing_orders(connection: sa.Connection, order_nos: list[str]) -> list[str]:
    orders = table_of(Order)
    query = sa.select(orders.c.order_no).where(orders.c.order_no.in_(order_nos))
    return list(connection.execute(query).scalars())


def _supplier_values(rows: list[OrderRow]) -> list[dict[str, Any]]:
    latest = {row.supplier_id: row for row in rows}  # the file's last word on each supplier
    return [
        {"supplier_id": r.supplier_id, "name": r.supplier_name, "address": r.supplier_address}
        for r in latest.values()
    ]


def _order_values(row: OrderRow) -> dict[str, Any]:
    return {
        "order_no": row.order_no,
        "supplier_id": row.supplier_id,
        "buyer_name": row.buyer_name,
        "buyer_address": row.buyer_address,
        "buyer_postcode": row.buyer_postcode,
        "buyer_country": row.buyer_country,
        "carrier": row.carrier,
        "packages": row.packages,
        "ordered_at": row.ordered_at,
        "ready_to_ship_at": row.ready_to_ship_at,
        "status": "awaiting",
    }


def _upsert(
    connection: sa.Connection, table: sa.Table, values: list[dict[str, Any]], key: list[str]
) -> None:
    """INSERT ... ON CONFLICT (key) DO UPDATE, leaving the receiving state of orders alone."""
    dialect = connection.dialect.name
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    keep = {*key, "status", "received_at"}
    updates = {
        c.name: insert.excluded[c.name]
        for c in table.columns
        if c.name not in keep and c.name in values[0]
    }
    _executemany(connection, insert.on_conflict_do_update(index_elements=key, set_=updates), values)


def _executemany(
    connection: sa.Connection, statement: sa.Insert, values: list[dict[str, Any]]
) -> None:
    """Run the statement for every row, converting each value by its column's type.

    The statement is the one SQLAlchemy would run, compiled once per batch: only SQLAlchemy's
    per-row parameter handling is skipped, which costs more than SQLite's own work on a large
    import. Each row must give every column the statement writes (no column defaults apply).
    """
    dialect = connection.dialect
    compiled = statement.compile(dialect=dialect, column_keys=list(values[0]))
    names: list[str] = compiled.positiontup or list(values[0])
    columns = statement.table.c
    for name in names:
        convert = columns[name].type.dialect_impl(dialect).bind_processor(dialect)
        if convert is not None:
            for row in values:
                row[name] = convert(row[name])
    if compiled.positional:
        pick = operator.itemgetter(*names)  # a tuple: every statement here writes several columns
        connection.exec_driver_sql(str(compiled), [pick(row) for row in values])
    else:
        connection.exec_driver_sql(str(compiled), values)
