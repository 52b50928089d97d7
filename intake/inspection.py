"""Inspecting a carton from its photo: receive it, check its label, record the defects and fees.

The station photographs each carton once. The waybill's tracking number (else the label's order
number) receives the carton exactly as a scan would, journal entry included; the label is checked
against the order (labelrules.py); the inspection, its evidence photo and each defect priced by the
fee schedule are stored with the carton. A carton already inspected is not inspected again: the
same carton photographed twice gets its first inspection back and nothing is charged twice. A
second carton under a label or waybill that was already received is held as a `duplicate`.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from intake.codes import normalise
from intake.fees import FeeSchedule
from intake.labelread import CartonFacts
from intake.labelrules import (
    Field,
    Inspection,
    LabelFacts,
    OrderFacts,
    inspect_label,
    read_order_no,
)
from intake.mislabels import record_defects
from intake.models import (
    Carton,
    Defect,
    Order,
    OrderStatus,
    ScanOutcome,
    Supplier,
    Waybill,
    utcnow,
)
from intake.models import Inspection as InspectionRow
from intake.photos import PhotoStore, store_photo
from intake.receiving import ScanDecision, check_station_name, hold_carton, receive_scan
from intake.sla import Rules

# A carton on which nothing identifies it is held under a code made from its photo's id.
_PHOTO_CODE_PREFIX = "PHOTO"
_PHOTO_CODE_DIGITS = 24
# Book orders compared with a label's unknown number: a few share its half by chance.
_NEAR_LIMIT = 200


@dataclass(frozen=True, slots=True)
class EvidencePhoto:
    """The photo an inspection rests on, as it was sent."""

    data: bytes
    media_type: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class CartonInspection:
    """The outcome of inspecting one carton photo."""

    decision: ScanDecision  # the receipt, as a scan of the carton's code would give it
    inspection: Inspection  # the label's defects and verdict as read from this photo
    verdict: str  # what the station shows: this inspection's, or on a repeat the first one's
    inspection_id: int | None
    defects: tuple[Defect, ...]  # as recorded, with their fees (none on a repeat)
    photo_id: str | None
    repeat: bool  # the carton was inspected before: this is its first inspection again
    carton_id: int | None
    duplicate_of: str | None = None  # the carton this one repeats the label or waybill of

    @property
    def message(self) -> str:
        """What the station says about the receipt."""
        if self.duplicate_of:
            return (
                f"duplicate: held; the label or waybill was already received on {self.duplicate_of}"
            )
        return self.decision.message


def order_facts(session: Session, order_no: str) -> OrderFacts | None:
    """The order-book facts a label is checked against, or None for an order not in the book."""
    row = session.exec(
        select(Order, Supplier.name)
        .join(Supplier, Supplier.supplier_id == Order.supplier_id)  # type: ignore[arg-type]
        .where(Order.order_no == order_no)
    ).first()
    if row is None:
        return None
    order, supplier_name = row
    tracking = session.exec(select(Waybill.tracking_no).where(Waybill.order_no == order_no)).all()
    return OrderFacts(
        order_no=order.order_no,
        buyer_name=order.buyer_name,
        buyer_postcode=order.buyer_postcode,
        buyer_country=order.buyer_country,
        supplier_name=supplier_name,
        tracking_nos=tuple(tracking),
    )


def near_orders(session: Session, number: str) -> list[str]:
    """Order numbers of the book that share the first or the last half of `number`: where a
    digit or two misread by OCR would land (the primary key's index answers both quickly)."""
    half = len(number) // 2
    if half < 4:
        return []
    head = session.exec(
        select(Order.order_no)
        .where(Order.order_no >= number[:half], Order.order_no < number[:half] + ":")
        .limit(_NEAR_LIMIT)
    ).all()
    tail = session.exec(
        select(Order.order_no)
        .where(col(Order.order_no).endswith(number[-half:]))
        .limit(_NEAR_LIMIT)
    ).all()
    return list(dict.fromkeys([*head, *tail]))


def _order_of_waybill(session: Session, tracking_no: str | None) -> OrderFacts | None:
    if not tracking_no:
        return None
    order_no = session.exec(
        select(Waybill.order_no).where(Waybill.tracking_no == tracking_no)
    ).first()
    return order_facts(session, order_no) if order_no else None


def inspect_carton(
    session: Session,
    *,
    facts: CartonFacts,
    photo: EvidencePhoto | None,
    store: PhotoStore | None,
    station: str,
    operator: str,
    rules: Rules,
    schedule: FeeSchedule,
    at: datetime | None = None,
    scanned_code: str | None = None,
    idempotency_key: str | None = None,
) -> CartonInspection:
    """Receive the carton of one photo, check its label and record what was found.

    `scanned_code` is the code the station's camera confirmed on the carton (it identifies the
    carton even when the photo sent along is too blurred to decode); `idempotency_key` makes a
    photo the station sends again (its offline queue replaying) one receipt and one inspection.
    """
    at = at or utcnow()
    station = check_station_name(station, "station")
    operator = check_station_name(operator, "operator")
    photo_id = None
    if photo is not None and store is not None:
        photo_id = store_photo(session, store=store, data=photo.data, media_type=photo.media_type,
                               width=photo.width, height=photo.height).sha256  # fmt: skip
    label = facts.label
    waybill_order = _order_of_waybill(session, facts.waybill.tracking_no)
    expected = waybill_order.order_no if waybill_order else None
    reading = read_order_no(label, expected=expected) if label.label_found else None
    label_number = reading.number if reading else None
    label_order = order_facts(session, label_number) if label_number else None
    near = near_orders(session, label_number) if label_number and label_order is None else []
    if scanned_code and facts.waybill.tracking_no and normalise(scanned_code).looks_like_order_no:
        # The camera read the label's order number; the waybill names this very carton (of a
        # multi-carton order, the order number names them all).
        scanned_code = facts.waybill.tracking_no
    code = scanned_code or facts.waybill.tracking_no or label_number or _photo_code(photo_id, at)
    decision = receive_scan(session, raw_code=code, station=station, operator=operator,
                            rules=rules, now=at, idempotency_key=idempotency_key)  # fmt: skip
    carton_id, duplicate_of = _the_carton(
        session, decision, code, label_order, station=station, operator=operator, rules=rules, at=at
    )
    earlier = _inspection_of(session, carton_id)
    if earlier is not None:
        return _repeat(session, decision, earlier, label, waybill_order, label_order)
    found = inspect_label(
        label,
        waybill_order=waybill_order,
        label_order=label_order,
        duplicate_of=duplicate_of,
        near_orders=near,
    )
    row = InspectionRow(
        carton_id=carton_id,
        photo_sha256=photo_id,
        inspected_at=at,
        station=station,
        operator=operator,
        verdict=str(found.verdict),
        order_no=found.order_no,
        label_order_no=(label_number or "")[:32] or None,
        tracking_no=facts.waybill.tracking_no,
        reading=reading_record(facts),
    )
    try:
        with session.begin_nested():  # another station may inspect the same carton right now
            session.add(row)
            session.flush()
    except IntegrityError:
        earlier = _inspection_of(session, carton_id)
        assert earlier is not None  # the unique carton_id that refused ours is theirs
        return _repeat(session, decision, earlier, label, waybill_order, label_order)
    assert row.id is not None
    defects = record_defects(
        session,
        carton_id=carton_id,
        found=found.defects,
        schedule=schedule,
        consignee_known=found.consignee_known,
        at=at,
        inspection_id=row.id,
    )
    return CartonInspection(
        decision,
        found,
        str(found.verdict),
        row.id,
        tuple(defects),
        photo_id,
        repeat=False,
        carton_id=carton_id,
        duplicate_of=duplicate_of,
    )


def _the_carton(
    session: Session,
    decision: ScanDecision,
    code: str,
    label_order: OrderFacts | None,
    *,
    station: str,
    operator: str,
    rules: Rules,
    at: datetime,
) -> tuple[int, str | None]:
    """The carton in the photo, and the carton it duplicates (if it is a second carton under a
    label or waybill already received)."""
    carton_id, duplicate_of = decision.carton_id, None
    first = session.get(Carton, carton_id) if carton_id is not None else None
    if decision.outcome == ScanOutcome.already_received and first is not None:
        if first.code != decision.code and not _same_carton(first, code):
            # Another carton under a waybill of a complete order (held once, however often seen).
            duplicate_of = _describe(first, rules)
            held = session.exec(select(Carton).where(Carton.code == decision.code)).first()
            carton_id = held.id if held else None
    elif decision.outcome == ScanOutcome.unknown and label_order is not None:
        # An unregistered waybill under the label of an order whose cartons are all in.
        complete = _first_carton_if_complete(session, label_order.order_no)
        duplicate_of = _describe(complete, rules) if complete is not None else None
    if carton_id is None:
        carton_id = hold_carton(
            session, code=code, station=station, operator=operator, rules=rules, at=at
        )
    return carton_id, duplicate_of


def _photo_code(photo_id: str | None, at: datetime) -> str:
    """The code a carton with nothing readable on it is held under."""
    suffix = (photo_id or format(int(at.timestamp() * 1_000_000), "x")).upper()
    return _PHOTO_CODE_PREFIX + suffix[:_PHOTO_CODE_DIGITS]


def _same_carton(first: Carton, code: str) -> bool:
    """A label-only photo of a single-carton order matches the carton its waybill received."""
    return first.order_no is not None and first.order_no == code


def _first_carton_if_complete(session: Session, order_no: str) -> Carton | None:
    """The order's first carton, when every carton of the order has been received."""
    order = session.get(Order, order_no)
    if order is None or order.status != OrderStatus.received:
        return None
    return session.exec(
        select(Carton).where(Carton.order_no == order_no).order_by(Carton.seq)  # type: ignore[arg-type]
    ).first()


def _describe(carton: Carton, rules: Rules) -> str:
    return (
        f"carton {carton.id} ({carton.code}), received {rules.local_time(carton.received_at)} "
        f"at station {carton.station}"
    )


def _inspection_of(session: Session, carton_id: int) -> InspectionRow | None:
    return session.exec(select(InspectionRow).where(InspectionRow.carton_id == carton_id)).first()


def _repeat(
    session: Session,
    decision: ScanDecision,
    earlier: InspectionRow,
    label: LabelFacts,
    waybill_order: OrderFacts | None,
    label_order: OrderFacts | None,
) -> CartonInspection:
    """The carton was inspected already: its first inspection stands; nothing is recorded."""
    again = inspect_label(label, waybill_order=waybill_order, label_order=label_order)
    recorded = session.exec(select(Defect).where(Defect.inspection_id == earlier.id)).all()
    return CartonInspection(
        decision=decision,
        inspection=again,
        verdict=earlier.verdict,
        inspection_id=earlier.id,
        defects=tuple(recorded),
        photo_id=earlier.photo_sha256,
        repeat=True,
        carton_id=earlier.carton_id,
    )


def _field(field: Field | None) -> dict[str, Any] | None:
    if field is None:
        return None
    box = list(field.box) if field.box else None
    return {"text": field.text, "confidence": round(field.confidence, 3), "box": box}


def label_record(label: LabelFacts) -> dict[str, Any]:
    """The label's fields as read: what the JSON output and the stored inspection show."""
    return {
        "found": label.label_found,
        "order_no": _field(label.order_no_text),
        "order_no_barcodes": list(label.order_no_barcodes),
        "buyer_name": _field(label.buyer_name),
        "address": _field(label.address),
        "postcode": _field(label.postcode),
        "country": _field(label.country),
        "supplier": _field(label.supplier_block),
        "qr_codes": [
            {"text": c.text, "box": list(c.box) if c.box else None} for c in label.qr_codes
        ],
        "barcodes": [
            {"text": c.text, "box": list(c.box) if c.box else None} for c in label.barcodes
        ],
        "confidence": round(label.label_confidence, 3),
    }


def reading_record(facts: CartonFacts) -> dict[str, Any]:
    """What the inspection stores of the reading: label fields, every label line, the waybill."""
    record = label_record(facts.label)
    record["lines"] = [_field(line) for line in facts.label.text_lines]
    record["waybill"] = facts.waybill.as_dict()
    return record
