"""Receiving a carton from one scan: the decision every station, the CLI and the API share."""

import re
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from intake.codes import ScannedCode, normalise
from intake.db import RUNS_AGAIN, is_sqlite
from intake.errors import InvalidInput, printable
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
    table_of,
    utcnow,
)
from intake.sla import Rules, SlaFlags, evaluate

MAX_NAME_LENGTH = 64
# A conflict means another station received a carton of the same order a moment earlier;
# re-deciding once per competing station is enough, a few more covers a burst.
_MAX_ATTEMPTS = 10

# A station waits for every scan, so its statements are SQLAlchemy Core, built once: the ORM's
# loading and unit of work cost several times what SQLite takes to run them (bench/scan_rate.py).
_ORDERS, _SUPPLIERS, _WAYBILLS, _CARTONS, _SCANS = (
    table_of(model) for model in (Order, Supplier, Waybill, Carton, ScanEvent)
)
_ORDER_FACTS = sa.select(
    _ORDERS.c.order_no,
    _ORDERS.c.packages,
    _ORDERS.c.ordered_at,
    _ORDERS.c.ready_to_ship_at,
    _ORDERS.c.status,
    _ORDERS.c.supplier_id,
    _SUPPLIERS.c.name.label("supplier_name"),
)
_BY_WAYBILL = _ORDER_FACTS.select_from(_WAYBILLS.join(_ORDERS).join(_SUPPLIERS)).where(
    _WAYBILLS.c.tracking_no == sa.bindparam("code")
)
_BY_ORDER_NO = _ORDER_FACTS.select_from(_ORDERS.join(_SUPPLIERS)).where(
    _ORDERS.c.order_no == sa.bindparam("code")
)
_WAYBILL_OF_ORDER = sa.select(_WAYBILLS.c.tracking_no).where(
    _WAYBILLS.c.order_no == sa.bindparam("order_no")
)
_CARTON_FACTS = sa.select(
    *(_CARTONS.c[name] for name in ("id", "code", "order_no", "seq", "received_at", "station"))
)
# The carton with this code, and the order's cartons: two look-ups by unique index. Written as
# one OR, PostgreSQL planned a scan of every carton while the table was young (its statistics
# said empty) and kept that plan for the prepared statement: 1 ms more per scan, growing.
_CARTONS_OF = sa.union(
    _CARTON_FACTS.where(_CARTONS.c.code == sa.bindparam("key")),
    _CARTON_FACTS.where(_CARTONS.c.order_no == sa.bindparam("order_no")),
)
_CARTON_BY_CODE = _CARTON_FACTS.where(_CARTONS.c.code == sa.bindparam("code"))
_SCAN_BY_KEY = sa.select(_SCANS).where(
    _SCANS.c.station == sa.bindparam("station"),
    _SCANS.c.idempotency_key == sa.bindparam("key"),
)
_SET_ORDER_STATUS = sa.update(_ORDERS).where(_ORDERS.c.order_no == sa.bindparam("order_to_set"))
_NEW_CARTON = sa.insert(_CARTONS)
_NEW_SCAN = sa.insert(_SCANS)


def _received_at_once(complete: bool) -> sa.Insert:
    """PostgreSQL: a received carton's three writes as one statement (data-modifying WITH): the
    carton, its order's new status, the scan event naming the carton. Over a network each
    statement costs a round trip and the driver's and SQLAlchemy's work: two of a scan's five
    statements fewer. Parameters: the carton's columns as `carton_<name>`, the event's as
    `scan_<name>`, and `order_to_set`, `status` (and `received_at` when `complete`)."""
    carton = (
        sa.insert(_CARTONS)
        .values({c: sa.bindparam(f"carton_{c.name}") for c in _CARTONS.c if c.name != "id"})
        .returning(_CARTONS.c.id)
        .cte("new_carton")
    )
    status: dict[str, sa.BindParameter[Any]] = {"status": sa.bindparam("status")}
    if complete:
        status["received_at"] = sa.bindparam("received_at")
    order = _SET_ORDER_STATUS.values(status).cte("order_status")
    columns = [c for c in _SCANS.c if c.name not in ("id", "carton_id")]
    event = sa.select(*(sa.bindparam(f"scan_{c.name}", type_=c.type) for c in columns), carton.c.id)
    return (
        sa.insert(_SCANS)
        .from_select([*columns, _SCANS.c.carton_id], event)
        .add_cte(order)
        .returning(_SCANS.c.id, _SCANS.c.carton_id)
    )


