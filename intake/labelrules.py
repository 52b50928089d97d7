"""Label rules: the defects of one carton's label, from what was read on it and its order (pure).

The scanner reads (`LabelFacts`), the caller looks the orders up (`OrderFacts`); this module only
decides. Every defect carries its evidence and a confidence; a defect whose confidence is under
MIN_CHARGE_CONFIDENCE is not charged: the carton goes to a person (`needs_review`).
"""

import re
import statistics
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from intake import labeltext, postcodes
from intake.codes import normalise
from intake.defects import DefectCode

Box = tuple[int, int, int, int]  # x, y, width, height on the photo

# OCR engines report 0.9+ on clean print; under 0.6 a reading is as likely wrong as right, and a
# fee must not rest on it.
MIN_CHARGE_CONFIDENCE = 0.6
# Names: at or above NAME_MATCH the same buyer (OCR noise, accents, order of words); under
# NAME_MISMATCH another person; in between a person looks. Measured with difflib on letters only:
# "Emily Johnson"/"Michael Brown" 0.42, "Siti Rahimah"/"Siti Nurhaliza" 0.67, "Jane Smith"/
# "John Smith" 0.78, "Emily Johnson"/"EMlLY J0HNSON" 1.0.
NAME_MATCH = 0.80
NAME_MISMATCH = 0.70
# The confidence given to a defect that OCR noise alone may explain: under the charge threshold.
DOUBT = 0.5
# An order number read as text that is this many edits from the expected one may be a misread.
NEAR_EDITS = 2
_MIN_ORDER_DIGITS = 8  # shorter digit runs in the order-number field are not an order number
_EVIDENCE_MAX = 400


class Verdict(StrEnum):
    """What the station tells the operator to do with the carton."""

    ok = "ok"
    relabel = "relabel"
    hold = "hold"
    needs_review = "needs_review"


@dataclass(frozen=True, slots=True)
class Field:
    """A text read on the label, the reader's confidence in it (0..1), and where it is."""

    text: str
    confidence: float = 1.0
    box: Box | None = None


@dataclass(frozen=True, slots=True)
class CodeSeen:
    """A barcode or QR code decoded on the label: exact content, and where it is."""

    text: str
    box: Box | None = None


@dataclass(frozen=True, slots=True)
class LabelFacts:
    """What was read from one carton photo's shipping label (and the waybill's tracking number)."""

    label_found: bool
    order_no_text: Field | None = None
    order_no_barcodes: Sequence[str] = ()
    buyer_name: Field | None = None
    address: Field | None = None
    postcode: Field | None = None
    country: Field | None = None
    supplier_block: Field | None = None
    qr_codes: Sequence[CodeSeen] = ()  # every 2D code (QR, Data Matrix, PDF417)
    barcodes: Sequence[CodeSeen] = ()  # every 1D code
    text_lines: Sequence[Field] = ()  # all OCR lines of the label
    waybill_tracking_no: str | None = None
    # A waybill is on the carton but its number could not be read: the consignee may be known.
    waybill_unread: bool = False
    # How sure the scanner is that label_found is right and the photo sharp enough to read.
    label_confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """The order-book facts a label is checked against."""

    order_no: str
    buyer_name: str
    buyer_postcode: str
    buyer_country: str
    supplier_name: str
    tracking_nos: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class Defect:
    """One defect found on the label, with what shows it."""

    code: DefectCode
    evidence: str
    box: Box | None
    confidence: float

    @property
    def chargeable(self) -> bool:
        """Whether the evidence is strong enough to charge a fee for it."""
        return self.confidence >= MIN_CHARGE_CONFIDENCE


@dataclass(frozen=True, slots=True)
class Inspection:
    """The defects of one carton's label and the verdict for the operator."""

    defects: tuple[Defect, ...]
    verdict: Verdict
    order_no: str | None  # the order the carton was matched to
    label_order_no: str | None  # the order number as read on the label
    consignee_known: bool

    @property
    def codes(self) -> list[DefectCode]:
        """The defect codes, in the order found."""
        return [d.code for d in self.defects]


