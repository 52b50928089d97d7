"""The daily mislabel report and the SLA evidence report as A4 landscape PDF (ReportLab).

The content is the HTML's (same figures, same wording, formatted by the same helpers); the PDF is
what billing attaches to a supplier's invoice. Text is set in the embedded DejaVu and Droid fonts
of the replacement labels, each run of characters in the font that has its glyphs, so that Chinese
supplier names print. Rows are gathered into tables before the layout: acceptable for a PDF, whose
pages are laid out whole anyway.
"""

import html
import io
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from reportlab.graphics.shapes import Circle, Drawing, Group, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    NextPageTemplate,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from api.labelprint import (  # font registration shared with the labels
    font_runs,
    pdf_width,
    register_fonts,
)
from api.reporthtml import (
    NONE,
    PALETTE,
    PHOTO_ID_CHARS,
    action_amounts,
    amount_text,
    amounts_text,
    axis_step,
    axis_ticks,
    colour_index,
    count_text,
    defect_codes,
    delay_cells,
    fee_actions,
    late_cells,
    local_time,
    never_cells,
    rate_text,
    report_supplier,
    supplier_label,
    trend_percent,
    trend_runs,
)
from intake.reports import (
    CarrierDelay,
    LateReadyToShip,
    MislabelLine,
    MislabelReport,
    NeverReceived,
    SlaReport,
    SupplierSummary,
    TrendPoint,
)

PAGE = landscape(A4)
MARGIN = 12 * mm
WIDTH = PAGE[0] - 2 * MARGIN
SANS, BOLD = "IntakeSans", "IntakeSans-Bold"
INK = colors.HexColor("#1d2329")
MUTED = colors.HexColor("#4a5560")
HEAD_BG = colors.HexColor("#37546b")
RULE = colors.HexColor("#d9dee3")
ZEBRA = colors.HexColor("#f6f8fa")
GROUP_BG = colors.HexColor("#dfe7ee")
TOTAL_BG = colors.HexColor("#e8edf2")
GAP = colors.HexColor("#e4e7ea")
TREND = colors.HexColor("#c0392b")
THUMB = 28.0  # points: the evidence photo's thumbnail in a row


def _style(name: str, size: float, **kw: Any) -> ParagraphStyle:
    return ParagraphStyle(
        name, **{"fontName": SANS, "fontSize": size, "leading": size * 1.25, **kw}
    )


TITLE = _style("title", 18, fontName=BOLD, spaceAfter=4, textColor=INK)
META = _style("meta", 8.5, textColor=MUTED, spaceAfter=2)
H2 = _style("h2", 12, fontName=BOLD, spaceBefore=10, spaceAfter=5, textColor=INK)
H3 = _style("h3", 9, fontName=BOLD, spaceBefore=6, spaceAfter=3, textColor=MUTED)
EMPTY = _style("empty", 11, fontName=BOLD, spaceBefore=8, spaceAfter=8, textColor=INK)
CELL = _style("cell", 7, textColor=INK)
CELL_NUM = _style("cell_num", 7, textColor=INK, alignment=TA_RIGHT)
CELL_BOLD = _style("cell_bold", 7.5, fontName=BOLD, textColor=INK)
CELL_BOLD_NUM = _style("cell_bold_num", 7.5, fontName=BOLD, textColor=INK, alignment=TA_RIGHT)
PHOTO_ID = _style("photo_id", 6, textColor=MUTED)
HEAD = _style("head", 7, fontName=BOLD, textColor=colors.white)
HEAD_NUM = _style("head_num", 7, fontName=BOLD, textColor=colors.white, alignment=TA_RIGHT)


# --- text --------------------------------------------------------------------------------------


def _markup(text: str, bold: bool = False) -> str:
    """Paragraph markup: escaped (field values may hold tags), Chinese runs in the CJK font."""
    runs = font_runs(text, bold)
    if all(not font.endswith("CJK") for _run, font, _fake_bold in runs):
        return html.escape(text, quote=False)
    return "".join(
        f'<font face="{font}">{html.escape(run, quote=False)}</font>' for run, font, _ in runs
    )


