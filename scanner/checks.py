"""Symbology-level checks that keep a misread from being reported (pure)."""

from scanner.barcode import Barcode, Format

# Shortest text a real parcel or product code of each linear symbology carries: shorter reads are
# fragments (ZBar finds 4-digit ITF in EAN bars).
_MIN_LENGTH = {Format.Code128: 4, Format.Code39: 4, Format.Code93: 4, Format.ITF: 6}
_GTIN_LENGTH = {Format.EAN13: 13, Format.EAN8: 8, Format.UPCA: 12}


def gtin_check_digit_ok(digits: str) -> bool:
    """The GS1 mod-10 check digit of an EAN/UPC/ITF-14 number."""
    if not digits.isdigit() or len(digits) < 2:
        return False
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def upce_to_upca(upce: str) -> str | None:
    """The 12-digit UPC-A a UPC-E stands for."""
    if len(upce) != 8 or not upce.isdigit():
        return None
    s, d, c = upce[0], upce[1:7], upce[7]
    last = d[5]
    if last in "012":
        body = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + last
    return s + body + c


def implausible(barcode: Barcode) -> str | None:
    """Why this read cannot be right, or None when it passes the symbology's own rules."""
    text, fmt = barcode.text, barcode.format
    if not text or not text.isprintable():
        return "empty or unprintable text"
    if fmt in _GTIN_LENGTH:
        if len(text) != _GTIN_LENGTH[fmt] or not gtin_check_digit_ok(text):
            return "bad check digit or length"
    elif fmt == Format.UPCE:
        expanded = upce_to_upca(text)
        if expanded is None or not gtin_check_digit_ok(expanded):
            return "bad UPC-E check digit"
    elif fmt in _MIN_LENGTH and len(text) < _MIN_LENGTH[fmt]:
        return f"{len(text)} characters: a fragment"
    if fmt == Format.ITF and (len(text) % 2 or not text.isdigit()):
        return "ITF carries an even number of digits"
    if fmt == Format.ITF and len(text) == 14 and not gtin_check_digit_ok(text):
        return "bad ITF-14 check digit"
    return None