@dataclass(frozen=True, slots=True)
class OrderNoReading:
    """The label's order number: None when the field is there but holds no number."""

    number: str | None
    confidence: float
    box: Box | None
    source: str  # "barcode" or "text"
    text: str


def inspect_label(
    label: LabelFacts,
    *,
    waybill_order: OrderFacts | None,
    label_order: OrderFacts | None = None,
    duplicate_of: str | None = None,
    near_orders: Sequence[str] = (),
) -> Inspection:
    """The defects and verdict of one label, against the waybill's order, else the label's.

    `label_order` is the order the label's number names as the caller found it in the book (None
    when absent there); `duplicate_of` names the carton that already carried this label;
    `near_orders` are order numbers of the book a digit or two from the label's (a misread?).
    """
    order = waybill_order or label_order
    expected = waybill_order.order_no if waybill_order else None
    reading = read_order_no(label, expected=expected) if label.label_found else None
    if not label.label_found:
        found = [_defect(DefectCode.no_label, "no shipping label found on the carton", None,
                         label.label_confidence)]  # fmt: skip
    elif not _anything_read(label):
        found = [_defect(DefectCode.unreadable, "a label is there but nothing on it could be read",
                         None, label.label_confidence)]  # fmt: skip
    else:
        quality = reading_quality(label)
        found = _order_defects(label, reading, waybill_order, label_order, near_orders)
        found += _field_defects(label, order, quality)
        found += _forbidden_defects(label, _allowed_codes(label, reading, order, label_order))
    if duplicate_of:
        found.append(_defect(DefectCode.duplicate, f"already received on {duplicate_of}", None, 1))
    if order is None and label.waybill_unread:
        # Relabel or hold, and the fee, hang on the consignee: a person reads the waybill.
        found = [_doubted(d, "the waybill's number could not be read") for d in found]
    return Inspection(
        defects=tuple(found),
        verdict=decide(found, consignee_known=order is not None),
        order_no=order.order_no if order else None,
        label_order_no=reading.number if reading else None,
        consignee_known=order is not None,
    )


def decide(defects: Sequence[Defect], *, consignee_known: bool) -> Verdict:
    """No defect: ok; any weak one: a person looks; no consignee: hold; else relabel."""
    if not defects:
        return Verdict.ok
    # Weak evidence goes first: the person may also find the consignee a hold would give up on.
    if any(not d.chargeable for d in defects):
        return Verdict.needs_review
    return Verdict.relabel if consignee_known else Verdict.hold


def _doubted(defect: Defect, why: str) -> Defect:
    return _defect(defect.code, f"{defect.evidence} ({why})", defect.box,
                   min(defect.confidence, DOUBT))  # fmt: skip


def _defect(code: DefectCode, evidence: str, box: Box | None, confidence: float) -> Defect:
    if len(evidence) > _EVIDENCE_MAX:
        evidence = evidence[: _EVIDENCE_MAX - 1] + "…"
    return Defect(code, evidence, box, round(min(max(confidence, 0.0), 1.0), 3))


def _present(field: Field | None) -> Field | None:
    return field if field is not None and field.text.strip() else None


def _fields(label: LabelFacts) -> list[Field]:
    candidates = (label.order_no_text, label.buyer_name, label.address, label.postcode,
                  label.country, label.supplier_block)  # fmt: skip
    return [f for f in candidates if f is not None and f.text.strip()]


def _anything_read(label: LabelFacts) -> bool:
    return bool(
        _fields(label) or label.text_lines or label.order_no_barcodes or label.qr_codes
        or label.barcodes
    )  # fmt: skip


def reading_quality(label: LabelFacts) -> float:
    """How well the label's text was read (median OCR confidence): the weight of an absence."""
    confidences = [line.confidence for line in label.text_lines if line.text.strip()]
    if not confidences:
        confidences = [f.confidence for f in _fields(label)]
    if not confidences:
        return 0.0
    return min(statistics.median(confidences), label.label_confidence)