_RECEIVED_AT_ONCE = {complete: _received_at_once(complete) for complete in (False, True)}


@dataclass(frozen=True, slots=True)
class _Matched:
    """What a decision needs of the order a scan matched, and of its supplier."""

    order_no: str
    packages: int
    ordered_at: datetime
    ready_to_ship_at: datetime | None
    status: str
    supplier_id: str
    supplier_name: str


@dataclass(frozen=True, slots=True)
class _Carton:
    """What a decision needs of a carton."""

    id: int
    code: str
    order_no: str | None
    seq: int | None
    received_at: datetime
    station: str


@dataclass(frozen=True, slots=True)
class _Scan:
    """One scan being decided: what was read, when, where, by whom, under which rules."""

    session: Session
    scanned: ScannedCode
    at: datetime
    station: str
    operator: str
    rules: Rules
    idempotency_key: str | None = None

    @property
    def code(self) -> str:
        """The normalised code (only valid scans are decided)."""
        assert self.scanned.code is not None
        return self.scanned.code

    def run(self, statement: sa.Executable, values: dict[str, Any]) -> sa.CursorResult[Any]:
        """Execute one prepared statement in the scan's transaction."""
        return self.session.connection().execute(statement, values)


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
    replayed: bool = False  # the station sent this scan before: its first decision, again

    def as_dict(self) -> dict[str, object]:
        """The decision as JSON-friendly data (timestamps in ISO 8601 UTC)."""
        # Field by field: dataclasses.asdict deep-copies every value, a tenth of a scan's time.
        data: dict[str, object] = {name: getattr(self, name) for name in _DECISION_FIELDS}
        for key in ("scanned_at", "first_received_at"):
            value = data[key]
            data[key] = value.isoformat() if isinstance(value, datetime) else None
        data["sla"] = self.sla.as_dict() if self.sla is not None else None
        return data


_DECISION_FIELDS = tuple(f.name for f in fields(ScanDecision))


def check_station_name(value: str, what: str) -> str:
    """A station or operator name: printable, 1 to 64 characters."""
    value = value.strip()
    if not value:
        raise InvalidInput(f"{what} is empty")
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidInput(f"{what} is {len(value)} characters long, over {MAX_NAME_LENGTH}")
    return printable(value, what)


def _start(
    session: Session,
    raw: str,
    station: str,
    operator: str,
    rules: Rules,
    at: datetime | None,
    idempotency_key: str | None = None,
) -> _Scan:
    return _Scan(
        session=session,
        scanned=normalise(raw),
        at=at or utcnow(),
        station=check_station_name(station, "station"),
        operator=check_station_name(operator, "operator"),
        rules=rules,
        idempotency_key=check_idempotency_key(idempotency_key),
    )


_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


def check_idempotency_key(key: str | None) -> str | None:
    """A station's key for one scan: 1 to 64 letters, digits, '.', '_', ':' or '-' (a UUID)."""
    if key is None:
        return None
    if not _KEY.match(key):
        raise InvalidInput("an idempotency key is 1 to 64 letters, digits, '.', '_', ':' or '-'")
    return key


