"""Which printed document on a carton is the shipping label, which the waybill, and the label's
fields (pure: text in, facts out).

The scanner groups what it read into documents (scanner/documents.py); here each document is
recognised by its words. The platform's shipping label has fixed captions ("Order No. 订单号",
"SHIP TO 收件人", "FROM 发货方") and a header; the domestic waybill carries the carrier's name and
tracking barcode, the sorting captions (集包地, 签收人) and masked phone numbers. A label split in
two by a smear is still one label: every document that reads as label is merged.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from intake import labeltext, postcodes
from intake.codes import carrier_hint, normalise
from intake.labelrules import Box, CodeSeen, Field, LabelFacts

_SQUASH = re.compile(r"[\s.:：,，_\-]+")
_HEADER = ("SHIPPINGLABEL", "跨境物流面单", "TIKTOKSHOP")
_ORDER_CAPTION = ("ORDERNO", "订单号")
_SHIP_TO = ("SHIPTO", "收件人")
_FROM = ("FROM", "发货方")
_CARRIERS = (
    "圆通", "韵达", "中通", "申通", "顺丰", "京东", "极兔", "邮政", "德邦", "百世",
    "YTO", "YUNDA", "ZTO", "STO", "J&T", "SFEXPRESS", "EMS", "JDLOGISTICS",
)  # fmt: skip
_WAYBILL_CAPTIONS = ("集包地", "签收人", "收货组", "寄件")
# Scores from which a document is surely a label (or a waybill): two landmarks.
_BOTH = 4
_MASKED_PHONE = re.compile(r"\d{3}[*＊]{2,}\d{3,4}")
# An order-number line: digits (and their OCR look-alikes) in groups, 12 or more in all.
_NUMBER_LINE = re.compile(r"^[0-9OoQDIl|SB\s\-]{12,}$")
_COUNTRY_CODE_LINE = re.compile(r"^[A-Z]{2}$")
_PACKAGE_LINE = re.compile(r"^(PKG|PACKAGE|件)\s*\d+\s*/\s*\d+$", re.IGNORECASE)
# A line that gives the postal code with a caption instead of an address ("ZIP: 62704").
_POSTCODE_CAPTION = re.compile(
    r"^(ZIP(\s*CODE)?|POST\s*CODE|POSTCODE|POSTAL\s*CODE|PIN\s*CODE|邮编)\s*[:：]?", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class PrintedDocument:
    """One piece of paper as the scanner read it: lines in reading order, and its codes."""

    lines: tuple[Field, ...]
    barcodes: tuple[CodeSeen, ...] = ()  # 1D
    qr_codes: tuple[CodeSeen, ...] = ()  # 2D
    box: Box | None = None


@dataclass(frozen=True, slots=True)
class WaybillFacts:
    """The domestic waybill: its tracking number (from the barcode, else the printed digits)."""

    found: bool
    tracking_no: str | None = None
    carrier: str | None = None
    source: str | None = None  # "barcode" or "text"
    box: Box | None = None
    masked_phones: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly."""
        return {
            "found": self.found,
            "tracking_no": self.tracking_no,
            "carrier": self.carrier,
            "source": self.source,
            "box": list(self.box) if self.box else None,
            "masked_phones": list(self.masked_phones),  # read, and never a defect
        }


@dataclass(frozen=True, slots=True)
class CartonFacts:
    """The label and the waybill of one carton photo."""

    label: LabelFacts
    waybill: WaybillFacts


def _squash(text: str) -> str:
    return _SQUASH.sub("", text).upper()


def _has(text: str, words: Sequence[str]) -> bool:
    squashed = _squash(text)
    return any(word in squashed for word in words)


def label_score(document: PrintedDocument) -> int:
    """How much of the platform label's make-up the document shows."""
    score = 0
    texts = [line.text for line in document.lines]
    for words in (_HEADER, _ORDER_CAPTION, _SHIP_TO, _FROM):
        if any(_has(text, words) for text in texts):
            score += 2
    if any(normalise(code.text).looks_like_order_no for code in document.barcodes):
        score += 2
    return score


def waybill_score(document: PrintedDocument) -> int:
    """How much of a domestic waybill's make-up the document shows."""
    score = 0
    texts = [line.text for line in document.lines]
    if any(_tracking(code.text) for code in document.barcodes):
        score += 3
    if any(_has(text, _CARRIERS) for text in texts):
        score += 2
    score += sum(1 for text in texts if _has(text, _WAYBILL_CAPTIONS))
    score += sum(1 for text in texts if _MASKED_PHONE.search(text))
    return score


