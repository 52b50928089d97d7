"""The daily mislabel report and the SLA evidence report: what billing sends to suppliers.

Both are aggregated in SQL (counts and sums by supplier) and their rows are streamed, never
loaded whole: a day can hold a million received cartons. A day is the warehouse's local day in
its configured time zone. Fees are Decimal throughout; a waived defect owes nothing; the totals
are the sums of the rows (tests/cli/test_reports.py checks both against the raw tables).
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from intake.errors import InvalidInput, NotFound, printable
from intake.models import (
    Carton,
    CodeKind,
    Defect,
    DefectState,
    Inspection,
    Order,
    OrderStatus,
    Supplier,
    Waybill,
    table_of,
    utcnow,
)
from intake.sla import SlaHours

_CARTONS, _DEFECTS, _INSPECTIONS, _ORDERS, _SUPPLIERS, _WAYBILLS = (
    table_of(model) for model in (Carton, Defect, Inspection, Order, Supplier, Waybill)
)
TREND_DAYS = 14
_STREAM_ROWS = 2000  # rows fetched at a time while streaming
_MILLS = Decimal("0.001")  # the fee column's scale


# --- the mislabel report ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SupplierSummary:
    """One supplier's day: cartons in, cartons mislabeled, defects by code, fees by action.

    `supplier_id` None gathers the cartons whose order nobody knows (unknown order numbers):
    their fees cannot be charged to a supplier, but the warehouse still handled them."""

    supplier_id: str | None
    supplier_name: str | None
    cartons_received: int = 0
    cartons_mislabeled: int = 0
    defects_by_code: dict[str, int] = field(default_factory=dict)
    fees_by_action: dict[tuple[str, str], Decimal] = field(default_factory=dict)  # (action, cur)

    @property
    def mislabel_rate(self) -> float | None:
        """Mislabeled cartons per carton received; None when none was received."""
        if not self.cartons_received:
            return None
        return self.cartons_mislabeled / self.cartons_received

    @property
    def fee_totals(self) -> dict[str, Decimal]:
        """What the supplier owes for the day, per currency."""
        totals: dict[str, Decimal] = {}
        for (_action, currency), amount in self.fees_by_action.items():
            totals[currency] = totals.get(currency, Decimal(0)) + amount
        return totals


@dataclass(frozen=True, slots=True)
class MislabelLine:
    """One mislabeled carton of the day, with all its defects."""

    carton_id: int
    supplier_id: str | None
    supplier_name: str | None
    order_no: str | None
    tracking_no: str | None
    carrier: str | None
    codes: tuple[str, ...]
    station: str
    operator: str
    found_at: datetime  # UTC: when the first defect was recorded
    action: str  # the defects' actions, "+"-joined when they differ
    state: str  # the defects' states, "+"-joined when they differ
    fee: Decimal  # the sum of the defects' fees, waived ones counting nothing
    currency: str
    photo_sha256: str | None


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One local day of the trend: cartons received and cartons mislabeled."""

    day: date
    cartons_received: int
    cartons_mislabeled: int

    @property
    def mislabel_rate(self) -> float | None:
        """Mislabeled per received; None on a day without cartons."""
        return self.cartons_mislabeled / self.cartons_received if self.cartons_received else None


@dataclass(frozen=True, slots=True)
class MislabelReport:
    """The report of one local day, for every supplier or one."""

    day: date
    zone: ZoneInfo
    supplier_id: str | None
    generated_at: datetime
    summaries: list[SupplierSummary]

    @property
    def start(self) -> datetime:
        """The day's first instant, UTC."""
        return local_day_start(self.day, self.zone)

    @property
    def end(self) -> datetime:
        """The next day's first instant, UTC."""
        return local_day_start(self.day + timedelta(days=1), self.zone)

    @property
    def empty(self) -> bool:
        """No carton received and none mislabeled that day."""
        return not any(s.cartons_received or s.cartons_mislabeled for s in self.summaries)

    def totals(self) -> SupplierSummary:
        """Every supplier's figures added up."""
        codes: dict[str, int] = {}
        fees: dict[tuple[str, str], Decimal] = {}
        for s in self.summaries:
            for code, n in s.defects_by_code.items():
                codes[code] = codes.get(code, 0) + n
            for key, amount in s.fees_by_action.items():
                fees[key] = fees.get(key, Decimal(0)) + amount
        received = sum(s.cartons_received for s in self.summaries)
        mislabeled = sum(s.cartons_mislabeled for s in self.summaries)
        return SupplierSummary(None, None, received, mislabeled, codes, fees)


