"""Replacement shipping labels on paper: LabelContent drawn as 100×150 mm PDF pages or ZPL.

One layout (boxes in millimetres from the label's top-left corner) serves both outputs. Every text
is wrapped and shrunk to fit its box, so no address, however long, leaves its block or the label.
"""

import functools
import io
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from reportlab.graphics.barcode.code128 import Code128
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from intake.relabel import LabelContent, MissingSystemFile

MM = 72 / 25.4  # points per millimetre
PAGE_W, PAGE_H = 100.0, 150.0  # mm
LEADING = 1.2  # line height / font size
ELLIPSIS = "…"

# Debian's paths: fonts-dejavu-core (Latin, Vietnamese, Cyrillic, Greek) and fonts-droid-fallback
# (Chinese, Japanese, Korean). Each run of characters is set in the first font that has them.
FONTS: dict[str, tuple[Path, str]] = {
    "IntakeSans": (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"), "fonts-dejavu-core"),
    "IntakeSans-Bold": (
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
        "fonts-dejavu-core",
    ),
    "IntakeCJK": (
        Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
        "fonts-droid-fallback",
    ),
}

# ZPL: 4×6 in stock at 203 dpi. Texts outside ISO 8859-1 (Chinese, Vietnamese) need a Unicode
# TrueType font on the printer, selected as font J; the rest prints in the resident font 0.
ZPL_DPI = 203
ZPL_WIDTH, ZPL_HEIGHT = 812, 1218  # dots
ZPL_UNICODE_FONT = "E:ANMDS.TTF"
ZPL_BARCODE_MAX_MODULE = 4  # dots

Measure = Callable[[str, float, bool], float]  # text, size in pt, bold -> width in pt


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in millimetres from the label's top-left corner."""

    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True, slots=True)
class TextBlock:
    """A text in its box, between a largest and a smallest size in points."""

    box: Box
    text: str
    max_pt: float
    min_pt: float
    bold: bool = False
    align: Literal["left", "center"] = "left"
    max_lines: int = 99
    reverse: bool = False  # white on a black box


@dataclass(frozen=True, slots=True)
class Layout:
    """Where everything goes on one label."""

    texts: list[TextBlock]
    rules: list[float]  # horizontal lines across the frame, y in mm
    barcode: Box
    frame: Box


X, W = 5.0, 90.0  # the text column inside the frame


def layout(label: LabelContent) -> Layout:
    """The label's blocks: header, barcode and digits, SHIP TO, FROM, package count."""
    texts = [
        TextBlock(Box(X, 4.5, W, 8.5), label.header, 11, 6, bold=True, align="center"),
        TextBlock(Box(X, 38.5, W, 9), label.order_no, 22, 8, True, "center", max_lines=1),
        TextBlock(Box(X, 49.5, 40, 4), "SHIP TO", 8, 6, bold=True),
        TextBlock(Box(X, 54.5, W, 11), label.buyer_name, 16, 5, bold=True),
        TextBlock(Box(X, 66, W, 26), label.buyer_address, 12, 4),
        TextBlock(Box(X, 92.5, W, 9), label.buyer_postcode, 22, 8, bold=True, max_lines=1),
        TextBlock(Box(X, 102, W, 10), label.country_name, 18, 6, bold=True),
        TextBlock(Box(X, 113.5, 40, 4), "FROM", 8, 6, bold=True),
        TextBlock(Box(X, 118, W, 9), label.supplier_name, 11, 5, bold=True),
        TextBlock(Box(X, 127.5, W, 18), label.supplier_address, 10, 4),
    ]
    if label.package_line:
        pkg = Box(68, 48.8, 27, 5.6)
        texts.append(TextBlock(pkg, label.package_line, 13, 6, True, "center", 1, reverse=True))
    return Layout(texts, [13.5, 48, 112.5], Box(X, 15.5, W, 22), Box(3, 3, 94, 144))


# --- fitting text ------------------------------------------------------------------------------


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _tokens(text: str) -> list[str]:
    """Words, single spaces, and each wide (CJK) character alone: where a line may break."""
    tokens, word = [], ""
    for ch in text:
        if ch.isspace() or _wide(ch):
            if word:
                tokens.append(word)
                word = ""
            tokens.append(" " if ch.isspace() else ch)
        else:
            word += ch
    return [*tokens, word] if word else tokens


def wrap(text: str, width: float, size: float, bold: bool, measure: Measure) -> list[str]:
    """Greedy line breaking at spaces and between CJK characters; long words broken anywhere."""
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        if token == " " or measure(line + token, size, bold) <= width:
            line = line + token if line or token != " " else line
            continue
        if line.strip():
            lines.append(line.rstrip())
        while measure(token, size, bold) > width and len(token) > 1:
            cut = max(
                (n for n in range(1, len(token)) if measure(token[:n], size, bold) <= width),
                default=1,
            )
            lines.append(token[:cut])
            token = token[cut:]
        line = token
    if line.strip():
        lines.append(line.rstrip())
    return lines


