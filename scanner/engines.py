"""The two barcode engines behind one shape: pixels in, Barcodes out (no checking, no passes)."""

from collections.abc import Iterable

import numpy as np
import zxingcpp

from scanner.barcode import Barcode, Format, Point

_ZXING_FORMAT = {
    Format.Code128: zxingcpp.BarcodeFormat.Code128,
    Format.Code39: zxingcpp.BarcodeFormat.Code39,
    Format.Code93: zxingcpp.BarcodeFormat.Code93,
    Format.ITF: zxingcpp.BarcodeFormat.ITF,
    Format.EAN13: zxingcpp.BarcodeFormat.EAN13,
    Format.EAN8: zxingcpp.BarcodeFormat.EAN8,
    Format.UPCA: zxingcpp.BarcodeFormat.UPCA,
    Format.UPCE: zxingcpp.BarcodeFormat.UPCE,
    Format.QRCode: zxingcpp.BarcodeFormat.QRCode,
    Format.DataMatrix: zxingcpp.BarcodeFormat.DataMatrix,
    Format.PDF417: zxingcpp.BarcodeFormat.PDF417,
}
_FROM_ZXING_NAME = {z.name: f for f, z in _ZXING_FORMAT.items()}
_ZBAR_NAME = {
    "CODE128": Format.Code128,
    "CODE39": Format.Code39,
    "CODE93": Format.Code93,
    "I25": Format.ITF,
    "EAN13": Format.EAN13,
    "EAN8": Format.EAN8,
    "UPCA": Format.UPCA,
    "UPCE": Format.UPCE,
    "QRCODE": Format.QRCode,
    "PDF417": Format.PDF417,
}


def zxing_read(
    gray: np.ndarray,
    formats: Iterable[Format],
    *,
    found_by: str,
    try_rotate: bool = True,
    try_invert: bool = False,
    try_downscale: bool = False,
) -> list[Barcode]:
    """zxing-cpp on a grayscale image, restricted to the given formats."""
    found, _ = zxing_scan(
        gray,
        formats,
        found_by=found_by,
        try_rotate=try_rotate,
        try_invert=try_invert,
        try_downscale=try_downscale,
    )
    return found


def zxing_scan(
    gray: np.ndarray,
    formats: Iterable[Format],
    *,
    found_by: str,
    try_rotate: bool = True,
    try_invert: bool = False,
    try_downscale: bool = False,
) -> tuple[list[Barcode], frozenset[Format]]:
    """zxing-cpp's reads, and the formats of symbols it detected but could not decode."""
    wanted = [_ZXING_FORMAT[f] for f in formats]
    if not wanted:
        return [], frozenset()
    results = zxingcpp.read_barcodes(
        gray,
        formats=wanted,  # type: ignore[arg-type]  # a list, as zxing-cpp 3 prefers
        try_rotate=try_rotate,
        try_invert=try_invert,
        try_downscale=try_downscale,
        return_errors=True,  # costs nothing: the failures tell where a second look may pay
    )
    found = []
    unread: set[Format] = set()
    for r in results:
        fmt = _FROM_ZXING_NAME.get(r.format.name)
        if not r.valid:
            # A damaged QR code is sometimes taken for a Micro QR one: count it as QR.
            failed = Format.QRCode if r.format.name == "MicroQRCode" else fmt
            if failed is not None:
                unread.add(failed)
            continue
        if fmt is None:
            continue
        p = r.position
        polygon = tuple(
            (int(q.x), int(q.y)) for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
        )
        found.append(_normalised(fmt, r.text, bytes(r.bytes), polygon, found_by))
    return found, frozenset(unread)


def zbar_read(gray: np.ndarray, formats: Iterable[Format], *, found_by: str) -> list[Barcode]:
    """ZBar (pyzbar) on a grayscale image; it reads no Data Matrix, nor PDF417 in practice."""
    from pyzbar import pyzbar  # needs the libzbar0 system library, loaded on first use only

    wanted = {f for f in formats}
    symbols = [
        getattr(pyzbar.ZBarSymbol, name)
        for name, f in _ZBAR_NAME.items()
        if f in wanted and hasattr(pyzbar.ZBarSymbol, name)
    ]
    if not symbols:
        return []
    found = []
    for r in pyzbar.decode(gray, symbols=symbols):
        fmt = _ZBAR_NAME.get(r.type)
        if fmt is None or fmt not in wanted:
            continue
        polygon = tuple((int(q.x), int(q.y)) for q in r.polygon)
        text = r.data.decode("utf-8", errors="replace")
        found.append(_normalised(fmt, text, bytes(r.data), polygon, found_by))
    return found


def _normalised(
    fmt: Format, text: str, raw: bytes, polygon: tuple[Point, ...], found_by: str
) -> Barcode:
    # Engines report a UPC-A as an EAN-13 with a leading 0, and a UPC-E in its 13-digit
    # expansion: give both the form printed under the bars.
    if fmt == Format.EAN13 and len(text) == 13 and text.startswith("0"):
        fmt, text = Format.UPCA, text[1:]
    elif fmt == Format.UPCE and len(text) in (12, 13):
        text = upca_to_upce(text[-12:]) or text
    return Barcode(fmt, text, raw, polygon, found_by)


def upca_to_upce(upca: str) -> str | None:
    """The 8-digit UPC-E whose expansion is this 12-digit UPC-A, if there is one."""
    if len(upca) != 12 or not upca.isdigit() or upca[0] not in "01":
        return None
    a = upca
    if a[3] in "012" and a[4:8] == "0000":
        body = a[1:3] + a[8:11] + a[3]
    elif a[4:9] == "00000":
        body = a[1:4] + a[9:11] + "3"
    elif a[5:10] == "00000":
        body = a[1:5] + a[10] + "4"
    elif a[6:10] == "0000" and a[10] in "56789":
        body = a[1:6] + a[10]
    else:
        return None
    return a[0] + body + a[11]