def _p(text: str, style: ParagraphStyle = CELL) -> Paragraph:
    bold = style.fontName == BOLD
    return Paragraph(_markup(text, bold), style)


def _lines_p(texts: Sequence[str], style: ParagraphStyle = CELL_NUM) -> Paragraph:
    """Several values in one cell, one a line (amounts in several currencies)."""
    bold = style.fontName == BOLD
    return Paragraph("<br/>".join(_markup(t, bold) for t in texts) or NONE, style)


def _mixed_string(x: float, y: float, text: str, size: float, anchor: str = "start") -> Group:
    """A chart label in one or more fonts (a Drawing's String has one font)."""
    group = Group()
    width = pdf_width(text, size, False)
    left = x - width if anchor == "end" else x
    for run, font, _fake_bold in font_runs(text, False):
        group.add(String(left, y, run, fontName=font, fontSize=size, fillColor=INK))
        left += pdf_width(run, size, False)
    return group


def _clip(text: str, width: float, size: float) -> str:
    """The text cut with an ellipsis to fit a width in points."""
    if pdf_width(text, size, False) <= width:
        return text
    while text and pdf_width(text + "…", size, False) > width:
        text = text[:-1]
    return text + "…"


# --- the document ------------------------------------------------------------------------------

Row = list[Any]
_PLAIN = "plain"  # the page template without a running table header
_CHUNK = 40  # rows per Table (see _long_table)
_FIRST_CHUNK = 3  # rows kept with a table's heading, so that no heading ends a page alone


@dataclass
class _Story:
    """The flowables, and the header of each long table, drawn atop the pages it continues on."""

    flowables: list[Flowable] = field(default_factory=list)
    headers: dict[str, Table] = field(default_factory=dict)


def _build(out: BinaryIO, title: str, story: _Story) -> None:
    def footer(canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(SANS, 7)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, MARGIN / 2, title)
        canvas.drawRightString(PAGE[0] - MARGIN, MARGIN / 2, f"page {doc.page}")
        canvas.restoreState()

    templates = [PageTemplate(_PLAIN, [_frame(0)], onPage=footer)]
    for name, header in story.headers.items():
        templates.append(_continued(name, header, footer))
    doc = BaseDocTemplate(
        out,
        pagesize=PAGE,
        pageTemplates=templates,
        title=title,
        author="intake",
        creator="intake reports",
    )
    doc.build(story.flowables)


def _frame(header_h: float) -> Frame:
    height = PAGE[1] - 2 * MARGIN - header_h
    padding = {"leftPadding": 0, "rightPadding": 0, "topPadding": 0, "bottomPadding": 0}
    return Frame(MARGIN, MARGIN, WIDTH, height, **padding)


def _continued(
    name: str, header: Table, footer: Callable[[Canvas, BaseDocTemplate], None]
) -> PageTemplate:
    """Pages a long table runs on: its header drawn at the top, the frame below it."""
    _w, height = header.wrap(WIDTH, PAGE[1])

    def on_page(canvas: Canvas, doc: BaseDocTemplate) -> None:
        header.drawOn(canvas, MARGIN, PAGE[1] - MARGIN - height)
        footer(canvas, doc)

    return PageTemplate(name, [_frame(height)], onPage=on_page)


def _long_table(
    story: _Story,
    heading: list[Flowable],
    header: Row,
    widths: Sequence[float],
    rows: Sequence[Row | str],
    right: Sequence[int] = (),
) -> None:
    """A table of any length, its header atop every page; a str row is a group heading across.

    ReportLab lays a table out again, whole, at each page break: the time grows with the square of
    its rows (one table of 2,000 rows took 6 s, 20,000 would take many minutes). Tables of _CHUNK
    rows follow each other seamlessly instead (20,000 rows: 15 s), and the header is repeated by
    the page template of the pages the table continues on."""
    name = f"table{len(story.headers)}"
    story.headers[name] = _table([header], widths, header=True)
    head = rows[:_FIRST_CHUNK]
    first = _table(
        [header, *_cells(head, len(widths))],
        widths,
        header=True,
        groups=_groups(head, 1),
        right=right,
    )
    story.flowables += [KeepTogether([*heading, first]), NextPageTemplate(name)]
    for at in range(_FIRST_CHUNK, len(rows), _CHUNK):
        chunk = rows[at : at + _CHUNK]
        cells = _cells(chunk, len(widths))
        story.flowables.append(_table(cells, widths, groups=_groups(chunk, 0), right=right))
    story.flowables.append(NextPageTemplate(_PLAIN))