def receive_scan(
    session: Session,
    *,
    raw_code: str,
    station: str,
    operator: str,
    rules: Rules,
    now: datetime | None = None,
    idempotency_key: str | None = None,
) -> ScanDecision:
    """Decide and record one scan: received, already_received, unknown (held) or invalid.

    With an `idempotency_key`, a scan the station sent before (its answer lost on the way, or
    replayed from its offline queue) is not decided again: the first decision comes back,
    marked `replayed`, and nothing more is recorded.
    """
    scan = _start(session, raw_code, station, operator, rules, now, idempotency_key)
    # Under a group commit, a conflict undoes the transaction and the group commit runs the
    # scan again: a savepoint of its own here would cost two more round trips per scan.
    enclosed = bool(session.info.get(RUNS_AGAIN))
    for _attempt in range(_MAX_ATTEMPTS):
        try:
            with _attempt_of(session, enclosed):
                earlier = _replay(scan)
                if earlier is not None:
                    return earlier
                if scan.scanned.code is None:
                    message = f"invalid scan: {scan.scanned.problem}"
                    return _record(scan, ScanOutcome.invalid, CodeKind.invalid, message=message)
                return _decide(scan)
        except IntegrityError:
            if enclosed:
                raise
            continue  # another station took this carton or slot first: decide again
    raise RuntimeError(f"scan of {scan.code!r} kept conflicting after {_MAX_ATTEMPTS} attempts")


def _attempt_of(session: Session, enclosed: bool) -> AbstractContextManager[object]:
    """One try at deciding, undone alone if another station's scan of the carton came first.

    On SQLite the transaction holds the database's one write lock from its BEGIN IMMEDIATE, so
    no other station can come first: the savepoint would only cost two more statements."""
    if enclosed or is_sqlite(session.get_bind()):
        return nullcontext()
    return session.begin_nested()


def hold_carton(
    session: Session,
    *,
    code: str,
    station: str,
    operator: str,
    rules: Rules,
    at: datetime | None = None,
) -> int:
    """Store a carton that cannot be received against its order (a second carton under a label
    or waybill already received): held, with no order; its id."""
    scan = _start(session, code, station, operator, rules, at)
    if scan.scanned.code is None:
        raise InvalidInput(f"cannot hold a carton under {code!r}: {scan.scanned.problem}")
    return _new_carton(
        scan, code=scan.code, kind=CodeKind.unknown, order=None, seq=None, flags=None
    ).id


def _replay(scan: _Scan) -> ScanDecision | None:
    """The decision already recorded under this station's idempotency key, if any."""
    if scan.idempotency_key is None:
        return None
    event = scan.run(_SCAN_BY_KEY, {"station": scan.station, "key": scan.idempotency_key}).first()
    if event is None:
        return None
    return ScanDecision(
        outcome=ScanOutcome(event.outcome),
        message=event.message,
        scan_id=event.id,
        scanned_at=event.scanned_at,
        raw_code=event.raw_code,
        code=event.code,
        code_kind=CodeKind(event.code_kind),
        carrier_hint=event.carrier_hint,
        order_no=event.order_no,
        carton_id=event.carton_id,
        replayed=True,
    )


def _decide(scan: _Scan) -> ScanDecision:
    kind, order = _match(scan)
    if order is None:
        return _hold_unknown(scan)
    key = _carton_key(scan, kind, order)
    received, existing = _cartons_of(scan, key, order)
    if existing is not None:
        return _already_received(scan, kind, order, existing, received)
    flags = evaluate(
        scan.rules.sla,
        ordered_at=order.ordered_at,
        ready_to_ship_at=order.ready_to_ship_at,
        received_at=scan.at,
    )
    return _receive(scan, kind, order, key, received + 1, flags)


def _match(scan: _Scan) -> tuple[CodeKind, _Matched | None]:
    # The exact registered number decides; the carrier format was only a hint.
    for kind, query in ((CodeKind.tracking_no, _BY_WAYBILL), (CodeKind.order_no, _BY_ORDER_NO)):
        found = scan.run(query, {"code": scan.code}).first()
        if found is not None:
            return kind, _Matched(**found._mapping)
    return CodeKind.unknown, None