def fit(block: TextBlock, measure: Measure) -> tuple[float, list[str]]:
    """The largest size at which the text fits its box, and its lines; cut with … at the least."""
    width, height = block.box.w * MM, block.box.h * MM
    size = block.max_pt
    while True:
        lines = wrap(block.text, width, size, block.bold, measure)
        room = min(block.max_lines, int(height / (size * LEADING) + 1e-9))
        if len(lines) <= room:
            return size, lines
        if size - 0.5 < block.min_pt:
            break
        size -= 0.5
    # Only for texts far longer than the order book allows: never overflow, mark the cut.
    lines = lines[: max(room, 1)]
    last = lines[-1]
    while last and measure(last + ELLIPSIS, size, block.bold) > width:
        last = last[:-1]
    return size, [*lines[:-1], last.rstrip() + ELLIPSIS]


# --- PDF ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Fonts:
    latin: frozenset[int]
    cjk: frozenset[int]


@functools.cache
def register_fonts() -> _Fonts:
    """Register the TrueType fonts once; a missing file is the user's to fix."""
    for name, (path, package) in FONTS.items():
        if not path.is_file():
            raise MissingSystemFile(
                f"font {path} is missing: run scripts/setup.sh (Debian package {package})"
            )
        pdfmetrics.registerFont(TTFont(name, str(path)))
    latin = pdfmetrics.getFont("IntakeSans").face.charToGlyph
    cjk = pdfmetrics.getFont("IntakeCJK").face.charToGlyph
    return _Fonts(frozenset(latin), frozenset(cjk))


def font_runs(text: str, bold: bool) -> list[tuple[str, str, bool]]:
    """(text, font, fake bold) runs: each character in the first font that has its glyph."""
    fonts = register_fonts()
    latin = "IntakeSans-Bold" if bold else "IntakeSans"
    runs: list[tuple[str, str, bool]] = []
    for ch in text:
        code = ord(ch)
        cjk = code not in fonts.latin and code in fonts.cjk
        font = "IntakeCJK" if cjk else latin
        if runs and (runs[-1][1] == font or ch == " "):
            runs[-1] = (runs[-1][0] + ch, runs[-1][1], runs[-1][2])
        else:
            runs.append((ch, font, cjk and bold))  # the CJK font has no bold: stroke it
    return runs


def pdf_width(text: str, size: float, bold: bool) -> float:
    """The printed width of a text in points, run by run."""
    return sum(float(pdfmetrics.stringWidth(r, font, size)) for r, font, _ in font_runs(text, bold))


def render_pdf(labels: Sequence[LabelContent]) -> bytes:
    """One 100×150 mm page per label."""
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_W * MM, PAGE_H * MM), invariant=True)
    canvas.setProducer("intake relabel")
    canvas.setCreator("intake relabel")
    if labels:
        canvas.setTitle(f"Shipping label, order {labels[0].order_no}")
    for label in labels:
        _draw_page(canvas, label)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_page(canvas: Canvas, label: LabelContent) -> None:
    plan = layout(label)
    frame = plan.frame
    canvas.setLineWidth(0.8)
    canvas.rect(frame.x * MM, _y(frame.y + frame.h), frame.w * MM, frame.h * MM)
    for y in plan.rules:
        canvas.line(frame.x * MM, _y(y), (frame.x + frame.w) * MM, _y(y))
    _draw_barcode(canvas, label.order_no, plan.barcode)
    for block in plan.texts:
        _draw_text(canvas, block)


def _y(mm_from_top: float) -> float:
    return (PAGE_H - mm_from_top) * MM


def _draw_barcode(canvas: Canvas, value: str, box: Box) -> None:
    """Code 128 across the box, its quiet zones (10 modules each side) kept inside the box."""
    modules = Code128(value, barWidth=1, quiet=0, humanReadable=0).width
    module = min(box.w * MM / (modules + 20), 0.6 * MM)
    symbol = Code128(value, barWidth=module, barHeight=box.h * MM, quiet=0, humanReadable=0)
    symbol.drawOn(canvas, box.x * MM + (box.w * MM - symbol.width) / 2, _y(box.y + box.h))