def local_day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of a local day, in UTC (a DST day is 23 or 25 hours long)."""
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def check_supplier(session: Session, supplier_id: str | None) -> None:
    """NotFound for a supplier the order book does not know."""
    if supplier_id is None:
        return
    printable(supplier_id, "the supplier")
    found = session.connection().execute(
        sa.select(_SUPPLIERS.c.supplier_id).where(_SUPPLIERS.c.supplier_id == supplier_id)
    )
    if found.first() is None:
        raise NotFound(f"no supplier {supplier_id!r} in the order book")


def mislabel_report(
    session: Session,
    *,
    day: date,
    zone: ZoneInfo,
    supplier_id: str | None = None,
    summarize: bool = True,
    count_defects: bool = True,
) -> MislabelReport:
    """The summary of one local day (every supplier, or one); rows come from mislabel_lines.
    `summarize=False` skips the summary's aggregates (a CSV of the rows needs none of them);
    `count_defects=False` leaves the defects to a DefectTally fed by mislabel_lines, which
    reads the same rows (a writer that spools the rows saves reading them twice)."""
    check_supplier(session, supplier_id)
    report = MislabelReport(day, zone, supplier_id, utcnow(), [])
    if not summarize:
        return report
    connection = session.connection()
    received: dict[str | None, SupplierSummary] = {}
    counts = connection.execute(_received_counts(report.start, report.end, supplier_id))
    for supplier, name, count in counts:  # a supplier may come twice: own and held cartons
        before = received.get(supplier)
        received[supplier] = SupplierSummary(
            supplier, name, count + (before.cartons_received if before else 0)
        )
    report = replace(report, summaries=sorted(received.values(), key=_summaries_order))
    if not count_defects:
        return report
    tally = DefectTally()
    for row in connection.execute(_defect_facts(report.start, report.end, supplier_id)):
        tally.add(row)
    return tally.summarized(report)


class DefectTally:
    """The day's defects added up per supplier as their rows pass: mislabeled cartons, count
    per code, fees per (action, currency). The day's defects are few (tens of thousands): read
    once, added up here, exactly (Decimal)."""

    def __init__(self) -> None:
        self._names: dict[str | None, str | None] = {}
        self._cartons: dict[str | None, set[int]] = {}
        self._codes: dict[str | None, dict[str, int]] = {}
        self._fees: dict[str | None, dict[tuple[str, str], Decimal]] = {}

    def add(self, row: sa.Row[Any]) -> None:
        """One defect row: supplier_id, its name, carton_id, code, action, fee_currency, owed."""
        supplier = row.supplier_id
        codes = self._codes.get(supplier)
        if codes is None:  # once per supplier: no new containers per row
            self._names[supplier] = row.supplier_name
            self._cartons[supplier], self._fees[supplier] = set(), {}
            codes = self._codes[supplier] = {}
        self._cartons[supplier].add(row.carton_id)
        codes[row.code] = codes.get(row.code, 0) + 1
        fees = self._fees[supplier]
        key = (row.action, row.fee_currency)
        fees[key] = fees.get(key, Decimal(0)) + _decimal(row.owed)

    def summarized(self, report: MislabelReport) -> MislabelReport:
        """The report's cartons received with these defects in place of any it had."""
        received = {s.supplier_id: s for s in report.summaries}
        summaries = [
            SupplierSummary(
                supplier,
                received[supplier].supplier_name if supplier in received else self._names[supplier],
                received[supplier].cartons_received if supplier in received else 0,
                len(self._cartons.get(supplier, ())),
                dict(sorted(self._codes.get(supplier, {}).items())),
                dict(sorted(self._fees.get(supplier, {}).items())),
            )
            for supplier in received.keys() | self._codes.keys()
        ]
        return replace(report, summaries=sorted(summaries, key=_summaries_order))