def _carton_key(scan: _Scan, kind: CodeKind, order: _Matched) -> str:
    """The code that identifies the physical carton: its waybill whenever that is unambiguous."""
    if kind == CodeKind.order_no and order.packages == 1:
        # A single-carton order's label and waybill are on the same carton: one identity for both.
        waybill = scan.run(_WAYBILL_OF_ORDER, {"order_no": order.order_no}).first()
        if waybill is not None:
            return str(waybill.tracking_no)
    return scan.code


def _cartons_of(scan: _Scan, key: str, order: _Matched) -> tuple[int, _Carton | None]:
    """How many cartons of the order are in, and the carton this one repeats, if any.

    The carton with this key; else, when every carton of the order is in, the first of them.
    """
    rows = scan.run(_CARTONS_OF, {"key": key, "order_no": order.order_no})
    cartons = [_Carton(**row._mapping) for row in rows]
    ours = sorted((c for c in cartons if c.order_no == order.order_no), key=lambda c: c.seq or 0)
    same = next((c for c in cartons if c.code == key), None)
    if same is None and ours and len(ours) >= order.packages:
        same = ours[0]
    return len(ours), same


def _receive(
    scan: _Scan, kind: CodeKind, order: _Matched, key: str, seq: int, flags: SlaFlags
) -> ScanDecision:
    """Store the carton received as the order's `seq`-th, the order's new status and the event."""
    complete = seq >= order.packages
    order = replace(
        order, status=OrderStatus.received if complete else OrderStatus.partially_received
    )
    status: dict[str, object] = {"order_to_set": order.order_no, "status": order.status}
    if complete:
        status["received_at"] = scan.at
    carton = _carton_values(scan, code=key, kind=kind, order=order, seq=seq, flags=flags)
    message = f"received: order {order.order_no}, carton {seq} of {order.packages}"
    if is_sqlite(scan.session.get_bind()):
        carton_id = _insert(scan, _NEW_CARTON, carton)
        scan.run(_SET_ORDER_STATUS, status)
        event = _event_values(scan, ScanOutcome.received, kind, message, order, carton_id)
        scan_id = _insert(scan, _NEW_SCAN, event)
    else:
        event = _event_values(scan, ScanOutcome.received, kind, message, order, None)
        del event["carton_id"]
        values = status | _prefixed("carton_", carton) | _prefixed("scan_", event)
        row = scan.run(_RECEIVED_AT_ONCE[complete], values).one()
        scan_id, carton_id = row.id, row.carton_id
    return _decision(
        scan,
        ScanOutcome.received,
        kind,
        message=message,
        scan_id=scan_id,
        order=order,
        carton=_Carton(carton_id, key, order.order_no, seq, scan.at, scan.station),
        cartons_received=seq,
        sla=flags,
    )


def _prefixed(prefix: str, values: dict[str, Any]) -> dict[str, Any]:
    return {prefix + name: value for name, value in values.items()}


def _new_carton(
    scan: _Scan,
    *,
    code: str,
    kind: CodeKind,
    order: _Matched | None,
    seq: int | None,
    flags: SlaFlags | None,
) -> _Carton:
    """Store a new carton: received against its order, or held when it has none."""
    values = _carton_values(scan, code=code, kind=kind, order=order, seq=seq, flags=flags)
    carton_id = _insert(scan, _NEW_CARTON, values)
    return _Carton(carton_id, code, values["order_no"], seq, scan.at, scan.station)


def _carton_values(
    scan: _Scan,
    *,
    code: str,
    kind: CodeKind,
    order: _Matched | None,
    seq: int | None,
    flags: SlaFlags | None,
) -> dict[str, Any]:
    """A new carton's row: received against its order, or held when it has none."""
    order_no = order.order_no if order else None
    return {
        "code": code,
        "code_kind": kind,
        "order_no": order_no,
        "supplier_id": order.supplier_id if order else None,
        "seq": seq,
        "state": CartonState.received if order_no else CartonState.held,
        "received_at": scan.at,
        "station": scan.station,
        "operator": scan.operator,
        "late_ready_to_ship": flags.late_ready_to_ship if flags else False,
        "carrier_delay": flags.carrier_delay if flags else False,
    }