def split_merged(document: PrintedDocument) -> list[PrintedDocument]:
    """A label stuck against the waybill (no carton board between them) reads as one document
    that is both: each line and code goes to the side whose landmarks are nearest to it."""
    if label_score(document) < _BOTH or waybill_score(document) < _BOTH:
        return [document]
    label_marks = [_centre(line.box) for line in document.lines if _is_caption(line)]
    label_marks += [
        _centre(c.box) for c in document.barcodes if normalise(c.text).looks_like_order_no
    ]
    waybill_marks = [_centre(line.box) for line in document.lines if _waybill_mark(line.text)]
    waybill_marks += [_centre(c.box) for c in document.barcodes if _tracking(c.text)]
    marks = [m for m in label_marks + waybill_marks if m is not None]
    if len(marks) < len(label_marks) + len(waybill_marks) or not label_marks or not waybill_marks:
        return [document]  # no boxes to tell them apart by

    def on_label(box: Box | None) -> bool:
        centre = _centre(box)
        if centre is None:
            return True
        return _nearest(centre, label_marks) <= _nearest(centre, waybill_marks)

    parts = []
    for side in (True, False):
        parts.append(PrintedDocument(
            lines=tuple(line for line in document.lines if on_label(line.box) is side),
            barcodes=tuple(c for c in document.barcodes if on_label(c.box) is side),
            qr_codes=tuple(c for c in document.qr_codes if on_label(c.box) is side),
            box=document.box,
        ))  # fmt: skip
    return parts


def _waybill_mark(text: str) -> bool:
    return bool(
        _has(text, _CARRIERS) or _has(text, _WAYBILL_CAPTIONS) or _MASKED_PHONE.search(text)
        or _tracking(text)
    )  # fmt: skip


def _centre(box: Box | None) -> tuple[float, float] | None:
    return (box[0] + box[2] / 2, box[1] + box[3] / 2) if box else None


def _nearest(point: tuple[float, float], marks: Sequence[tuple[float, float] | None]) -> float:
    return min((point[0] - m[0]) ** 2 + (point[1] - m[1]) ** 2 for m in marks if m is not None)


def _tracking(text: str) -> str | None:
    """The text as a tracking number when it fits a carrier's format and is no order number."""
    scanned = normalise(text)
    if scanned.code and scanned.carrier_hint and not scanned.looks_like_order_no:
        return scanned.code
    return None


def carton_facts(
    documents: Sequence[PrintedDocument], *, label_confidence: float = 1.0
) -> CartonFacts:
    """Tell the label from the waybill and read the label's fields."""
    labels: list[PrintedDocument] = []
    waybills: list[tuple[int, PrintedDocument]] = []
    for document in (part for whole in documents for part in split_merged(whole)):
        as_label, as_waybill = label_score(document), waybill_score(document)
        if as_label >= 2 and as_label > as_waybill:
            labels.append(document)
        elif as_waybill >= 2:
            waybills.append((as_waybill, document))
    waybill = _waybill([d for _, d in sorted(waybills, key=lambda sd: -sd[0])])
    if not labels:
        facts = LabelFacts(
            label_found=False,
            waybill_tracking_no=waybill.tracking_no,
            waybill_unread=waybill.found and not waybill.tracking_no,
            label_confidence=label_confidence,
        )
        return CartonFacts(facts, waybill)
    return CartonFacts(_label(labels, waybill, label_confidence), waybill)


def _waybill(documents: Sequence[PrintedDocument]) -> WaybillFacts:
    if not documents:
        return WaybillFacts(found=False)
    for document in documents:
        for code in document.barcodes:
            number = _tracking(code.text)
            if number:
                return WaybillFacts(True, number, carrier_hint(number), "barcode", document.box,
                                    _masked(document))  # fmt: skip
    for document in documents:
        for line in document.lines:
            number = _tracking(line.text)
            if number and line.confidence >= 0.9:
                return WaybillFacts(True, number, carrier_hint(number), "text", document.box,
                                    _masked(document))  # fmt: skip
    return WaybillFacts(True, None, None, None, documents[0].box, _masked(documents[0]))


def _masked(document: PrintedDocument) -> tuple[str, ...]:
    return tuple(m.group(0) for line in document.lines for m in _MASKED_PHONE.finditer(line.text))


def _label(
    documents: Sequence[PrintedDocument], waybill: WaybillFacts, confidence: float
) -> LabelFacts:
    lines = [line for document in documents for line in document.lines]
    barcodes = [code for document in documents for code in document.barcodes]
    qr_codes = [code for document in documents for code in document.qr_codes]
    order_caption = _first(lines, _ORDER_CAPTION)
    ship_to = _first(lines, _SHIP_TO)
    sender = _first(lines, _FROM)
    number = _order_number_line(lines, after=order_caption, before=ship_to)
    # A caption the reader missed (small print on a phone photo): the block starts after the
    # order number instead.
    buyer_start = ship_to if ship_to is not None else _index(lines, number)
    buyer = _buyer_block(lines, buyer_start, sender, number)
    if sender is not None:
        supplier = [line for line in _block_after(lines, sender, stop=ship_to)
                    if not labeltext.find_forbidden(line.text)]  # fmt: skip
    else:
        supplier = _uncaptioned_supplier(lines, buyer)
    order_no_text = number or (lines[order_caption] if order_caption is not None else None)
    return LabelFacts(
        label_found=True,
        order_no_text=order_no_text,
        order_no_barcodes=[c.text for c in barcodes if normalise(c.text).looks_like_order_no],
        buyer_name=buyer.name,
        address=buyer.address,
        postcode=buyer.postcode,
        country=buyer.country,
        supplier_block=_joined(supplier),
        qr_codes=qr_codes,
        barcodes=barcodes,
        text_lines=lines,
        waybill_tracking_no=waybill.tracking_no,
        waybill_unread=waybill.found and not waybill.tracking_no,
        label_confidence=confidence,
    )