def _cells(rows: Sequence[Row | str], columns: int) -> list[Row]:
    return [[_p(r, CELL_BOLD)] + [""] * (columns - 1) if isinstance(r, str) else r for r in rows]


def _groups(rows: Sequence[Row | str], offset: int) -> list[int]:
    return [i + offset for i, r in enumerate(rows) if isinstance(r, str)]


def _table(
    rows: list[Row],
    widths: Sequence[float],
    extra: Sequence[tuple[Any, ...]] = (),
    *,
    header: bool = False,
    groups: Sequence[int] = (),
    right: Sequence[int] = (),
) -> Table:
    """Zebra rows; the first row a header when `header`; group heading rows across; plain
    strings right-aligned in the `right` columns."""
    first = 1 if header else 0
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), SANS, 7),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ROWBACKGROUNDS", (0, first), (-1, -1), [colors.white, ZEBRA]),
        ("LINEBELOW", (0, first), (-1, -1), 0.4, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        *[("ALIGN", (col, first), (col, -1), "RIGHT") for col in right],
        *extra,
    ]
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), HEAD_BG), ("VALIGN", (0, 0), (-1, 0), "BOTTOM")]
    for r in groups:
        style += [("SPAN", (0, r), (-1, r)), ("BACKGROUND", (0, r), (-1, r), GROUP_BG)]
    table = Table(rows, colWidths=list(widths), repeatRows=first, hAlign="LEFT")
    table.setStyle(TableStyle(style))
    return table


def _header(
    columns: Sequence[str], right: Container[int], widths: Sequence[float] = ()
) -> list[Paragraph]:
    """Header cells, right-aligned over figures; given the column widths, long codes break after
    an underscore."""
    cells = []
    for i, column in enumerate(columns):
        style = HEAD_NUM if i in right else HEAD
        width = widths[i] - 6 if i < len(widths) else None  # less the cell's padding
        lines = _break_at_underscores(column, width, style.fontSize) if width else [column]
        cells.append(Paragraph("<br/>".join(_markup(line, True) for line in lines), style))
    return cells


def _break_at_underscores(text: str, width: float, size: float) -> list[str]:
    """Lines of a snake_case code no wider than `width`, where possible (a Paragraph would break
    inside a word, "unknown_or / der")."""
    parts = [p + "_" for p in text.split("_")]
    parts[-1] = parts[-1][:-1]
    lines = [""]
    for part in parts:
        if lines[-1] and pdf_width(lines[-1] + part, size, True) > width:
            lines.append("")
        lines[-1] += part
    return lines


# --- the mislabel report ---------------------------------------------------------------------


def write_mislabels_pdf(
    out: BinaryIO,
    report: MislabelReport,
    lines: Iterable[MislabelLine],
    trend: list[TrendPoint],
    thumbnail: Callable[[str], bytes | None],
) -> None:
    """The day's report: summary, charts, then one row per mislabeled carton."""
    register_fonts()
    title = f"Mislabel report {report.day.isoformat()}"
    story = _Story([_p(title, TITLE), _p(_mislabel_meta(report), META)])
    if report.empty:
        day = f"{report.day.isoformat()} ({report.zone.key})"
        story.flowables.append(_p(f"No carton was received or mislabeled on {day}.", EMPTY))
    else:
        story.flowables += _summary(report)
        story.flowables += _defect_chart(report.summaries)
    if trend:
        story.flowables += _trend(trend)
    _lines(story, report.zone, lines, thumbnail)
    _build(out, title, story)


def _trend(trend: list[TrendPoint]) -> list[Flowable]:
    heading = _p(f"Mislabel rate, last {len(trend)} days", H2)
    note = _p(
        "Cartons mislabeled per carton received, each local day; a grey column is a day without "
        "cartons.",
        META,
    )
    return [KeepTogether([heading, _trend_chart(trend), note])]


