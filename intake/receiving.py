"""Receiving a carton from one scan: the decision every station, the CLI and the API share."""

from dataclasses import asdict, dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from intake.codes import ScannedCode, normalise
from intake.errors import InvalidInput
from intake.models import (
    Carton,
    CartonState,
    CodeKind,
    Order,
    OrderStatus,
    ScanEvent,
    ScanOutcome,
    Supplier,
    Waybill,
    utcnow,
)
from intake.sla import Rules, SlaFlags, evaluate

MAX_NAME_LENGTH = 64
# A conflict means another station received a carton of the same order a moment earlier;
# re-deciding once per competing station is enough, a few more covers a burst.
_MAX_ATTEMPTS = 10


@dataclass(frozen=True, slots=True)
class ScanDecision:
    """What the station shows and says for one scan."""

    outcome: ScanOutcome
    message: str
    scan_id: int
    scanned_at: datetime
    raw_code: str
    code: str | None
    code_kind: CodeKind
    carrier_hint: str | None
    order_no: str | None = None
    supplier_id: str | None = None
    supplier_name: str | None = None
    carton_id: int | None = None
    carton_seq: int | None = None
    cartons_received: int | None = None
    packages: int | None = None
    order_status: str | None = None
    first_received_at: datetime | None = None
    first_received_station: str | None = None
    sla: SlaFlags | None = None

    def as_dict(self) -> dict[str, object]:
        """The decision as JSON-friendly data (timestamps in ISO 8601 UTC)."""
        data = asdict(self)
        for key in ("scanned_at", "first_received_at"):
            value = data[key]
            data[key] = value.isoformat() if value is not None else None
        data["sla"] = self.sla.as_dict() if self.sla is not None else None
        return data


def check_station_name(value: str, what: str) -> str:
    """A station or operator name: printable, 1 to 64 characters."""
    value = value.strip()
    if not value:
        raise InvalidInput(f"{what} is empty")
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidInput(f"{what} is {len(value)} characters long, over {MAX_NAME_LENGTH}")
    if not value.isprintable():
        raise InvalidInput(f"{what} contains control characters")
    return value


def receive_scan(
    session: Session,
    *,
    raw_code: str,
    station: str,
    operator: str,
    rules: Rules,
    now: datetime | None = None,
) -> ScanDecision:
    """Decide and record one scan: received, already_received, unknown (held) or invalid."""
    station = check_station_name(station, "station")
    operator = check_station_name(operator, "operator")
    scanned = normalise(raw_code)
    at = now or utcnow()
    if scanned.code is None:
        return _record(
            session,
            scanned,
            at,
            station,
            operator,
            ScanOutcome.invalid,
            CodeKind.invalid,
            message=f"invalid scan: {scanned.problem}",
        )
    for _attempt in range(_MAX_ATTEMPTS):
        try:
            with session.begin_nested():
                return _decide(session, scanned, at, station, operator, rules)
        except IntegrityError:
            continue  # another station took this carton or slot first: decide again
    raise RuntimeError(f"scan of {scanned.code!r} kept conflicting after {_MAX_ATTEMPTS} attempts")


def _decide(
    session: Session, scanned: ScannedCode, at: datetime, station: str, operator: str, rules: Rules
) -> ScanDecision:
    code = scanned.code
    assert code is not None
    kind, order = _match(session, code)
    if order is None:
        return _hold_unknown(session, scanned, at, station, operator, rules)
    key = _carton_key(session, code, kind, order)
    received = _cartons_received(session, order.order_no)
    existing = session.exec(select(Carton).where(Carton.code == key)).first()
    if existing is None and received >= order.packages:
        existing = session.exec(
            select(Carton).where(Carton.order_no == order.order_no).order_by(col(Carton.seq))
        ).first()
    if existing is not None:
        return _already_received(
            session, scanned, kind, at, station, operator, order, existing, received, rules
        )
    flags = evaluate(
        rules.sla,
        ordered_at=order.ordered_at,
        ready_to_ship_at=order.ready_to_ship_at,
        received_at=at,
    )
    carton = Carton(
        code=key,
        code_kind=kind,
        order_no=order.order_no,
        seq=received + 1,
        state=CartonState.received,
        received_at=at,
        station=station,
        operator=operator,
        late_ready_to_ship=flags.late_ready_to_ship,
        carrier_delay=flags.carrier_delay,
    )
    session.add(carton)
    session.flush()
    _update_order_status(session, order, received + 1, at)
    message = f"received: order {order.order_no}, carton {received + 1} of {order.packages}"
    return _record(
        session,
        scanned,
        at,
        station,
        operator,
        ScanOutcome.received,
        kind,
        message=message,
        order=order,
        carton=carton,
        cartons_received=received + 1,
        sla=flags,
    )