def _index(lines: Sequence[Field], line: Field | None) -> int | None:
    return next((i for i, other in enumerate(lines) if other is line), None) if line else None


def _uncaptioned_supplier(lines: Sequence[Field], buyer: "_Buyer") -> list[Field]:
    """Without its FROM caption, the supplier block is what follows the destination country, less
    any link or contact (those are never a supplier's name or address)."""
    after = _index(lines, buyer.country)
    if after is None:
        return []
    return [
        line
        for line in lines[after + 1 :]
        if not _is_stray(line) and not _is_caption(line) and not labeltext.find_forbidden(line.text)
    ]


def _first(lines: Sequence[Field], words: Sequence[str]) -> int | None:
    return next((i for i, line in enumerate(lines) if _has(line.text, words)), None)


def _is_caption(line: Field) -> bool:
    return any(_has(line.text, words) for words in (_HEADER, _ORDER_CAPTION, _SHIP_TO, _FROM))


def _is_block_caption(line: Field) -> bool:
    """A caption that starts a block: the order number, the buyer, the sender."""
    return any(_has(line.text, words) for words in (_ORDER_CAPTION, _SHIP_TO, _FROM))


def _is_stray(line: Field) -> bool:
    """Short marks printed apart from the blocks: the destination code "SG", "PKG 1/2"."""
    text = line.text.strip()
    return bool(_COUNTRY_CODE_LINE.match(text) or _PACKAGE_LINE.match(text))


def _order_number_line(
    lines: Sequence[Field], *, after: int | None, before: int | None
) -> Field | None:
    """The printed order number: a long run of digits, under its caption when there is one."""
    candidates = [i for i, line in enumerate(lines) if _NUMBER_LINE.match(line.text.strip())
                  and sum(ch.isdigit() for ch in line.text) >= 12]  # fmt: skip
    if not candidates:
        return None
    if after is not None:
        below = [i for i in candidates if i > after and (before is None or i < before)]
        candidates = below or candidates
    return lines[candidates[0]]


@dataclass(frozen=True, slots=True)
class _Buyer:
    name: Field | None = None
    address: Field | None = None
    postcode: Field | None = None
    country: Field | None = None


def _block_after(lines: Sequence[Field], start: int, *, stop: int | None) -> list[Field]:
    """The lines after a caption up to the next caption (or `stop`), strays left out."""
    block = []
    for i in range(start + 1, len(lines)):
        if i == stop or _is_block_caption(lines[i]):
            break
        if not _is_stray(lines[i]) and not _has(lines[i].text, _HEADER):
            block.append(lines[i])
    return block


def _buyer_block(
    lines: Sequence[Field], ship_to: int | None, sender: int | None, number: Field | None
) -> _Buyer:
    if ship_to is None:
        return _Buyer()
    block = [line for line in _block_after(lines, ship_to, stop=sender) if line is not number]
    country_at = max((i for i, line in enumerate(block) if postcodes.country_code(line.text)),
                     default=None)  # fmt: skip
    country = block[country_at] if country_at is not None else None
    rest = block[:country_at] if country_at is not None else block
    country_iso = postcodes.country_code(country.text) if country else None
    name = None
    if (
        rest
        and not any(ch.isdigit() for ch in rest[0].text)
        and not _POSTCODE_CAPTION.match(rest[0].text)
    ):
        name, rest = rest[0], rest[1:]
    captioned = [line for line in rest if _POSTCODE_CAPTION.match(line.text.strip())]
    address_lines = [line for line in rest if line not in captioned]
    postcode = None
    for line in address_lines + captioned:
        found = postcodes.find(_POSTCODE_CAPTION.sub("", line.text.strip()), country_iso)
        if found:
            postcode = Field(found, line.confidence, line.box)
    return _Buyer(name, _joined(address_lines), postcode, country)


def _joined(lines: Sequence[Field]) -> Field | None:
    """Several lines as one field: the text joined, the lowest confidence, the box around all."""
    if not lines:
        return None
    boxes = [line.box for line in lines if line.box]
    box = None
    if boxes:
        x0 = min(b[0] for b in boxes)
        y0 = min(b[1] for b in boxes)
        x1 = max(b[0] + b[2] for b in boxes)
        y1 = max(b[1] + b[3] for b in boxes)
        box = (x0, y0, x1 - x0, y1 - y0)
    return Field(
        ", ".join(line.text for line in lines), min(line.confidence for line in lines), box
    )
