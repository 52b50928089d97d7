"""Where the label reader meets the label rules: inspecting a carton from its photo."""

import os
import time
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.scanning import parcel_check
from intake.fees import load_fee_schedule, money
from intake.inspection import CartonInspection, EvidencePhoto, inspect_carton, label_record
from intake.labelread import CartonFacts, PrintedDocument, carton_facts
from intake.labelrules import Box, CodeSeen, Field
from intake.models import Defect
from intake.photos import photo_store
from intake.settings import Settings, rules_from
from scanner.barcode import Barcode
from scanner.documents import CartonReading, Document, read_carton
from scanner.images import LoadedImage
from scanner.ocr import TextLine, text_reader

# Text at least this sharp (variance of the Laplacian over the text boxes) reads reliably: the
# label samples, blur up to 1.3 px and low light included, measured 371 and more. A sample photo
# blurred by sigma 2 px measured 57 and had its order number misread: under this the photo's
# confidence falls below the charge threshold, and a person looks instead of a fee being charged.
_SHARP_TEXT = 200.0
_NO_CODE_CONFIDENCE = 0.5


def _box(polygon: tuple[tuple[int, int], ...]) -> Box:
    xs = [p[0] for p in polygon]
    ys = [p[1] for p in polygon]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def _field(line: TextLine, photo_confidence: float) -> Field:
    # A text read on a blurred or dark photo is as doubtful as the photo, however sure the
    # recogniser was of its letters: what it missed may be what a defect says is absent.
    return Field(line.text, round(min(line.confidence, photo_confidence), 3), line.box)


def _code(barcode: Barcode) -> CodeSeen:
    return CodeSeen(barcode.text, _box(barcode.polygon))


def printed_document(document: Document, photo_confidence: float = 1.0) -> PrintedDocument:
    """The scanner's document as the label reader's input."""
    return PrintedDocument(
        lines=tuple(_field(line, photo_confidence) for line in document.lines),
        barcodes=tuple(_code(c) for c in document.codes if c.format.is_linear),
        qr_codes=tuple(_code(c) for c in document.codes if not c.format.is_linear),
        box=_box(document.polygon),
    )


def reading_confidence(reading: CartonReading) -> float:
    """How far the photo can be trusted to show what is (and is not) on the carton: the text's
    sharpness, the recogniser's typical confidence, and whether any code could be decoded."""
    if not reading.lines and not reading.codes:
        return 0.2
    confidences = sorted(line.confidence for line in reading.lines)
    typical = confidences[len(confidences) // 2] if confidences else 0.5
    sharp = min(1.0, reading.sharpness / _SHARP_TEXT)
    confidence = min(typical, sharp)
    if not reading.codes:
        # Every carton carries a waybill barcode; none decoded means a photo too poor to say
        # what is missing from it.
        confidence = min(confidence, _NO_CODE_CONFIDENCE)
    return round(confidence, 3)


def facts_of(reading: CartonReading) -> CartonFacts:
    """The label and waybill facts of one carton photo's reading."""
    confidence = reading_confidence(reading)
    documents = [printed_document(d, confidence) for d in reading.documents]
    return carton_facts(documents, label_confidence=confidence)


@dataclass(frozen=True, slots=True)
class PhotoRequest:
    """Who inspects, where, and whether anything is kept."""

    station: str
    operator: str
    dry_run: bool = False
    scanned_code: str | None = None  # what the station's camera read on the carton
    idempotency_key: str | None = None


def inspect_photo(
    data: bytes,
    image: LoadedImage,
    *,
    file: str,
    engine: Engine,
    settings: Settings,
    request: PhotoRequest,
) -> dict[str, object]:
    """Read one carton photo and inspect the carton: the JSON object `intake inspect` prints and
    the API returns. With `dry_run` nothing is kept: not the receipt, the defects nor the photo."""
    started = time.perf_counter()
    reading = read_carton(
        image.pixels, reader=text_reader(ocr_threads(settings)), check=parcel_check
    )
    facts = facts_of(reading)
    height, width = image.pixels.shape[:2]
    photo = EvidencePhoto(data, image.media_type, width, height)
    store = None if request.dry_run else photo_store(settings)
    with Session(engine, expire_on_commit=False) as session:
        try:
            result = inspect_carton(
                session,
                facts=facts,
                photo=photo,
                store=store,
                station=request.station,
                operator=request.operator,
                rules=rules_from(settings),
                schedule=load_fee_schedule(settings.fee_schedule_file),
                scanned_code=request.scanned_code,
                idempotency_key=request.idempotency_key,
            )
            # Read out before a dry run's rollback takes the rows away.
            answer = _as_json(file, result, facts, reading, started, dry_run=request.dry_run)
            if request.dry_run:
                session.rollback()
            else:
                session.commit()
        except BaseException:
            session.rollback()
            raise
    answer["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return answer


def ocr_threads(settings: Settings) -> int:
    """Threads for the text reader: the setting, else every core this process may run on."""
    return settings.ocr_threads or len(os.sched_getaffinity(0))


def _as_json(
    file: str,
    result: CartonInspection,
    facts: CartonFacts,
    reading: CartonReading,
    started: float,
    *,
    dry_run: bool,
) -> dict[str, object]:
    decision = result.decision
    return {
        "file": file,
        "outcome": str(decision.outcome),
        "replayed": decision.replayed,
        "order_no": result.inspection.order_no or decision.order_no,
        "carton_seq": decision.carton_seq,
        "cartons_received": decision.cartons_received,
        "packages": decision.packages,
        "carton_id": None if dry_run else result.carton_id,
        "inspection_id": None if dry_run else result.inspection_id,
        "repeat": result.repeat,
        "waybill": facts.waybill.as_dict(),
        "label": label_record(facts.label),
        "defects": [_defect(d, dry_run=dry_run) for d in result.defects],
        "verdict": result.verdict,
        "message": result.message,
        "photo": None if dry_run else result.photo_id,
        "dry_run": dry_run,
        "timings_ms": {k: round(v, 1) for k, v in reading.timings_ms.items()},
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }


def _defect(defect: Defect, *, dry_run: bool) -> dict[str, object]:
    return {
        "id": None if dry_run else defect.id,
        "code": defect.code,
        "evidence": defect.detail,
        "box": defect.box,
        "confidence": defect.confidence,
        "action": defect.action,
        "fee": money(defect.fee_amount),
        "currency": defect.fee_currency,
        "state": defect.state,
    }