def _summaries_order(summary: SupplierSummary) -> tuple[bool, str]:
    return (summary.supplier_id is None, summary.supplier_id or "")  # unknown orders last


def mislabel_lines(
    session: Session, report: MislabelReport, tally: DefectTally | None = None
) -> Iterator[MislabelLine]:
    """Every mislabeled carton of the report's day, by supplier then time, streamed; each
    defect row is added to `tally` on its way."""
    query = _defect_rows(report.start, report.end, report.supplier_id).order_by(
        _SUPPLIERS.c.supplier_id, _first_defect_at(), _DEFECTS.c.carton_id, _DEFECTS.c.id
    )
    rows = session.connection().execution_options(yield_per=_STREAM_ROWS).execute(query)
    group: list[sa.Row[Any]] = []
    for row in rows:
        if tally is not None:
            tally.add(row)
        if group and row.carton_id != group[0].carton_id:
            yield _line(group)
            group = []
        group.append(row)
    if group:
        yield _line(group)


def mislabel_trend(
    session: Session, *, day: date, zone: ZoneInfo, supplier_id: str | None = None
) -> list[TrendPoint]:
    """Cartons received and mislabeled on each of the TREND_DAYS local days ending with `day`."""
    connection = session.connection()
    points = []
    for back in range(TREND_DAYS - 1, -1, -1):
        d = day - timedelta(days=back)
        start, end = local_day_start(d, zone), local_day_start(d + timedelta(days=1), zone)
        received = sum(
            c for _s, _n, c in connection.execute(_received_counts(start, end, supplier_id))
        )
        mislabeled = sum(
            c for _s, _n, c in connection.execute(_mislabeled_counts(start, end, supplier_id))
        )
        points.append(TrendPoint(d, received, mislabeled))
    return points


# A carton's order: its own, or (a second carton held under a copy of a label) its inspection's.
def _order_no_of_carton() -> sa.ColumnElement[Any]:
    return sa.func.coalesce(_CARTONS.c.order_no, _INSPECTIONS.c.order_no)


def _with_supplier(query: sa.Select[Any], supplier_id: str | None) -> sa.Select[Any]:
    if supplier_id is not None:
        query = query.where(_SUPPLIERS.c.supplier_id == supplier_id)
    return query


def _received_counts(start: datetime, end: datetime, supplier_id: str | None) -> sa.Select[Any]:
    # Cartons received against their order carry its supplier: counted from the index on
    # (received_at, supplier_id) alone. Held cartons (no order of their own) are few: their
    # inspection may name the order.
    in_day = sa.and_(_CARTONS.c.received_at >= start, _CARTONS.c.received_at < end)
    counted = sa.select(_CARTONS.c.supplier_id, sa.func.count().label("received")).where(
        in_day, _CARTONS.c.supplier_id.is_not(None)
    )
    if supplier_id is not None:
        counted = counted.where(_CARTONS.c.supplier_id == supplier_id)
    by_supplier = counted.group_by(_CARTONS.c.supplier_id).subquery()
    with_order = sa.select(
        _SUPPLIERS.c.supplier_id, _SUPPLIERS.c.name, by_supplier.c.received
    ).join_from(by_supplier, _SUPPLIERS, _SUPPLIERS.c.supplier_id == by_supplier.c.supplier_id)
    held = _with_supplier(
        sa.select(_SUPPLIERS.c.supplier_id, _SUPPLIERS.c.name, sa.func.count())
        .select_from(
            _CARTONS.outerjoin(_INSPECTIONS, _INSPECTIONS.c.carton_id == _CARTONS.c.id)
            .outerjoin(_ORDERS, _ORDERS.c.order_no == _INSPECTIONS.c.order_no)
            .outerjoin(_SUPPLIERS, _SUPPLIERS.c.supplier_id == _ORDERS.c.supplier_id)
        )
        .where(in_day, _CARTONS.c.order_no.is_(None))
        .group_by(_SUPPLIERS.c.supplier_id, _SUPPLIERS.c.name),
        supplier_id,
    )
    return sa.union_all(with_order, held)  # type: ignore[return-value]


