"""Recording a carton's mislabel defects with their fees, and closing them once dealt with."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col

from intake.errors import InvalidInput, NotFound, printable
from intake.fees import Action, FeeSchedule, money
from intake.labelrules import Defect as FoundDefect
from intake.lookup import MAX_PAGE
from intake.models import Carton, Defect, DefectState, Inspection, Order, Supplier, utcnow
from intake.receiving import check_station_name

# A defect found on evidence too weak to charge: a person looks at the photo, then waives it or
# confirms it (priced by the schedule in force then).
REVIEW = "review"
ZERO = Decimal(0)
# Which resolutions fit which action: a carton held for return is returned (or disposed of, if
# the supplier will not take it back), never relabelled; any fee can be waived.
_RESOLUTIONS: dict[Action, frozenset[DefectState]] = {
    Action.relabel: frozenset({DefectState.relabeled, DefectState.waived}),
    Action.hold_return: frozenset({DefectState.returned, DefectState.disposed, DefectState.waived}),
    Action.hold_disposal: frozenset(
        {DefectState.disposed, DefectState.returned, DefectState.waived}
    ),
    Action.release: frozenset({DefectState.waived}),
}


def record_defects(
    session: Session,
    *,
    carton_id: int,
    found: Sequence[FoundDefect],
    schedule: FeeSchedule,
    consignee_known: bool,
    at: datetime | None = None,
    inspection_id: int | None = None,
) -> list[Defect]:
    """Store the defects of one carton, each priced by the schedule in force now; a defect on
    evidence too weak to charge is stored for review, free of charge."""
    if session.get(Carton, carton_id) is None:
        raise NotFound(f"no carton {carton_id}")
    rows = []
    for defect in found:
        charge = schedule.charge(defect.code, consignee_known=consignee_known)
        action, amount = (charge.action, charge.amount) if defect.chargeable else (REVIEW, ZERO)
        rows.append(
            Defect(
                carton_id=carton_id,
                code=str(defect.code),
                detail=defect.evidence[:500],
                confidence=defect.confidence,
                created_at=at or utcnow(),
                action=action,
                fee_amount=amount,
                fee_currency=charge.currency,
                fee_schedule_version=charge.schedule_version,
                inspection_id=inspection_id,
                box=list(defect.box) if defect.box else None,
            )
        )
    session.add_all(rows)
    session.flush()
    return rows


def resolve_defect(
    session: Session, *, defect_id: int, resolution: str, by: str, at: datetime | None = None
) -> Defect:
    """Close an open defect as relabeled, returned, disposed or waived, saying who and when."""
    try:
        state = DefectState(resolution)
    except ValueError:
        state = DefectState.open
    if state == DefectState.open:
        raise InvalidInput(
            f"{resolution!r} is no resolution: relabeled, returned, disposed or waived"
        )
    by = check_station_name(by, "who resolved it")
    defect = session.get(Defect, defect_id, with_for_update=True)
    if defect is None:
        raise NotFound(f"no mislabel defect {defect_id}")
    if defect.state != DefectState.open:
        raise InvalidInput(
            f"defect {defect_id} is already {defect.state} (by {defect.resolved_by}"
            f" at {defect.resolved_at:%Y-%m-%d %H:%M} UTC)"
        )
    allowed = _RESOLUTIONS.get(defect.action, frozenset({DefectState.waived}))  # type: ignore[call-overload]
    if state not in allowed:
        choices = ", ".join(sorted(allowed))
        raise InvalidInput(
            f"defect {defect_id} ({defect.code}) was charged to {defect.action}: "
            f"it can be closed as {choices}, not {state}"
        )
    defect.state, defect.resolved_by, defect.resolved_at = state, by, at or utcnow()
    session.add(defect)
    session.flush()
    return defect


def confirm_defect(
    session: Session,
    *,
    defect_id: int,
    by: str,
    schedule: FeeSchedule,
    at: datetime | None = None,
) -> Defect:
    """A person looked at a defect held for review and confirms it: it is charged now, by the
    schedule in force now, as if the evidence had been clear."""
    by = check_station_name(by, "who confirmed it")
    defect = session.get(Defect, defect_id, with_for_update=True)
    if defect is None:
        raise NotFound(f"no mislabel defect {defect_id}")
    if defect.action != REVIEW or defect.state != DefectState.open:
        raise InvalidInput(
            f"defect {defect_id} is not waiting for review (it is {defect.state}, "
            f"action {defect.action}): only a defect held for review can be confirmed"
        )
    carton = session.get(Carton, defect.carton_id)
    inspection = session.get(Inspection, defect.inspection_id) if defect.inspection_id else None
    known = bool((inspection and inspection.order_no) or (carton and carton.order_no))
    charge = schedule.charge(defect.code, consignee_known=known)
    defect.action, defect.fee_amount = charge.action, charge.amount
    defect.fee_currency, defect.fee_schedule_version = charge.currency, charge.schedule_version
    defect.detail = f"{defect.detail} [confirmed by {by} at {(at or utcnow()):%Y-%m-%d %H:%M} UTC]"[
        :500
    ]
    defect.confidence = 1.0
    session.add(defect)
    session.flush()
    return defect


@dataclass(frozen=True, slots=True)
class MislabelRow:
    """One mislabel defect with the carton, order and supplier it is charged to."""

    defect: Defect
    carton: Carton
    order_no: str | None
    supplier_id: str | None
    supplier_name: str | None
    photo_sha256: str | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly, timestamps ISO 8601 UTC, the fee exact."""
        d = self.defect
        return {
            "id": d.id,
            "code": d.code,
            "state": d.state,
            "evidence": d.detail,
            "box": d.box,
            "confidence": d.confidence,
            "action": d.action,
            "fee": money(d.fee_amount),
            "currency": d.fee_currency,
            "fee_schedule_version": d.fee_schedule_version,
            "found_at": d.created_at.isoformat(),
            "resolved_by": d.resolved_by,
            "resolved_at": d.resolved_at.isoformat() if d.resolved_at else None,
            "carton_id": self.carton.id,
            "carton_code": self.carton.code,
            "station": self.carton.station,
            "operator": self.carton.operator,
            "order_no": self.order_no,
            "supplier_id": self.supplier_id,
            "supplier_name": self.supplier_name,
            "photo": self.photo_sha256,
        }