def _mislabel_meta(report: MislabelReport) -> str:
    zone = report.zone.key
    supplier = report_supplier(report)
    return " · ".join(
        [
            f"Local day {report.day.isoformat()}, warehouse time zone {zone}",
            f"Supplier {supplier}" if supplier else "All suppliers",
            f"Generated {local_time(report.generated_at, report.zone)} ({zone})",
        ]
    )


def _summary(report: MislabelReport) -> list[Flowable]:
    summaries, total = report.summaries, report.totals()
    codes, actions = defect_codes(summaries), fee_actions(summaries)
    name_w, figure_w = 180.0, 52.0
    code_w = max(34.0, min(70.0, (WIDTH - name_w - 3 * figure_w) / max(len(codes), 1)))
    count_widths = [name_w, *[figure_w] * 3, *[code_w] * len(codes)]
    count_head = ["Supplier", "Cartons received", "Cartons mislabeled", "Mislabel rate", *codes]
    counts = [
        _header(count_head, range(1, len(count_head)), count_widths),
        *(_count_row(s, codes) for s in summaries),
        _count_row(total, codes, "Total"),
    ]
    fee_w = min(110.0, (WIDTH - name_w - 110) / max(len(actions), 1))
    fee_head = ["Supplier", *(f"Fees: {a}" for a in actions), "Fee total"]
    fees = [
        _header(fee_head, range(1, len(fee_head))),
        *(_fee_row(s, actions) for s in summaries),
        _fee_row(total, actions, "Total"),
    ]
    total_style = [
        ("BACKGROUND", (0, -1), (-1, -1), TOTAL_BG),
        ("LINEABOVE", (0, -1), (-1, -1), 1, HEAD_BG),
    ]
    return [
        _p("Summary by supplier", H2),
        _p("Cartons and defects (defects by code)", H3),
        _table(counts, count_widths, total_style, header=True),
        _p("Fees by action (waived defects count nothing)", H3),
        _table(fees, [name_w, *[fee_w] * len(actions), 110.0], total_style, header=True),
    ]


def _count_row(s: SupplierSummary, codes: list[str], label: str | None = None) -> list[Any]:
    style, num = (CELL_BOLD, CELL_BOLD_NUM) if label else (CELL, CELL_NUM)
    figures = [
        count_text(s.cartons_received),
        count_text(s.cartons_mislabeled),
        rate_text(s.mislabel_rate),
        *(count_text(s.defects_by_code.get(code, 0)) for code in codes),
    ]
    name = label or supplier_label(s.supplier_id, s.supplier_name)
    return [_p(name, style), *(_p(f, num) for f in figures)]


def _fee_row(s: SupplierSummary, actions: list[str], label: str | None = None) -> list[Any]:
    style, num = (CELL_BOLD, CELL_BOLD_NUM) if label else (CELL, CELL_NUM)
    cells = [_lines_p(amounts_text(action_amounts(s, a)), num) for a in actions]
    name = label or supplier_label(s.supplier_id, s.supplier_name)
    return [_p(name, style), *cells, _lines_p(amounts_text(s.fee_totals), num)]


# --- charts ------------------------------------------------------------------------------------

_LABEL_W = 170.0
_BAR_ROW = 16.0
_LEGEND_ROW = 14.0
_LEGEND_ITEM_W = 150.0
_FONT_SIZE = 7.5


def _defect_chart(summaries: list[SupplierSummary]) -> list[Flowable]:
    heading = _p("Mislabels by supplier and defect code", H2)
    bars = [s for s in summaries if s.defects_by_code]
    if not bars:
        return [heading, _p("No carton was mislabeled.", EMPTY)]
    note = _p("Defects per supplier (a carton may have several).", META)
    return [KeepTogether([heading, _defect_drawing(bars), note])]