def _draw_text(canvas: Canvas, block: TextBlock) -> None:
    size, lines = fit(block, pdf_width)
    box = block.box
    if block.reverse:
        canvas.rect(box.x * MM, _y(box.y + box.h), box.w * MM, box.h * MM, stroke=0, fill=1)
        canvas.setFillGray(1)
        canvas.setStrokeGray(1)
    top = _y(box.y) - (box.h * MM - len(lines) * size * LEADING) / 2 if block.reverse else _y(box.y)
    for n, line in enumerate(lines):
        x = box.x * MM
        if block.align == "center":
            x += (box.w * MM - pdf_width(line, size, block.bold)) / 2
        text = canvas.beginText(x, top - size * (n * LEADING + 0.96))
        canvas.setLineWidth(size * 0.04)
        for run, font, fake_bold in font_runs(line, block.bold):
            text.setFont(font, size)
            text.setTextRenderMode(2 if fake_bold else 0)
            text.textOut(run)
        canvas.drawText(text)
    canvas.setFillGray(0)
    canvas.setStrokeGray(0)


# --- ZPL ---------------------------------------------------------------------------------------

_DOTS_PER_MM = ZPL_WIDTH / PAGE_W  # 8.12: the 100×150 mm layout on 4×6 in stock
_DOTS_PER_PT = ZPL_DPI / 72


def zpl_width(text: str, size: float, bold: bool) -> float:
    """A generous estimate of a text's width in points on the printer's fonts (no metrics)."""
    em = 0.0
    for ch in text:
        em += 1.0 if _wide(ch) else 0.9 if ch in "MWmw@%" else 0.62
    return em * size


def render_zpl(labels: Sequence[LabelContent]) -> str:
    """One ^XA...^XZ label per carton, UTF-8 (^CI28), 812×1218 dots."""
    return "".join(_zpl_label(label) for label in labels)


def _zpl_label(label: LabelContent) -> str:
    plan = layout(label)
    out = ["^XA", "^CI28", f"^PW{ZPL_WIDTH}", f"^LL{ZPL_HEIGHT}", "^LH0,0"]
    out.append(f"^CWJ,{ZPL_UNICODE_FONT}")
    frame = plan.frame
    out.append(f"^FO{_d(frame.x)},{_d(frame.y)}^GB{_d(frame.w)},{_d(frame.h)},3^FS")
    out += [f"^FO{_d(frame.x)},{_d(y)}^GB{_d(frame.w)},3,3^FS" for y in plan.rules]
    out.append(_zpl_barcode(label.order_no, plan.barcode))
    out += [_zpl_text(block) for block in plan.texts]
    out += ["^PQ1", "^XZ"]
    return "\n".join(out) + "\n"


def _d(mm: float) -> int:
    return round(mm * _DOTS_PER_MM)


def code128_modules(digits: str) -> int:
    """Modules of a Code 128 symbol of digits in subset C (an odd last digit in subset B)."""
    symbols = len(digits) // 2 + 2 * (len(digits) % 2) + 2  # + start + check (+ switch, digit)
    return symbols * 11 + 13  # the stop pattern is 13 modules


def _zpl_barcode(digits: str, box: Box) -> str:
    modules = code128_modules(digits)
    module = max(1, min(ZPL_BARCODE_MAX_MODULE, _d(box.w) // (modules + 20)))
    x = _d(box.x) + (_d(box.w) - modules * module) // 2
    # >; starts subset C (two digits a symbol); >6 switches to subset B for an odd last digit.
    data = f">;{digits}" if len(digits) % 2 == 0 else f">;{digits[:-1]}>6{digits[-1]}"
    height = _d(box.h)
    return f"^FO{x},{_d(box.y)}^BY{module},3,{height}^BCN,{height},N,N,N,N^FD{data}^FS"


def _zpl_text(block: TextBlock) -> str:
    size, lines = fit(block, zpl_width)
    height = max(10, round(size * _DOTS_PER_PT))
    font = "0" if all(ord(ch) < 256 for ch in block.text) else "J"
    box, width = block.box, _d(block.box.w)
    field, reverse = "", ""
    if block.reverse:  # a black box, then the text reversed out of it
        field, reverse = f"^FO{_d(box.x)},{_d(box.y)}^GB{width},{_d(box.h)},{_d(box.h)}^FS\n", "^FR"
    top = _d(box.y)
    if block.reverse:  # centred in its black box
        top += (_d(box.h) - round(len(lines) * height * LEADING)) // 2
    justify = "C" if block.align == "center" else "L"
    spacing = round(height * (LEADING - 1))
    data = "\\&".join(_zpl_escape(line) for line in lines)
    return (
        f"{field}^FO{_d(box.x)},{top}{reverse}^A{font}N,{height},{height}"
        f"^FB{width},{max(len(lines), 1)},{spacing},{justify},0^FH_^FD{data}^FS"
    )


def _zpl_escape(text: str) -> str:
    """Field data with ZPL's control characters as ^FH hex (_5E) and ^FB's backslash doubled."""
    text = text.replace("_", "_5F").replace("^", "_5E").replace("~", "_7E")
    return text.replace("\\", "\\\\")