def list_mislabels(
    session: Session,
    *,
    day: date,
    zone: ZoneInfo,
    supplier_id: str | None = None,
    state: str | None = None,
    after_id: int = 0,
    limit: int = 100,
) -> list[MislabelRow]:
    """The defects found on one local day of the warehouse, oldest first, a page at a time."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be 1 to {MAX_PAGE}, not {limit}")
    if state is not None and state not in set(DefectState):
        raise InvalidInput(f"unknown state {state!r}: {', '.join(DefectState)}")
    if supplier_id is not None:
        printable(supplier_id, "the supplier")
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    # A second carton under a copy of a label is held without the order: its inspection names it.
    order_no = sa.func.coalesce(Carton.order_no, Inspection.order_no)
    query = (
        sa.select(
            Defect,
            Carton,
            order_no,
            col(Supplier.supplier_id),
            col(Supplier.name),
            col(Inspection.photo_sha256),
        )
        .join(Carton, col(Carton.id) == Defect.carton_id)
        .outerjoin(Inspection, col(Inspection.id) == Defect.inspection_id)
        .outerjoin(Order, col(Order.order_no) == order_no)
        .outerjoin(Supplier, col(Supplier.supplier_id) == Order.supplier_id)
        .where(col(Defect.created_at) >= start.astimezone(UTC))
        .where(col(Defect.created_at) < end.astimezone(UTC))
        .where(col(Defect.id) > after_id)
        .order_by(col(Defect.id))
        .limit(limit)
    )
    if supplier_id is not None:
        query = query.where(col(Supplier.supplier_id) == supplier_id)
    if state is not None:
        query = query.where(col(Defect.state) == state)
    return [MislabelRow(*row) for row in session.execute(query).all()]