def _texts(label: LabelFacts) -> list[Field]:
    """Every OCR text of the label: its lines, and the fields that no line already holds."""
    lines = [line for line in label.text_lines if line.text.strip()]
    # A field joined from several lines ("name, street, city") is already there line by line.
    read = _squashed("".join(line.text for line in lines))
    extra = [f for f in _fields(label) if _squashed(f.text) not in read]
    return lines + extra


def _squashed(text: str) -> str:
    return re.sub(r"[\s,]+", "", text)


# --- the order number --------------------------------------------------------------------------

# OCR look-alikes of digits, in a field that holds only digits.
_AS_DIGIT = str.maketrans({"O": "0", "o": "0", "Q": "0", "D": "0", "I": "1", "l": "1", "|": "1",
                           "i": "1", "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2"})  # fmt: skip
_DIGITISH = re.compile(r"[0-9OoQDIl|iSsBZz]+")


def read_order_no(label: LabelFacts, *, expected: str | None = None) -> OrderNoReading | None:
    """The label's order number: a barcode (exact) before the OCR text; None if neither is there."""
    codes = [c.code for c in map(normalise, label.order_no_barcodes) if c.code]
    field = _present(label.order_no_text)
    printed = _digits_of(field.text) if field else None
    if codes:
        number = expected if expected in codes else codes[0]
        box = field.box if field else None
        if printed and printed != number and not _is_part(printed, number):
            # A blurred Code 128 can misread and still pass its checksum; the digits printed
            # under it disagree: which one is right is for a person to see.
            text = f"barcode {number}, printed digits {printed}"
            return OrderNoReading(number, DOUBT, box, "barcode", text)
        return OrderNoReading(number, 1.0, box, "barcode", number)
    if field is None:
        return None
    return OrderNoReading(printed, field.confidence, field.box, "text", field.text)


def _is_part(printed: str, number: str) -> bool:
    """Printed digits cut short by the reader (a line split in two) that agree with the code."""
    return len(printed) < len(number) and printed in number


def _digits_of(text: str) -> str | None:
    """The order number in an OCR text ("Order No: 5764 0000…"), look-alikes read as digits."""
    text = unicodedata.normalize("NFKC", text)
    # Digit groups are printed with spaces or hyphens; join them before looking for the run.
    joined = re.sub(r"(?<=[0-9OoIl|])[\s\-]+(?=[0-9OoIl|])", "", text)
    # A third of real digits tells a misread number ("5764 OOOO…") from a word ("Bills").
    runs = [r for r in _DIGITISH.findall(joined) if sum(ch.isdigit() for ch in r) * 3 >= len(r)]
    if not runs:
        return None
    number = max(runs, key=len).translate(_AS_DIGIT)
    return number if len(number) >= _MIN_ORDER_DIGITS else None


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: how many characters to insert, delete or change."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _order_defects(
    label: LabelFacts,
    reading: OrderNoReading | None,
    waybill_order: OrderFacts | None,
    label_order: OrderFacts | None,
    near_orders: Sequence[str],
) -> list[Defect]:
    if reading is None:
        return [_defect(DefectCode.missing_order_number, "no order number on the label", None,
                        reading_quality(label))]  # fmt: skip
    if reading.number is None:
        evidence = f"the order number field reads {reading.text!r}: no order number in it"
        return [_defect(DefectCode.unreadable, evidence, reading.box, reading.confidence)]
    number = reading.number
    if waybill_order and number == waybill_order.order_no:
        return []
    in_book = label_order is not None and normalise(label_order.order_no).code == number
    if in_book and waybill_order is None:
        return []
    code = DefectCode.order_mismatch if in_book else DefectCode.unknown_order
    candidates = [waybill_order.order_no] if waybill_order else []
    if not in_book:
        candidates += near_orders
    return [_order_defect(code, reading, number, waybill_order, label, candidates)]