def _supplier_of_carton() -> sa.ColumnElement[Any]:
    # A carton received against its order carries the order's supplier. A carton held without
    # an order of its own (a second carton under a copy of a label) takes the supplier of the
    # order its inspection named: looked up only for those (COALESCE stops at the first value).
    held = sa.select(_ORDERS.c.supplier_id).where(_ORDERS.c.order_no == _INSPECTIONS.c.order_no)
    return sa.func.coalesce(_CARTONS.c.supplier_id, held.scalar_subquery())


def _defect_sources() -> sa.FromClause:
    return (
        _DEFECTS.join(_CARTONS, _CARTONS.c.id == _DEFECTS.c.carton_id)
        .outerjoin(_INSPECTIONS, _INSPECTIONS.c.id == _DEFECTS.c.inspection_id)
        .outerjoin(_SUPPLIERS, _SUPPLIERS.c.supplier_id == _supplier_of_carton())
    )


def _defects_in_day(query: sa.Select[Any], start: datetime, end: datetime) -> sa.Select[Any]:
    return query.where(_DEFECTS.c.created_at >= start, _DEFECTS.c.created_at < end)


def _mislabeled_counts(start: datetime, end: datetime, supplier_id: str | None) -> sa.Select[Any]:
    query = (
        sa.select(
            _SUPPLIERS.c.supplier_id,
            _SUPPLIERS.c.name,
            sa.func.count(sa.distinct(_DEFECTS.c.carton_id)),
        )
        .select_from(_defect_sources())
        .group_by(_SUPPLIERS.c.supplier_id, _SUPPLIERS.c.name)
    )
    return _with_supplier(_defects_in_day(query, start, end), supplier_id)


def _defect_facts(start: datetime, end: datetime, supplier_id: str | None) -> sa.Select[Any]:
    query = sa.select(
        _SUPPLIERS.c.supplier_id,
        _SUPPLIERS.c.name.label("supplier_name"),
        _DEFECTS.c.carton_id,
        _DEFECTS.c.code,
        _DEFECTS.c.action,
        _DEFECTS.c.fee_currency,
        _owed().label("owed"),
    ).select_from(_defect_sources())
    return _with_supplier(_defects_in_day(query, start, end), supplier_id)


def _owed() -> sa.ColumnElement[Any]:
    """A defect's fee as owed: nothing once waived."""
    return sa.case((_DEFECTS.c.state == DefectState.waived, 0), else_=_DEFECTS.c.fee_amount)


def _first_defect_at() -> sa.ColumnElement[Any]:
    # The time of the carton's first defect, the same on each of its rows: rows of one carton
    # stay together when ordered by it, then by carton.
    others = _DEFECTS.alias("carton_defects")
    first = sa.select(sa.func.min(others.c.created_at)).where(others.c.carton_id == _CARTONS.c.id)
    return first.scalar_subquery()


def _defect_rows(start: datetime, end: datetime, supplier_id: str | None) -> sa.Select[Any]:
    waybill_carrier = (
        sa.select(_WAYBILLS.c.carrier)
        .where(_WAYBILLS.c.tracking_no == _tracking_no())
        .scalar_subquery()
    )
    order_carrier = (
        sa.select(_ORDERS.c.carrier)
        .where(_ORDERS.c.order_no == _CARTONS.c.order_no)
        .scalar_subquery()
    )
    query = sa.select(
        _DEFECTS.c.carton_id,
        _DEFECTS.c.code,
        _DEFECTS.c.created_at,
        _DEFECTS.c.action,
        _DEFECTS.c.state,
        _owed().label("owed"),
        _DEFECTS.c.fee_currency,
        _SUPPLIERS.c.supplier_id,
        _SUPPLIERS.c.name.label("supplier_name"),
        _order_no_of_carton().label("order_no"),
        _tracking_no().label("tracking_no"),
        sa.func.coalesce(waybill_carrier, order_carrier).label("carrier"),
        _CARTONS.c.station,
        _CARTONS.c.operator,
        _INSPECTIONS.c.photo_sha256,
    ).select_from(_defect_sources())
    return _with_supplier(_defects_in_day(query, start, end), supplier_id)


def _tracking_no() -> sa.ColumnElement[Any]:
    """The carton's domestic tracking number: the waybill read on it, else its code when that
    was a registered waybill."""
    own = sa.case((_CARTONS.c.code_kind == CodeKind.tracking_no, _CARTONS.c.code), else_=None)
    return sa.func.coalesce(_INSPECTIONS.c.tracking_no, own)


