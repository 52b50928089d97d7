"""Scanned codes: normalising what a scanner or a person typed, and recognising its kind (pure)."""

import re
import unicodedata
from dataclasses import dataclass

MAX_CODE_LENGTH = 128
# How much of a hostile or garbled raw code the journal keeps (escaped): one scan cannot bloat it.
MAX_RAW_STORED = 512

# AIM symbology identifiers that scanners may prefix (]C0 Code 128, ]E0 EAN, ]Q1 QR, ]d2 ...).
_AIM_PREFIX = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
# Keyboard-wedge suffixes and prefixes: Enter, Tab, and the STX/ETX framing of some serial scanners.
_WEDGE_CHARS = "\r\n\t\x02\x03"
_SEPARATORS = re.compile(r"[\s\-_]+")
_PLAUSIBLE = re.compile(r"^[A-Z0-9]+$")
_ORDER_NO = re.compile(r"^\d{15,24}$")


@dataclass(frozen=True, slots=True)
class CarrierFormat:
    """A domestic carrier and the shape of its waybill numbers."""

    carrier: str
    pattern: re.Pattern[str]


# Hints only: several carriers share all-digit formats; the registered numbers decide.
CARRIER_FORMATS: tuple[CarrierFormat, ...] = (
    CarrierFormat("SF", re.compile(r"^SF\d{12,13}$")),
    CarrierFormat("JD", re.compile(r"^JD[A-Z0-9]{13,15}$")),
    CarrierFormat("YTO", re.compile(r"^YT\d{13,16}$")),
    CarrierFormat("J&T", re.compile(r"^JT\d{13}$")),
    CarrierFormat("Deppon", re.compile(r"^DPK\d{12,13}$")),
    CarrierFormat("EMS", re.compile(r"^[A-Z]{2}\d{9}CN$")),
    CarrierFormat("ZTO", re.compile(r"^(7[3-9]|6[2-8]|5[0-9])\d{10}$|^7[35]\d{12}$")),
    CarrierFormat("STO", re.compile(r"^(77|88|66|55|33)\d{11}$")),
    CarrierFormat("Yunda", re.compile(r"^(31|43|46|33|10|12)\d{11}$|^(43|46)\d{13}$")),
    CarrierFormat("EMS", re.compile(r"^(1[0-9]|9[0-9])\d{11}$")),
)


@dataclass(frozen=True, slots=True)
class ScannedCode:
    """A scan as it was read, and what remains of it after normalising."""

    raw: str
    code: str | None  # None when the scan is not a plausible code
    problem: str | None  # why it is not plausible, for the operator
    carrier_hint: str | None
    looks_like_order_no: bool

    @property
    def raw_for_journal(self) -> str:
        """The raw scan, control characters escaped and length capped: safe to store and show."""
        return escape_raw(self.raw)


def escape_raw(raw: str) -> str:
    """Control characters as \\xNN (PostgreSQL refuses NUL), at most MAX_RAW_STORED characters."""
    pieces = [
        ch if ch.isprintable() or ch == " " else f"\\x{ord(ch):02x}" for ch in raw[:MAX_RAW_STORED]
    ]
    if len(raw) <= MAX_RAW_STORED and sum(map(len, pieces)) <= MAX_RAW_STORED:
        return "".join(pieces)
    # Keep whole escapes only, and count what is left out in characters of the raw scan.
    kept = size = 0
    for piece in pieces:
        if size + len(piece) > MAX_RAW_STORED - 24:
            break
        size += len(piece)
        kept += 1
    return "".join(pieces[:kept]) + f"…(+{len(raw) - kept} chars)"


def normalise(raw: str) -> ScannedCode:
    """Strip scanner framing, unify width and case, drop separators; say why when it is no code."""
    text = unicodedata.normalize("NFKC", raw).strip(" " + _WEDGE_CHARS)
    text = _AIM_PREFIX.sub("", text)
    if not text.strip():
        return _invalid(raw, "empty code")
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        return _invalid(raw, "the code contains control characters")
    if len(text) > MAX_CODE_LENGTH:
        return _invalid(raw, f"the code is {len(text)} characters long, over {MAX_CODE_LENGTH}")
    code = _SEPARATORS.sub("", text).upper()
    if not _PLAUSIBLE.match(code):
        return _invalid(raw, "not a parcel code: only letters and digits are expected")
    return ScannedCode(
        raw=raw,
        code=code,
        problem=None,
        carrier_hint=carrier_hint(code),
        looks_like_order_no=bool(_ORDER_NO.match(code)),
    )


def _invalid(raw: str, problem: str) -> ScannedCode:
    return ScannedCode(
        raw=raw, code=None, problem=problem, carrier_hint=None, looks_like_order_no=False
    )


def carrier_hint(code: str) -> str | None:
    """The first carrier whose waybill format the code fits, if any."""
    for fmt in CARRIER_FORMATS:
        if fmt.pattern.match(code):
            return fmt.carrier
    return None


# Letter prefixes that only a carrier's waybill carries: a read starting so must fit that format.
_CARRIER_PREFIX = re.compile(r"^(SF|YT|JT|JD|DPK)\d")


def misread_reason(text: str) -> str | None:
    """Why a barcode's text cannot be a real waybill it looks like (a misread), or None."""
    code = text.strip().upper()
    prefix = _CARRIER_PREFIX.match(code)
    if prefix and carrier_hint(code) is None:
        return f"starts like a {prefix.group(1)} waybill but does not fit the carrier's format"
    return None