def _order_defect(
    code: DefectCode,
    reading: OrderNoReading,
    number: str,
    waybill_order: OrderFacts | None,
    label: LabelFacts,
    candidates: Sequence[str],
) -> Defect:
    if code is DefectCode.order_mismatch and waybill_order:
        waybill = label.waybill_tracking_no or "the waybill"
        evidence = f"label names order {number}; {waybill} is for {waybill_order.order_no}"
    else:
        evidence = f"label order number {number} is not in the order book"
    confidence = reading.confidence
    if reading.source == "barcode" and reading.text != number:
        evidence += f" ({reading.text}: they disagree)"
    near = next((c for c in candidates if edit_distance(number, c) <= NEAR_EDITS), None)
    if reading.source == "text" and near is not None:
        # A misread digit or two of a real number looks just like a wrong number.
        evidence += f" (text {reading.text!r} may be a misread of {near})"
        confidence = min(confidence, DOUBT)
    return _defect(code, evidence, reading.box, confidence)


# --- required fields, buyer and postcode -------------------------------------------------------


def _field_defects(label: LabelFacts, order: OrderFacts | None, quality: float) -> list[Defect]:
    found = _buyer_defects(label, order, quality)
    if _present(label.address) is None:
        found.append(_defect(DefectCode.missing_address, "no buyer address on the label", None,
                             quality))  # fmt: skip
    found += _postcode_defects(label, order, quality)
    if _present(label.supplier_block) is None and not _line_with_name(
        label, order.supplier_name if order else None
    ):
        found.append(_defect(DefectCode.missing_supplier, "no supplier block on the label", None,
                             quality))  # fmt: skip
    return found


def _line_with_name(label: LabelFacts, name: str | None) -> Field | None:
    """The OCR line that holds a name, if the label carries it outside its field."""
    if not name:
        return None
    texts = _texts(label)
    hit = labeltext.contains_name((t.text for t in texts), name, NAME_MATCH)
    return next((t for t in texts if t.text == hit), None)


def _buyer_defects(label: LabelFacts, order: OrderFacts | None, quality: float) -> list[Defect]:
    field = _present(label.buyer_name)
    expected = order.buyer_name if order else None
    if field is None:
        if _line_with_name(label, expected):
            return []
        return [_defect(DefectCode.missing_buyer_name, "no buyer name on the label", None,
                        quality)]  # fmt: skip
    if expected is None:
        return []
    similarity = labeltext.name_similarity(field.text, expected)
    if similarity is not None and similarity >= NAME_MATCH:
        return []
    if _line_with_name(label, expected):
        return []  # the name is on the label; the field took the wrong line
    return [_buyer_mismatch(field, expected, similarity)]


def _buyer_mismatch(field: Field, expected: str, similarity: float | None) -> Defect:
    evidence = f"label buyer {field.text!r}, order buyer {expected!r}"
    confidence = field.confidence
    if similarity is None:
        evidence += ": written in different scripts, not comparable letter by letter"
        confidence = min(confidence, DOUBT)
    else:
        evidence += f" (similarity {similarity:.2f})"
        if similarity >= NAME_MISMATCH:
            confidence = min(confidence, DOUBT)
    return _defect(DefectCode.buyer_mismatch, evidence, field.box, confidence)


def _postcode_defects(label: LabelFacts, order: OrderFacts | None, quality: float) -> list[Defect]:
    country = order.buyer_country if order else postcodes.country_code(_text(label.country))
    if not postcodes.has_postcode(country):
        return []
    if order and _label_holds_postcode(label, order.buyer_postcode, country):
        return []
    field = _present(label.postcode) or _postcode_line(label, country)
    if field is None or not postcodes.looks_like_postcode(field.text):
        shown = f": the postcode field reads {field.text!r}" if field else ""
        confidence = min(quality, field.confidence) if field else quality
        return [_defect(DefectCode.missing_postcode, f"no postal code on the label{shown}",
                        field.box if field else None, confidence)]  # fmt: skip
    code = postcodes.find(field.text, country) or field.text.strip()
    fits = postcodes.fits(code, country)
    printed_country = postcodes.country_code(_text(label.country))
    if order and not fits and printed_country and printed_country != country:
        # The whole address is another country's (another order's label): a sure mismatch when
        # the code fits the country printed with it.
        fits = postcodes.fits(code, printed_country)
    if order:
        evidence = f"label postcode {code!r}, order postcode {order.buyer_postcode!r}"
        if printed_country and printed_country != country:
            evidence += f" (label addressed to {printed_country}, order to {country})"
        elif not fits:
            evidence += f" (and {code!r} is no {country} postal code: maybe misread)"
        confidence = field.confidence if fits else min(field.confidence, DOUBT)
        return [_defect(DefectCode.postcode_mismatch, evidence, field.box, confidence)]
    if fits:
        return []
    evidence = f"{code!r} is not a postal code of {country or 'the destination'}"
    return [_defect(DefectCode.missing_postcode, evidence, field.box, min(field.confidence, DOUBT))]


