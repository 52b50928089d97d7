"""Recording a carton's mislabel defects with their fees, and closing them once dealt with."""

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from intake.errors import InvalidInput, NotFound
from intake.fees import Action, FeeSchedule
from intake.labelrules import Defect as FoundDefect
from intake.models import Carton, Defect, DefectState, utcnow
from intake.receiving import check_station_name

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
) -> list[Defect]:
    """Store the defects of one carton, each priced by the schedule in force now."""
    if session.get(Carton, carton_id) is None:
        raise NotFound(f"no carton {carton_id}")
    rows = []
    for defect in found:
        charge = schedule.charge(defect.code, consignee_known=consignee_known)
        rows.append(
            Defect(
                carton_id=carton_id,
                code=str(defect.code),
                detail=defect.evidence[:500],
                confidence=defect.confidence,
                created_at=at or utcnow(),
                action=charge.action,
                fee_amount=charge.amount,
                fee_currency=charge.currency,
                fee_schedule_version=charge.schedule_version,
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