def _line(rows: list[sa.Row[Any]]) -> MislabelLine:
    first = rows[0]
    return MislabelLine(
        carton_id=first.carton_id,
        supplier_id=first.supplier_id,
        supplier_name=first.supplier_name,
        order_no=first.order_no,
        tracking_no=first.tracking_no,
        carrier=first.carrier,
        codes=tuple(r.code for r in rows),
        station=first.station,
        operator=first.operator,
        found_at=min(r.created_at for r in rows),
        action=_joined(r.action for r in rows),
        state=_joined(r.state for r in rows),
        fee=sum((_decimal(r.owed) for r in rows), Decimal(0)),
        currency=next((r.fee_currency for r in rows if r.fee_currency), ""),
        photo_sha256=first.photo_sha256,
    )


def _joined(values: Iterable[str]) -> str:
    distinct = list(dict.fromkeys(v for v in values if v))
    return "+".join(distinct)


def _decimal(value: Any) -> Decimal:
    """A fee from the database, exact to the column's scale (SQLite sums in floating point)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value.quantize(_MILLS)
    return Decimal(repr(value) if isinstance(value, float) else str(value)).quantize(_MILLS)


# --- the SLA report ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LateReadyToShip:
    """An order marked ready to ship after its allowance (or not marked when it ran out)."""

    order_no: str
    supplier_id: str
    supplier_name: str
    ordered_at: datetime
    ready_to_ship_at: datetime | None
    hours_late: float


@dataclass(frozen=True, slots=True)
class CarrierDelay:
    """A carton the carrier brought in later than pickup and transit allow: complaint evidence."""

    order_no: str
    supplier_id: str
    supplier_name: str
    carrier: str | None
    tracking_no: str | None
    ready_to_ship_at: datetime
    received_at: datetime
    hours_over: float


@dataclass(frozen=True, slots=True)
class NeverReceived:
    """An order ready to ship whose cartons have not arrived although the allowances ran out."""

    order_no: str
    supplier_id: str
    supplier_name: str
    carrier: str | None
    tracking_numbers: str
    ready_to_ship_at: datetime
    hours_overdue: float


@dataclass(frozen=True, slots=True)
class SlaReport:
    """The SLA evidence for local days `first` to `last`, inclusive."""

    first: date
    last: date
    zone: ZoneInfo
    supplier_id: str | None
    hours: SlaHours
    generated_at: datetime

    @property
    def start(self) -> datetime:
        """The first day's first instant, UTC."""
        return local_day_start(self.first, self.zone)

    @property
    def end(self) -> datetime:
        """The instant after the last day, UTC."""
        return local_day_start(self.last + timedelta(days=1), self.zone)


MAX_SLA_DAYS = 366


def sla_report(
    session: Session,
    *,
    first: date,
    last: date,
    zone: ZoneInfo,
    hours: SlaHours,
    supplier_id: str | None = None,
    now: datetime | None = None,
) -> SlaReport:
    """The report's frame; its three lists come from late_ready_to_ship, carrier_delays and
    never_received (streamed)."""
    if last < first:
        raise InvalidInput(f"the period ends ({last}) before it starts ({first})")
    if (last - first).days >= MAX_SLA_DAYS:
        raise InvalidInput(
            f"a period of at most {MAX_SLA_DAYS} days, not {(last - first).days + 1}"
        )
    check_supplier(session, supplier_id)
    return SlaReport(first, last, zone, supplier_id, hours, now or utcnow())