def _insert(scan: _Scan, statement: sa.Insert, values: dict[str, Any]) -> int:
    """One new row (a carton, a scan event); its id."""
    key = scan.run(statement, values).inserted_primary_key
    assert key is not None
    return int(key[0])


def _already_received(
    scan: _Scan, kind: CodeKind, order: _Matched, first: _Carton, received: int
) -> ScanDecision:
    local = scan.rules.local_time(first.received_at)
    message = (
        f"already received: order {order.order_no}, carton {first.seq} of "
        f"{order.packages}, first received {local} at station {first.station}"
    )
    return _record(
        scan,
        ScanOutcome.already_received,
        kind,
        message=message,
        order=order,
        carton=first,
        cartons_received=received,
        first=first,
    )


def _hold_unknown(scan: _Scan) -> ScanDecision:
    found = scan.run(_CARTON_BY_CODE, {"code": scan.code}).first()
    if found is None:
        held = _new_carton(
            scan, code=scan.code, kind=CodeKind.unknown, order=None, seq=None, flags=None
        )
        message = f"unknown: no order for {scan.code}; carton held (unknown consignee)"
    else:
        held = _Carton(**found._mapping)
        message = (
            f"unknown: no order for {scan.code}; carton already held since "
            f"{scan.rules.local_time(held.received_at)} at station {held.station}"
        )
    return _record(
        scan, ScanOutcome.unknown, CodeKind.unknown, message=message, carton=held, first=held
    )


def _record(
    scan: _Scan,
    outcome: ScanOutcome,
    kind: CodeKind,
    *,
    message: str,
    order: _Matched | None = None,
    carton: _Carton | None = None,
    cartons_received: int | None = None,
    first: _Carton | None = None,
) -> ScanDecision:
    """Append the scan event and build the decision from it."""
    event = _event_values(scan, outcome, kind, message, order, carton.id if carton else None)
    return _decision(
        scan,
        outcome,
        kind,
        message=message,
        scan_id=_insert(scan, _NEW_SCAN, event),
        order=order,
        carton=carton,
        cartons_received=cartons_received,
        first=first,
    )


def _event_values(
    scan: _Scan,
    outcome: ScanOutcome,
    kind: CodeKind,
    message: str,
    order: _Matched | None,
    carton_id: int | None,
) -> dict[str, Any]:
    """The scan event's row: what was read, where, by whom, and what came of it."""
    scanned = scan.scanned
    return {
        "scanned_at": scan.at,
        "station": scan.station,
        "operator": scan.operator,
        "raw_code": scanned.raw_for_journal,
        "code": scanned.code,
        "code_kind": kind,
        "carrier_hint": scanned.carrier_hint,
        "outcome": outcome,
        "order_no": order.order_no if order else None,
        "carton_id": carton_id,
        "message": message[:300],
        "idempotency_key": scan.idempotency_key,
    }


def _decision(
    scan: _Scan,
    outcome: ScanOutcome,
    kind: CodeKind,
    *,
    message: str,
    scan_id: int,
    order: _Matched | None = None,
    carton: _Carton | None = None,
    cartons_received: int | None = None,
    first: _Carton | None = None,
    sla: SlaFlags | None = None,
) -> ScanDecision:
    """What the station shows for the scan, once its event is stored as `scan_id`."""
    scanned = scan.scanned
    return ScanDecision(
        outcome=outcome,
        message=message,
        scan_id=scan_id,
        scanned_at=scan.at,
        raw_code=scanned.raw_for_journal,
        code=scanned.code,
        code_kind=kind,
        carrier_hint=scanned.carrier_hint,
        order_no=order.order_no if order else None,
        supplier_id=order.supplier_id if order else None,
        supplier_name=order.supplier_name if order else None,
        carton_id=carton.id if carton else None,
        carton_seq=carton.seq if carton else None,
        cartons_received=cartons_received,
        packages=order.packages if order else None,
        order_status=order.status if order else None,
        first_received_at=first.received_at if first else None,
        first_received_station=first.station if first else None,
        sla=sla,
    )
