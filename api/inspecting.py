"""Where the label reader meets the label rules: a carton photo's reading as label facts."""

from intake.labelread import CartonFacts, PrintedDocument, carton_facts
from intake.labelrules import Box, CodeSeen, Field
from scanner.barcode import Barcode
from scanner.documents import CartonReading, Document
from scanner.ocr import TextLine

# Text sharper than this (variance of the Laplacian over the text) reads reliably; a photo much
# blurrier gives a weak "no label" or "unreadable", which a person must confirm.
_SHARP_TEXT = 60.0


def _box(polygon: tuple[tuple[int, int], ...]) -> Box:
    xs = [p[0] for p in polygon]
    ys = [p[1] for p in polygon]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def _field(line: TextLine) -> Field:
    return Field(line.text, round(line.confidence, 3), line.box)


def _code(barcode: Barcode) -> CodeSeen:
    return CodeSeen(barcode.text, _box(barcode.polygon))


def printed_document(document: Document) -> PrintedDocument:
    """The scanner's document as the label reader's input."""
    return PrintedDocument(
        lines=tuple(_field(line) for line in document.lines),
        barcodes=tuple(_code(c) for c in document.codes if c.format.is_linear),
        qr_codes=tuple(_code(c) for c in document.codes if not c.format.is_linear),
        box=_box(document.polygon),
    )


def reading_confidence(reading: CartonReading) -> float:
    """How far the photo can be trusted to show what is (and is not) on the carton."""
    if not reading.lines and not reading.codes:
        return 0.2
    confidences = sorted(line.confidence for line in reading.lines)
    typical = confidences[len(confidences) // 2] if confidences else 0.5
    sharp = min(1.0, reading.sharpness / _SHARP_TEXT)
    return round(min(typical, 0.5 + 0.5 * sharp), 3)


def facts_of(reading: CartonReading) -> CartonFacts:
    """The label and waybill facts of one carton photo's reading."""
    documents = [printed_document(d) for d in reading.documents]
    return carton_facts(documents, label_confidence=reading_confidence(reading))