def late_ready_to_ship(session: Session, report: SlaReport) -> Iterator[LateReadyToShip]:
    """Orders placed in the period and marked ready to ship late, or not marked in time."""
    allowance = timedelta(hours=report.hours.ready_to_ship)
    query = _with_supplier(
        sa.select(
            _ORDERS.c.order_no,
            _ORDERS.c.ordered_at,
            _ORDERS.c.ready_to_ship_at,
            _SUPPLIERS.c.supplier_id,
            _SUPPLIERS.c.name,
        )
        .select_from(_ORDERS.join(_SUPPLIERS))
        .where(_ORDERS.c.ordered_at >= report.start, _ORDERS.c.ordered_at < report.end)
        .order_by(_SUPPLIERS.c.supplier_id, _ORDERS.c.ordered_at, _ORDERS.c.order_no),
        report.supplier_id,
    )
    for row in _stream(session, query):
        deadline = _utc(row.ordered_at) + allowance
        marked = _utc(row.ready_to_ship_at) if row.ready_to_ship_at else None
        late_at = marked or (report.generated_at if report.generated_at > deadline else None)
        if late_at is None or late_at <= deadline:
            continue
        yield LateReadyToShip(row.order_no, row.supplier_id, row.name, _utc(row.ordered_at),
                              marked, _hours(late_at - deadline))  # fmt: skip


def carrier_delays(session: Session, report: SlaReport) -> Iterator[CarrierDelay]:
    """Cartons received in the period over the carrier's pickup and transit allowance."""
    allowance = timedelta(hours=report.hours.pickup + report.hours.transit)
    carrier = sa.select(_WAYBILLS.c.carrier).where(_WAYBILLS.c.tracking_no == _CARTONS.c.code)
    query = _with_supplier(
        sa.select(
            _CARTONS.c.code,
            _CARTONS.c.code_kind,
            _CARTONS.c.received_at,
            _ORDERS.c.order_no,
            _ORDERS.c.ready_to_ship_at,
            sa.func.coalesce(carrier.scalar_subquery(), _ORDERS.c.carrier).label("carrier"),
            _SUPPLIERS.c.supplier_id,
            _SUPPLIERS.c.name,
        )
        .select_from(_CARTONS.join(_ORDERS).join(_SUPPLIERS))
        .where(
            _CARTONS.c.received_at >= report.start,
            _CARTONS.c.received_at < report.end,
            _CARTONS.c.carrier_delay.is_(True),
        )
        .order_by(_SUPPLIERS.c.supplier_id, _CARTONS.c.received_at, _CARTONS.c.id),
        report.supplier_id,
    )
    for row in _stream(session, query):
        if row.ready_to_ship_at is None:
            continue
        ready, received = _utc(row.ready_to_ship_at), _utc(row.received_at)
        tracking = row.code if row.code_kind == CodeKind.tracking_no else None
        yield CarrierDelay(row.order_no, row.supplier_id, row.name, row.carrier, tracking, ready,
                           received, _hours(received - ready - allowance))  # fmt: skip


def never_received(session: Session, report: SlaReport) -> Iterator[NeverReceived]:
    """Orders marked ready to ship in the period whose cartons have not arrived, although
    pickup and transit have run out by the time of the report."""
    allowance = timedelta(hours=report.hours.pickup + report.hours.transit)
    cutoff = min(report.end, report.generated_at - allowance)
    tracking = (
        sa.select(sa.func.min(_WAYBILLS.c.tracking_no))
        .where(_WAYBILLS.c.order_no == _ORDERS.c.order_no)
        .scalar_subquery()
    )
    query = _with_supplier(
        sa.select(
            _ORDERS.c.order_no,
            _ORDERS.c.carrier,
            _ORDERS.c.ready_to_ship_at,
            tracking.label("tracking_no"),
            _SUPPLIERS.c.supplier_id,
            _SUPPLIERS.c.name,
        )
        .select_from(_ORDERS.join(_SUPPLIERS))
        .where(
            _ORDERS.c.status == OrderStatus.awaiting,
            _ORDERS.c.ready_to_ship_at >= report.start,
            _ORDERS.c.ready_to_ship_at < cutoff,
        )
        .order_by(_SUPPLIERS.c.supplier_id, _ORDERS.c.ready_to_ship_at, _ORDERS.c.order_no),
        report.supplier_id,
    )
    for row in _stream(session, query):
        ready = _utc(row.ready_to_ship_at)
        yield NeverReceived(row.order_no, row.supplier_id, row.name, row.carrier,
                            row.tracking_no or "", ready,
                            _hours(report.generated_at - ready - allowance))  # fmt: skip


def _stream(session: Session, query: sa.Select[Any]) -> Iterator[sa.Row[Any]]:
    yield from session.connection().execution_options(yield_per=_STREAM_ROWS).execute(query)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 2)