def _text(field: Field | None) -> str | None:
    return field.text if field else None


def _label_holds_postcode(label: LabelFacts, expected: str, country: str | None) -> bool:
    """Whether the order's postcode is anywhere on the label (its field, the address, a line)."""
    texts = [f.text for f in (label.postcode, label.address) if f] + [t.text for t in _texts(label)]
    field = _present(label.postcode)
    if field and postcodes.same_postcode(field.text, expected, country):
        return True
    return any(
        postcodes.same_postcode(code, expected, country)
        for text in texts
        for code in postcodes.find_all(text, country)
    )


def _postcode_line(label: LabelFacts, country: str | None) -> Field | None:
    """A postal code of the country's format in the address, when no field holds one; without an
    address, in a line that is not the sender's: a number in a Chinese address ("工人北路1088号")
    or the order number is no postcode of the buyer's."""
    address = _present(label.address)
    if address is not None:
        candidates = [address]
    else:
        sender = _text(label.supplier_block) or ""
        order_no = _text(label.order_no_text) or ""
        candidates = [
            line for line in _texts(label)
            if "CJK" not in labeltext.scripts(line.text)
            and line.text not in sender and line.text != order_no
        ]  # fmt: skip
    for field in candidates:
        code = postcodes.find(field.text, country)
        if code:
            return Field(code, field.confidence, field.box)
    return None


# --- forbidden content -------------------------------------------------------------------------


def _allowed_codes(
    label: LabelFacts,
    reading: OrderNoReading | None,
    order: OrderFacts | None,
    label_order: OrderFacts | None,
) -> frozenset[str]:
    """The codes a label may carry: its order's numbers and tracking numbers, normalised."""
    raw: list[str] = [label.waybill_tracking_no or ""]
    if reading and reading.number:
        raw.append(reading.number)
    for known in (order, label_order):
        if known:
            raw += [known.order_no, *known.tracking_nos]
    return frozenset(c.code for c in map(normalise, raw) if c.code)


def _forbidden_defects(label: LabelFacts, allowed: frozenset[str]) -> list[Defect]:
    items: list[Defect] = []
    for qr in label.qr_codes:
        if normalise(qr.text).code not in allowed:
            evidence = f"QR code encodes {qr.text!r}"
            items.append(_defect(DefectCode.forbidden_qr, evidence, qr.box, 1))
    for barcode in label.barcodes:
        for hit in labeltext.find_forbidden(barcode.text, allowed=allowed, numbers_as_phones=False):
            evidence = f"barcode encodes {hit.match!r}"
            items.append(_defect(hit.code, evidence, barcode.box, 1))
    texts = _texts(label)
    chat = labeltext.has_chat_context(t.text for t in texts)
    for line in texts:
        for hit in labeltext.find_forbidden(line.text, allowed=allowed, chat_context=chat):
            confidence = min(line.confidence, DOUBT) if hit.weak else line.confidence
            evidence = f"{hit.match!r} in the line {line.text!r}"
            items.append(_defect(hit.code, evidence, line.box, confidence))
    return _one_per_code(items)


def _one_per_code(items: Iterable[Defect]) -> list[Defect]:
    """One defect per code: its evidence lists every finding, its box is the surest one's."""
    by_code: dict[DefectCode, list[Defect]] = {}
    for item in items:
        by_code.setdefault(item.code, []).append(item)
    merged = []
    for code, group in by_code.items():
        surest = max(group, key=lambda d: d.confidence)
        evidence = "; ".join(dict.fromkeys(d.evidence for d in group))
        merged.append(_defect(code, evidence, surest.box, surest.confidence))
    return merged