def _defect_drawing(summaries: list[SupplierSummary]) -> Drawing:
    """Stacked horizontal bars, one per supplier, one colour per defect code, legend on top."""
    codes = defect_codes(summaries)
    per_row = max(1, int(WIDTH // _LEGEND_ITEM_W))
    legend_h = -(-len(codes) // per_row) * _LEGEND_ROW + 6
    bars_h = len(summaries) * _BAR_ROW
    height = legend_h + bars_h + 18
    drawing = Drawing(WIDTH, height)
    _legend(drawing, codes, per_row, height)
    top, step = axis_step(max(sum(s.defects_by_code.values()) for s in summaries), integer=True)
    scale = (WIDTH - _LABEL_W - 40) / top
    axis_y = 18.0
    for tick in axis_ticks(top, step):
        x = _LABEL_W + tick * scale
        drawing.add(Line(x, axis_y, x, axis_y + bars_h, strokeColor=RULE, strokeWidth=0.5))
        drawing.add(
            String(
                x,
                axis_y - 10,
                f"{tick:g}",
                fontName=SANS,
                fontSize=7,
                textAnchor="middle",
                fillColor=MUTED,
            )
        )
    for row, summary in enumerate(summaries):
        y = axis_y + bars_h - (row + 1) * _BAR_ROW  # the first supplier on top
        _bar(drawing, summary, codes, y, scale)
    return drawing


def _legend(drawing: Drawing, codes: list[str], per_row: int, height: float) -> None:
    for n, code in enumerate(codes):
        x = (n % per_row) * _LEGEND_ITEM_W
        y = height - (n // per_row + 1) * _LEGEND_ROW
        colour = colors.HexColor(PALETTE[colour_index(code)])
        drawing.add(Rect(x, y, 9, 9, fillColor=colour, strokeColor=None))
        drawing.add(
            String(
                x + 13,
                y + 1.5,
                _clip(code, _LEGEND_ITEM_W - 18, _FONT_SIZE),
                fontName=SANS,
                fontSize=_FONT_SIZE,
                fillColor=INK,
            )
        )


def _bar(
    drawing: Drawing, summary: SupplierSummary, codes: list[str], y: float, scale: float
) -> None:
    name = supplier_label(summary.supplier_id, summary.supplier_name)
    label = _clip(name, _LABEL_W - 10, _FONT_SIZE)
    drawing.add(_mixed_string(_LABEL_W - 6, y + 5, label, _FONT_SIZE, anchor="end"))
    x = _LABEL_W
    for code in codes:
        n = summary.defects_by_code.get(code, 0)
        if n:
            colour = colors.HexColor(PALETTE[colour_index(code)])
            drawing.add(
                Rect(
                    x,
                    y + 2.5,
                    n * scale,
                    _BAR_ROW - 5,
                    fillColor=colour,
                    strokeColor=colors.white,
                    strokeWidth=0.3,
                )
            )
            x += n * scale
    total = sum(summary.defects_by_code.values())
    drawing.add(String(x + 4, y + 5, str(total), fontName=BOLD, fontSize=_FONT_SIZE, fillColor=INK))


_TREND_H = 150.0
_TREND_LEFT, _TREND_BOTTOM, _TREND_TOP = 40.0, 26.0, 8.0


@dataclass(frozen=True, slots=True)
class _Frame:
    """The trend plot's coordinates: day slots along x, percent up y."""

    slot: float
    top: float
    plot_h: float

    def x(self, i: int) -> float:
        return _TREND_LEFT + (i + 0.5) * self.slot

    def y(self, value: float) -> float:
        return _TREND_BOTTOM + value / self.top * self.plot_h


def _trend_chart(trend: list[TrendPoint]) -> Drawing:
    """The daily mislabel rate as a line; a day without cartons is a shaded gap."""
    values = trend_percent(trend)
    top, step = axis_step(max((v for v in values if v is not None), default=0.0))
    frame = _Frame(
        (WIDTH - _TREND_LEFT - 10) / len(trend), top, _TREND_H - _TREND_BOTTOM - _TREND_TOP
    )
    drawing = Drawing(WIDTH, _TREND_H)
    for i, value in enumerate(values):
        if value is None:
            drawing.add(
                Rect(
                    frame.x(i) - frame.slot / 2,
                    _TREND_BOTTOM,
                    frame.slot,
                    frame.plot_h,
                    fillColor=GAP,
                    strokeColor=None,
                )
            )
    for tick in axis_ticks(top, step):
        y = frame.y(tick)
        drawing.add(Line(_TREND_LEFT, y, WIDTH - 10, y, strokeColor=RULE, strokeWidth=0.5))
        drawing.add(
            String(
                _TREND_LEFT - 4,
                y - 2.5,
                f"{tick:g} %",
                fontName=SANS,
                fontSize=7,
                textAnchor="end",
                fillColor=MUTED,
            )
        )
    for i, point in enumerate(trend):
        for text, dy in ((f"{point.day:%m-%d}", 11), (f"{point.day:%a}", 20)):
            drawing.add(
                String(
                    frame.x(i),
                    _TREND_BOTTOM - dy,
                    text,
                    fontName=SANS,
                    fontSize=7,
                    textAnchor="middle",
                    fillColor=INK if dy == 11 else MUTED,
                )
            )
    for run in trend_runs(values):
        points = [c for i, v in run for c in (frame.x(i), frame.y(v))]
        drawing.add(PolyLine(points, strokeColor=TREND, strokeWidth=1.6))
        for i, v in run:
            drawing.add(Circle(frame.x(i), frame.y(v), 2.2, fillColor=TREND, strokeColor=None))
    return drawing


# --- the mislabeled cartons ------------------------------------------------------------------

LINE_COLUMNS = (
    ("Order no.", 94.0),
    ("Tracking no.", 86.0),
    ("Carrier", 52.0),
    ("Defects", 124.0),
    ("Station", 52.0),
    ("Operator", 60.0),
    ("Found at", 72.0),
    ("Action", 66.0),
    ("State", 56.0),
    ("Fee", 56.0),
    ("Photo", 54.0),  # a thumbnail, or a photo id of 12 characters on one line
)
_FEE_COLUMN = len(LINE_COLUMNS) - 2


def _lines(
    story: _Story,
    zone: ZoneInfo,
    lines: Iterable[MislabelLine],
    thumbnail: Callable[[str], bytes | None],
) -> None:
    heading = _p("Mislabeled cartons", H2)
    rows: list[Row | str] = []
    supplier: tuple[str | None, str | None] | None = None
    for line in lines:
        # By supplier, as they come: a heading row at each change rather than a column.
        if (line.supplier_id, line.supplier_name) != supplier:
            supplier = (line.supplier_id, line.supplier_name)
            rows.append(supplier_label(*supplier))
        rows.append(_line_row(line, zone, thumbnail))
    if not rows:
        story.flowables += [heading, _p("No carton was mislabeled.", EMPTY)]
        return
    widths = [w for _c, w in LINE_COLUMNS]
    header = _header([c for c, _w in LINE_COLUMNS], [_FEE_COLUMN], widths)
    _long_table(story, [heading], header, widths, rows, right=[_FEE_COLUMN])


def _line_row(
    line: MislabelLine, zone: ZoneInfo, thumbnail: Callable[[str], bytes | None]
) -> list[Any]:
    texts = (
        line.order_no or NONE,
        line.tracking_no or NONE,
        line.carrier or NONE,
        ", ".join(line.codes),
        line.station,
        line.operator,
        local_time(line.found_at, zone),
        line.action,
        line.state,
        amount_text(line.fee, line.currency),
    )
    cells = [_cell(text, width) for text, (_c, width) in zip(texts, LINE_COLUMNS, strict=False)]
    return [*cells, _photo(line.photo_sha256, thumbnail)]


def _cell(text: str, width: float) -> str | Paragraph:
    """A plain string when it fits on one line in the Latin font, else a Paragraph that wraps
    and switches fonts: a Paragraph costs ten times as much to lay out, times 20,000 rows."""
    if text.isascii() and pdfmetrics.stringWidth(text, SANS, CELL.fontSize) <= width - 6:
        return text
    return _p(text)


def _photo(sha256: str | None, thumbnail: Callable[[str], bytes | None]) -> Any:
    """The evidence photo's thumbnail, else the start of its id (a broken image is no photo)."""
    if not sha256:
        return ""
    data = thumbnail(sha256)
    if data:
        try:
            width, height = ImageReader(io.BytesIO(data)).getSize()
        except Exception:  # ReportLab raises what PIL raises: any of them means not an image
            width = height = 0
        if width and height:
            ratio = min(THUMB / width, THUMB / height)
            return Image(io.BytesIO(data), width * ratio, height * ratio)
    return _p(sha256[:PHOTO_ID_CHARS], PHOTO_ID)


# --- the SLA report ----------------------------------------------------------------------------


def write_sla_pdf(
    out: BinaryIO,
    report: SlaReport,
    late: Iterable[LateReadyToShip],
    delays: Iterable[CarrierDelay],
    never: Iterable[NeverReceived],
) -> None:
    """The period's SLA evidence: three sections, each headed by its count."""
    register_fonts()
    zone, h = report.zone, report.hours
    title = f"SLA report {report.first.isoformat()} – {report.last.isoformat()}"
    story = _Story([_p(title, TITLE), *(_p(m, META) for m in _sla_meta(report))])
    _sla_section(story, _LATE, [late_cells(r, zone) for r in late])
    _sla_section(story, _delays(h.pickup + h.transit), [delay_cells(r, zone) for r in delays])
    _sla_section(story, _NEVER, [never_cells(r, zone) for r in never])
    _build(out, title, story)


def _sla_meta(report: SlaReport) -> list[str]:
    h, zone = report.hours, report.zone.key
    return [
        f"Local days {report.first.isoformat()} to {report.last.isoformat()}, "
        f"warehouse time zone {zone} · "
        + (f"Supplier {report.supplier_id}" if report.supplier_id else "All suppliers"),
        f"Allowances: ready to ship {h.ready_to_ship:g} h after the order, pickup {h.pickup:g} h "
        f"and transit {h.transit:g} h after ready to ship",
        f"Generated {local_time(report.generated_at, report.zone)} ({zone})",
    ]


@dataclass(frozen=True, slots=True)
class _Section:
    title: str
    note: str
    noun: str  # what a row is: "order", "carton"
    columns: tuple[tuple[str, float], ...]  # header, width in points; the last one is hours


_LATE = _Section(
    "Orders marked ready to ship late",
    "The supplier's delay: hours past the ready-to-ship allowance (an order not yet marked counts "
    "up to the time of the report).",
    "order",
    (("Order no.", 130), ("Supplier", 250), ("Ordered at", 90), ("Ready to ship at", 90),
     ("Hours late", 70)),
)  # fmt: skip
_NEVER = _Section(
    "Orders ready to ship but never received",
    "Marked ready to ship, pickup and transit allowances run out, no carton at the warehouse.",
    "order",
    (("Order no.", 120), ("Supplier", 220), ("Carrier", 70), ("Tracking no.", 130),
     ("Ready to ship at", 90), ("Hours overdue", 80)),
)  # fmt: skip


def _delays(allowance: float) -> _Section:
    return _Section(
        "Cartons delayed by the carrier",
        "Evidence for a complaint against the logistics provider: each carton was received more "
        f"than {allowance:g} hours (pickup and transit allowance) after its order was marked "
        "ready to ship.",
        "carton",
        (("Order no.", 120), ("Supplier", 200), ("Carrier", 70), ("Tracking no.", 100),
         ("Ready to ship at", 80), ("Received at", 80), ("Hours over allowance", 80)),
    )  # fmt: skip


def _sla_section(story: _Story, section: _Section, rows: list[list[str]]) -> None:
    plural = section.noun if len(rows) == 1 else f"{section.noun}s"
    heading = [
        _p(f"{section.title} — {count_text(len(rows))} {plural}", H2),
        _p(section.note, META),
        Spacer(1, 3),
    ]
    if not rows:
        story.flowables += [*heading[:2], _p("none", EMPTY)]
        return
    widths = [w for _c, w in section.columns]
    last = len(widths) - 1
    header = _header([c for c, _w in section.columns], [last], widths)
    cells: list[Row | str] = [[_cell(t, w) for t, w in zip(r, widths, strict=True)] for r in rows]
    _long_table(story, heading, header, widths, cells, right=[last])