def _match(session: Session, code: str) -> tuple[CodeKind, Order | None]:
    # The exact registered number decides; the carrier format was only a hint.
    waybill = session.get(Waybill, code)
    if waybill is not None:
        return CodeKind.tracking_no, session.get(Order, waybill.order_no)
    order = session.get(Order, code)
    if order is not None:
        return CodeKind.order_no, order
    return CodeKind.unknown, None


def _carton_key(session: Session, code: str, kind: CodeKind, order: Order) -> str:
    """The code that identifies the physical carton: its waybill whenever that is unambiguous."""
    if kind == CodeKind.order_no and order.packages == 1:
        # A single-carton order's label and waybill are on the same carton: one identity for both.
        waybill = session.exec(
            select(Waybill.tracking_no).where(Waybill.order_no == order.order_no)
        ).first()
        if waybill is not None:
            return waybill
    return code


def _cartons_received(session: Session, order_no: str) -> int:
    count = session.exec(
        select(func.count()).select_from(Carton).where(Carton.order_no == order_no)
    ).one()
    return int(count)


def _update_order_status(session: Session, order: Order, received: int, at: datetime) -> None:
    complete = received >= order.packages
    values: dict[str, object] = {
        "status": OrderStatus.received if complete else OrderStatus.partially_received,
    }
    if complete:
        values["received_at"] = at
    session.execute(sa.update(Order).where(col(Order.order_no) == order.order_no).values(**values))
    session.expire(order)


def _already_received(
    session: Session,
    scanned: ScannedCode,
    kind: CodeKind,
    at: datetime,
    station: str,
    operator: str,
    order: Order,
    first: Carton,
    received: int,
    rules: Rules,
) -> ScanDecision:
    local = rules.local_time(first.received_at)
    message = (
        f"already received: order {order.order_no}, carton {first.seq} of "
        f"{order.packages}, first received {local} at station {first.station}"
    )
    return _record(
        session,
        scanned,
        at,
        station,
        operator,
        ScanOutcome.already_received,
        kind,
        message=message,
        order=order,
        carton=first,
        cartons_received=received,
        first=first,
    )


def _hold_unknown(
    session: Session, scanned: ScannedCode, at: datetime, station: str, operator: str, rules: Rules
) -> ScanDecision:
    code = scanned.code
    assert code is not None
    held = session.exec(select(Carton).where(Carton.code == code)).first()
    if held is None:
        held = Carton(
            code=code,
            code_kind=CodeKind.unknown,
            state=CartonState.held,
            received_at=at,
            station=station,
            operator=operator,
        )
        session.add(held)
        session.flush()
        message = f"unknown: no order for {code}; carton held (unknown consignee)"
    else:
        message = (
            f"unknown: no order for {code}; carton already held since "
            f"{rules.local_time(held.received_at)} at station {held.station}"
        )
    return _record(
        session,
        scanned,
        at,
        station,
        operator,
        ScanOutcome.unknown,
        CodeKind.unknown,
        message=message,
        carton=held,
        first=held,
    )


def _record(
    session: Session,
    scanned: ScannedCode,
    at: datetime,
    station: str,
    operator: str,
    outcome: ScanOutcome,
    kind: CodeKind,
    *,
    message: str,
    order: Order | None = None,
    carton: Carton | None = None,
    cartons_received: int | None = None,
    first: Carton | None = None,
    sla: SlaFlags | None = None,
) -> ScanDecision:
    """Append the scan event and build the decision from it."""
    event = ScanEvent(
        scanned_at=at,
        station=station,
        operator=operator,
        raw_code=scanned.raw_for_journal,
        code=scanned.code,
        code_kind=kind,
        carrier_hint=scanned.carrier_hint,
        outcome=outcome,
        order_no=order.order_no if order else None,
        carton_id=carton.id if carton else None,
        message=message[:300],
    )
    session.add(event)
    session.flush()
    assert event.id is not None
    supplier = session.get(Supplier, order.supplier_id) if order else None
    return ScanDecision(
        outcome=outcome,
        message=message,
        scan_id=event.id,
        scanned_at=at,
        raw_code=event.raw_code,
        code=scanned.code,
        code_kind=kind,
        carrier_hint=scanned.carrier_hint,
        order_no=order.order_no if order else None,
        supplier_id=supplier.supplier_id if supplier else None,
        supplier_name=supplier.name if supplier else None,
        carton_id=carton.id if carton else None,
        carton_seq=carton.seq if carton else None,
        cartons_received=cartons_received,
        packages=order.packages if order else None,
        order_status=order.status if order else None,
        first_received_at=first.received_at if first else None,
        first_received_station=first.station if first else None,
        sla=sla,
    )
