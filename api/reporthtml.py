"""The daily mislabel report and the SLA evidence report as one self-contained HTML page each.

Rows are written as they stream from the database (a day can hold 20,000 mislabeled cartons), never
gathered first. Charts are inline SVG drawn here: the page needs no script and no other file, and
it prints. Every value is escaped: codes, names, stations and operators come from the field (label
photos, imported order books) and may hold markup.

The helpers that only format (times, rates, amounts, axis steps, colours) are shared with the PDF.
"""

import html
import math
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from itertools import chain
from typing import IO, TextIO
from zoneinfo import ZoneInfo

from intake.defects import DefectCode
from intake.fees import money
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

UNKNOWN_SUPPLIER = "unknown order (no supplier)"
NONE = "—"  # an empty cell: an absent value, not a zero
PHOTO_ID_CHARS = 12  # an evidence photo without a thumbnail is named by this much of its hash
# One colour per defect code, fixed by the code's place in DefectCode so that a code keeps its
# colour from one day's report to the next (Tableau 10, then lighter and darker companions).
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac", "#2f4b7c", "#8cd17d", "#d37295", "#499894", "#ffbe7d", "#79706e",
)  # fmt: skip
_KNOWN_CODES = [str(code) for code in DefectCode]
_FONTS = (
    '"DejaVu Sans", "Segoe UI", Roboto, Arial, "Droid Sans Fallback", "Noto Sans CJK SC", '
    '"PingFang SC", "Microsoft YaHei", sans-serif'
)


# --- formatting, shared with the PDF -----------------------------------------------------------


def local_time(at: datetime, zone: ZoneInfo) -> str:
    """A timestamp as the warehouse reads it, to the minute; a naive one is UTC (SQLite)."""
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    return aware.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def rate_text(rate: float | None) -> str:
    """A mislabel rate in percent; a tiny rate is not rounded down to a reassuring 0.0 %."""
    if rate is None:
        return NONE
    if 0 < rate < 0.0005:
        return "< 0.1 %"
    return f"{rate * 100:.1f} %"


def count_text(n: int) -> str:
    """A count with thousands separators."""
    return f"{n:,}"


def hours_text(hours: float) -> str:
    """Hours over an allowance."""
    return f"{hours:,.1f} h"


def supplier_label(supplier_id: str | None, name: str | None) -> str:
    """How a supplier is named in the reports: name and id, or the unknown-order bucket."""
    if supplier_id is None:
        return UNKNOWN_SUPPLIER
    return f"{name} ({supplier_id})" if name else supplier_id


def report_supplier(report: MislabelReport) -> str | None:
    """The supplier a report is restricted to, named as in its summary when it has one."""
    if report.supplier_id is None:
        return None
    names = [s.supplier_name for s in report.summaries if s.supplier_id == report.supplier_id]
    return supplier_label(report.supplier_id, names[0] if names else None)


def amount_text(amount: Decimal, currency: str) -> str:
    """An amount with its currency, printed by the fee schedule's rule."""
    return f"{money(amount)} {currency}".strip()


def amounts_text(amounts: dict[str, Decimal]) -> list[str]:
    """One line per currency (a supplier may be billed in several)."""
    return [amount_text(amount, currency) for currency, amount in sorted(amounts.items())]


def action_amounts(summary: SupplierSummary, action: str) -> dict[str, Decimal]:
    """A summary's fees for one action, per currency."""
    return {cur: amount for (act, cur), amount in summary.fees_by_action.items() if act == action}


def defect_codes(summaries: Iterable[SupplierSummary]) -> list[str]:
    """Every code that occurs, in DefectCode's order, then any other alphabetically."""
    codes = {code for s in summaries for code in s.defects_by_code}
    return sorted(codes, key=lambda c: (_code_rank(c), c))


def fee_actions(summaries: Iterable[SupplierSummary]) -> list[str]:
    """Every action that has a fee, alphabetically."""
    return sorted({action for s in summaries for action, _currency in s.fees_by_action})


def _code_rank(code: str) -> int:
    return _KNOWN_CODES.index(code) if code in _KNOWN_CODES else len(_KNOWN_CODES)


def colour_index(code: str) -> int:
    """The palette entry of a defect code; unknown codes share the last one."""
    return min(_code_rank(code), len(PALETTE) - 1)


def axis_step(value: float, *, integer: bool = False) -> tuple[float, float]:
    """(top, step) of an axis covering 0..value in about five steps of 1, 2 or 5 × 10ⁿ."""
    if value <= 0:
        return (1.0, 0.25) if not integer else (1.0, 1.0)
    step = 10 ** math.floor(math.log10(value / 5))
    for factor in (1, 2, 5, 10):
        if step * factor * 5 >= value:
            step *= factor
            break
    if integer:
        step = max(step, 1)
    return math.ceil(value / step - 1e-9) * step, step


def axis_ticks(top: float, step: float) -> list[float]:
    """The tick values 0, step, ... top."""
    return [round(i * step, 10) for i in range(round(top / step) + 1)]


def trend_percent(trend: list[TrendPoint]) -> list[float | None]:
    """Each day's mislabel rate in percent; None on a day without cartons (a gap, not a 0)."""
    return [None if p.mislabel_rate is None else p.mislabel_rate * 100 for p in trend]


def trend_runs(values: list[float | None]) -> list[list[tuple[int, float]]]:
    """Runs of consecutive days with a value: each is drawn as one line, gaps between them."""
    runs: list[list[tuple[int, float]]] = []
    previous: int | None = None
    for i, value in enumerate(values):
        if value is None:
            continue
        if previous is None or i != previous + 1:
            runs.append([])
        runs[-1].append((i, value))
        previous = i
    return runs


# --- the mislabel report ---------------------------------------------------------------------

LINE_COLUMNS = (
    "Order no.", "Tracking no.", "Carrier", "Defects", "Station", "Operator", "Found at",
    "Action", "State", "Fee", "Photo",
)  # fmt: skip


def write_mislabels_html(
    out: TextIO,
    report: MislabelReport,
    lines: Iterable[MislabelLine],
    trend: list[TrendPoint],
    photo_url: Callable[[str], str | None],
) -> None:
    """The day's report: summary, charts, then one row per mislabeled carton, streamed."""
    title = f"Mislabel report {report.day.isoformat()}"
    out.write(_head(title))
    out.write(f"<header><h1>{_e(title)}</h1>\n{_mislabel_meta(report)}</header>\n")
    if report.empty:
        out.write(
            f'<p class="empty">No carton was received or mislabeled on '
            f"{report.day.isoformat()} ({_e(report.zone.key)}).</p>\n"
        )
    else:
        out.write(_summary_section(report))
        out.write(_defect_chart_section(report.summaries))
    out.write(_trend_section(trend))
    _write_lines_section(out, report.zone, lines, photo_url)
    out.write("</body>\n</html>\n")


def _mislabel_meta(report: MislabelReport) -> str:
    zone = report.zone.key
    supplier = report_supplier(report)
    facts = [
        f"Local day {report.day.isoformat()}, warehouse time zone {zone}",
        f"Supplier {supplier}" if supplier else "All suppliers",
        f"Generated {local_time(report.generated_at, report.zone)} ({zone})",
    ]
    return f'<p class="meta">{" · ".join(_e(f) for f in facts)}</p>\n'


def _summary_section(report: MislabelReport) -> str:
    summaries, total = report.summaries, report.totals()
    codes, actions = defect_codes(summaries), fee_actions(summaries)
    head = ["Supplier", "Cartons received", "Cartons mislabeled", "Mislabel rate", *codes]
    counts = [_count_row(s, codes) for s in summaries]
    fee_head = ["Supplier", *(f"Fees: {a}" for a in actions), "Fee total"]
    fees = [_fee_row(s, actions) for s in summaries]
    return (
        '<section class="summary"><h2>Summary by supplier</h2>\n'
        f"<h3>Cartons and defects (defects by code)</h3>\n"
        f"{_table(head, counts, _count_row(total, codes, 'Total'), numeric_from=1)}"
        f"<h3>Fees by action (waived defects count nothing)</h3>\n"
        f"{_table(fee_head, fees, _fee_row(total, actions, 'Total'), numeric_from=1)}"
        "</section>\n"
    )


def _count_row(s: SupplierSummary, codes: list[str], label: str | None = None) -> list[str]:
    figures = [count_text(s.cartons_received), count_text(s.cartons_mislabeled)]
    per_code = [count_text(s.defects_by_code.get(code, 0)) for code in codes]
    name = label or supplier_label(s.supplier_id, s.supplier_name)
    return [_e(name), *figures, _e(rate_text(s.mislabel_rate)), *per_code]


def _fee_row(s: SupplierSummary, actions: list[str], label: str | None = None) -> list[str]:
    cells = [_amount_lines(action_amounts(s, action)) for action in actions]
    name = label or supplier_label(s.supplier_id, s.supplier_name)
    return [_e(name), *cells, _amount_lines(s.fee_totals)]


def _amount_lines(amounts: dict[str, Decimal]) -> str:
    return "<br>".join(_e(text) for text in amounts_text(amounts)) or NONE


def _table(head: list[str], rows: list[list[str]], total: list[str], numeric_from: int) -> str:
    """A small table (bounded by the number of suppliers); cells are already escaped."""

    def row(cells: list[str], tag: str) -> str:
        return "".join(
            f'<{tag} class="num">{c}</{tag}>' if i >= numeric_from else f"<{tag}>{c}</{tag}>"
            for i, c in enumerate(cells)
        )

    header = "".join(
        f'<th class="fig">{_breakable(h)}</th>' if i >= numeric_from else f"<th>{_e(h)}</th>"
        for i, h in enumerate(head)
    )
    body = "".join(f"<tr>{row(cells, 'td')}</tr>\n" for cells in rows)
    return (
        f'<table class="figures"><thead><tr>{header}</tr></thead>\n<tbody>\n{body}'
        f'<tr class="total">{row(total, "th")}</tr>\n</tbody></table>\n'
    )


def _breakable(text: str) -> str:
    """Escaped, with line-break opportunities after underscores (long defect codes)."""
    return _e(text).replace("_", "_<wbr>")


def _write_lines_section(
    out: TextIO,
    zone: ZoneInfo,
    lines: Iterable[MislabelLine],
    photo_url: Callable[[str], str | None],
) -> None:
    out.write('<section class="lines"><h2>Mislabeled cartons</h2>\n')
    rows = iter(lines)
    first = next(rows, None)
    if first is None:
        out.write('<p class="empty">No carton was mislabeled.</p>\n</section>\n')
        return
    header = "".join(
        f'<th class="num">{_e(c)}</th>' if c == "Fee" else f"<th>{_e(c)}</th>" for c in LINE_COLUMNS
    )
    out.write(f'<table class="lines"><thead><tr>{header}</tr></thead>\n<tbody>\n')
    supplier: tuple[str | None, str | None] | None = None
    for line in chain([first], rows):
        # Lines come by supplier: a heading row at each change, not a column repeated 20,000 times.
        if (line.supplier_id, line.supplier_name) != supplier:
            supplier = (line.supplier_id, line.supplier_name)
            label = _e(supplier_label(*supplier))
            out.write(f'<tr class="group"><th colspan="{len(LINE_COLUMNS)}">{label}</th></tr>\n')
        out.write(_line_row(line, zone, photo_url))
    out.write("</tbody></table>\n</section>\n")


def _line_row(line: MislabelLine, zone: ZoneInfo, photo_url: Callable[[str], str | None]) -> str:
    codes = " ".join(
        f'<span class="code"><i class="c{colour_index(c)}"></i>{_e(c)}</span>' for c in line.codes
    )
    plain = (line.order_no or NONE, line.tracking_no or NONE, line.carrier or NONE)
    staff = (line.station, line.operator)
    return (
        '<tr class="line">'
        + "".join(f"<td>{_e(text)}</td>" for text in plain)
        + f"<td>{codes}</td>"
        + "".join(f"<td>{_e(text)}</td>" for text in staff)
        + f'<td class="time">{local_time(line.found_at, zone)}</td>'
        + f"<td>{_e(line.action)}</td><td>{_e(line.state)}</td>"
        + f'<td class="num">{_e(amount_text(line.fee, line.currency))}</td>'
        + f"<td>{_photo_cell(line.photo_sha256, photo_url)}</td></tr>\n"
    )


def _photo_cell(sha256: str | None, photo_url: Callable[[str], str | None]) -> str:
    if not sha256:
        return ""
    short = _e(sha256[:PHOTO_ID_CHARS])
    url = photo_url(sha256)
    if url is None:
        return f'<span class="photo-id">{short}</span>'
    src = _e(url)
    image = f'<img src="{src}" alt="photo {short}" width="48" height="48" loading="lazy">'
    return f'<a href="{src}">{image}</a>'


# --- SVG charts ----------------------------------------------------------------------------------

_CHART_W = 900
_LABEL_W = 230  # supplier names, right-aligned against the bars
_BAR_ROW = 24
_LEGEND_ROW = 20
_LEGEND_ITEM_W = 200


def _defect_chart_section(summaries: list[SupplierSummary]) -> str:
    bars = [s for s in summaries if s.defects_by_code]
    if not bars:
        return (
            '<section class="chart"><h2>Mislabels by supplier and defect code</h2>\n'
            '<p class="empty">No carton was mislabeled.</p></section>\n'
        )
    return (
        '<section class="chart"><h2>Mislabels by supplier and defect code</h2>\n'
        f"{defect_chart_svg(bars)}"
        '<p class="caption">Defects per supplier (a carton may have several).</p></section>\n'
    )


def defect_chart_svg(summaries: list[SupplierSummary]) -> str:
    """Stacked horizontal bars: one per supplier, one segment per defect code, with a legend."""
    codes = defect_codes(summaries)
    per_row = max(1, (_CHART_W - 20) // _LEGEND_ITEM_W)
    legend_h = math.ceil(len(codes) / per_row) * _LEGEND_ROW + 10
    plot_w = _CHART_W - _LABEL_W - 60
    top_value = max(sum(s.defects_by_code.values()) for s in summaries)
    top, step = axis_step(top_value, integer=True)
    height = legend_h + len(summaries) * _BAR_ROW + 30
    parts = [_svg_open(_CHART_W, height, "Mislabels by supplier and defect code")]
    parts.append(_legend(codes, per_row))
    scale = plot_w / top
    axis_y = legend_h + len(summaries) * _BAR_ROW
    for tick in axis_ticks(top, step):
        tx = _LABEL_W + tick * scale
        parts.append(
            f'<line x1="{tx:.1f}" y1="{legend_h}" x2="{tx:.1f}" y2="{axis_y}" class="grid"/>'
            f'<text x="{tx:.1f}" y="{axis_y + 16}" text-anchor="middle">{tick:g}</text>'
        )
    for row, summary in enumerate(summaries):
        parts.append(_bar(summary, codes, legend_h + row * _BAR_ROW, scale))
    parts.append("</svg>\n")
    return "".join(parts)


def _legend(codes: list[str], per_row: int) -> str:
    items = []
    for n, code in enumerate(codes):
        x, y = 10 + (n % per_row) * _LEGEND_ITEM_W, 4 + (n // per_row) * _LEGEND_ROW
        items.append(
            f'<rect x="{x}" y="{y}" width="14" height="14" class="c{colour_index(code)}"/>'
            f'<text x="{x + 20}" y="{y + 12}">{_e(code)}</text>'
        )
    return "".join(items)


def _bar(summary: SupplierSummary, codes: list[str], y: int, scale: float) -> str:
    name = supplier_label(summary.supplier_id, summary.supplier_name)
    total = sum(summary.defects_by_code.values())
    parts = [
        f'<text x="{_LABEL_W - 8}" y="{y + 16}" text-anchor="end">'
        f"<title>{_e(name)}</title>{_e(clip(name, _LABEL_W - 16, 12))}</text>"
    ]
    x = float(_LABEL_W)
    for code in codes:
        n = summary.defects_by_code.get(code, 0)
        if not n:
            continue
        w = n * scale
        parts.append(
            f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{_BAR_ROW - 8}" '
            f'class="c{colour_index(code)}"><title>{_e(name)}: {_e(code)} {n}</title></rect>'
        )
        x += w
    parts.append(f'<text x="{x + 6:.1f}" y="{y + 16}" class="value">{total}</text>')
    return "".join(parts)


def text_width(text: str, size: float) -> float:
    """A rough width in px: Chinese characters are square, Latin ones about 0.6 em."""
    return sum(size if _wide(ch) else 0.6 * size for ch in text)


def _wide(ch: str) -> bool:
    return ord(ch) >= 0x2E80


def clip(text: str, width: float, size: float) -> str:
    """The text cut with an ellipsis to fit a width (SVG text does not wrap)."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


_TREND_H = 240
_TREND_LEFT, _TREND_RIGHT, _TREND_TOP, _TREND_BOTTOM = 56, 16, 16, 44


def _trend_section(trend: list[TrendPoint]) -> str:
    if not trend:
        return ""
    return (
        f'<section class="chart"><h2>Mislabel rate, last {len(trend)} days</h2>\n'
        f"{trend_chart_svg(trend)}"
        '<p class="caption">Cartons mislabeled per carton received, each local day; '
        "a grey column is a day without cartons.</p></section>\n"
    )


def trend_chart_svg(trend: list[TrendPoint]) -> str:
    """The daily mislabel rate as a line; days without cartons are gaps, shaded."""
    values = trend_percent(trend)
    top, step = axis_step(max((v for v in values if v is not None), default=0.0))
    plot_w = _CHART_W - _TREND_LEFT - _TREND_RIGHT
    plot_h = _TREND_H - _TREND_TOP - _TREND_BOTTOM
    slot = plot_w / len(trend)
    base = _TREND_TOP + plot_h

    def x(i: int) -> float:
        return _TREND_LEFT + (i + 0.5) * slot

    def y(value: float) -> float:
        return base - value / top * plot_h

    parts = [_svg_open(_CHART_W, _TREND_H, "Mislabel rate by day")]
    for i, value in enumerate(values):
        if value is None:
            parts.append(
                f'<rect x="{x(i) - slot / 2:.1f}" y="{_TREND_TOP}" width="{slot:.1f}" '
                f'height="{plot_h}" class="gap"><title>{trend[i].day}: no cartons</title></rect>'
            )
    for tick in axis_ticks(top, step):
        parts.append(
            f'<line x1="{_TREND_LEFT}" y1="{y(tick):.1f}" x2="{_CHART_W - _TREND_RIGHT}" '
            f'y2="{y(tick):.1f}" class="grid"/><text x="{_TREND_LEFT - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end">{tick:g} %</text>'
        )
    for i, point in enumerate(trend):
        parts.append(
            f'<text x="{x(i):.1f}" y="{base + 16}" text-anchor="middle">'
            f'{point.day:%m-%d}</text><text x="{x(i):.1f}" y="{base + 30}" '
            f'text-anchor="middle" class="weekday">{point.day:%a}</text>'
        )
    for run in trend_runs(values):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in run)
        parts.append(f'<polyline points="{points}" class="trend"/>')
        for i, v in run:
            p = trend[i]
            tip = f"{p.day}: {v:.1f} % ({p.cartons_mislabeled:,} of {p.cartons_received:,})"
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" class="trend">'
                f"<title>{tip}</title></circle>"
            )
    parts.append("</svg>\n")
    return "".join(parts)


def _svg_open(width: int, height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_e(label)}">'
    )


# --- the SLA report ----------------------------------------------------------------------------

_SPOOL_BYTES = 1 << 20  # a section's rows stay in memory up to this, then go to a temporary file


@dataclass(frozen=True, slots=True)
class _Section:
    title: str
    note: str
    columns: tuple[str, ...]
    noun: str  # what a row is: "order", "carton"


def write_sla_html(
    out: TextIO,
    report: SlaReport,
    late: Iterable[LateReadyToShip],
    delays: Iterable[CarrierDelay],
    never: Iterable[NeverReceived],
) -> None:
    """The period's SLA evidence: three sections, each headed by its count.

    A count is known only after its rows, so each section's rows are rendered into a spool (memory,
    then a temporary file when large) and copied out behind the heading: no row is held as data."""
    zone, hours = report.zone, report.hours
    carrier_hours = hours.pickup + hours.transit
    sections = [
        (_LATE, (late_cells(r, zone) for r in late)),
        (_delay_section(carrier_hours), (delay_cells(r, zone) for r in delays)),
        (_NEVER, (never_cells(r, zone) for r in never)),
    ]
    title = f"SLA report {report.first.isoformat()} – {report.last.isoformat()}"
    out.write(_head(title))
    out.write(f"<header><h1>{_e(title)}</h1>\n{_sla_meta(report)}</header>\n")
    for section, rows in sections:
        with tempfile.SpooledTemporaryFile(_SPOOL_BYTES, "w+", encoding="utf-8") as spool:
            count = _write_rows(spool, rows)
            spool.seek(0)
            out.write(_section_head(section, count))
            shutil.copyfileobj(spool, out)
        out.write(_section_tail(section, count))
    out.write("</body>\n</html>\n")


def _sla_meta(report: SlaReport) -> str:
    h, zone = report.hours, report.zone.key
    facts = [
        f"Local days {report.first.isoformat()} to {report.last.isoformat()}, "
        f"warehouse time zone {zone}",
        f"Supplier {report.supplier_id}" if report.supplier_id else "All suppliers",
        f"Allowances: ready to ship {h.ready_to_ship:g} h after the order, pickup {h.pickup:g} h "
        f"and transit {h.transit:g} h after ready to ship",
        f"Generated {local_time(report.generated_at, report.zone)} ({zone})",
    ]
    return f'<p class="meta">{" · ".join(_e(f) for f in facts)}</p>\n'


_LATE = _Section(
    "Orders marked ready to ship late",
    "The supplier's delay: hours past the ready-to-ship allowance (an order not yet marked counts "
    "up to the time of the report).",
    ("Order no.", "Supplier", "Ordered at", "Ready to ship at", "Hours late"),
    "order",
)
_NEVER = _Section(
    "Orders ready to ship but never received",
    "Marked ready to ship, pickup and transit allowances run out, no carton at the warehouse.",
    ("Order no.", "Supplier", "Carrier", "Tracking no.", "Ready to ship at", "Hours overdue"),
    "order",
)


def _delay_section(allowance: float) -> _Section:
    return _Section(
        "Cartons delayed by the carrier",
        f"Evidence for a complaint against the logistics provider: each carton was received more "
        f"than {allowance:g} hours (pickup and transit allowance) after its order was marked ready "
        "to ship.",
        ("Order no.", "Supplier", "Carrier", "Tracking no.", "Ready to ship at", "Received at",
         "Hours over allowance"),
        "carton",
    )  # fmt: skip


def late_cells(r: LateReadyToShip, zone: ZoneInfo) -> list[str]:
    """One SLA row as text (HTML and PDF show the same cells)."""
    ready = local_time(r.ready_to_ship_at, zone) if r.ready_to_ship_at else "not marked"
    supplier = supplier_label(r.supplier_id, r.supplier_name)
    return [r.order_no, supplier, local_time(r.ordered_at, zone), ready, hours_text(r.hours_late)]


def delay_cells(r: CarrierDelay, zone: ZoneInfo) -> list[str]:
    return [
        r.order_no,
        supplier_label(r.supplier_id, r.supplier_name),
        r.carrier or NONE,
        r.tracking_no or NONE,
        local_time(r.ready_to_ship_at, zone),
        local_time(r.received_at, zone),
        hours_text(r.hours_over),
    ]


def never_cells(r: NeverReceived, zone: ZoneInfo) -> list[str]:
    return [
        r.order_no,
        supplier_label(r.supplier_id, r.supplier_name),
        r.carrier or NONE,
        r.tracking_numbers or NONE,
        local_time(r.ready_to_ship_at, zone),
        hours_text(r.hours_overdue),
    ]


def _write_rows(out: IO[str], rows: Iterator[list[str]]) -> int:
    """Plain rows, escaped, the last cell (hours) right-aligned; returns how many."""
    count = 0
    for cells in rows:
        tds = "".join(f"<td>{_e(c)}</td>" for c in cells[:-1])
        out.write(f'<tr class="row">{tds}<td class="num">{_e(cells[-1])}</td></tr>\n')
        count += 1
    return count


def _section_head(section: _Section, count: int) -> str:
    plural = section.noun if count == 1 else f"{section.noun}s"
    head = (
        f'<section class="sla"><h2>{_e(section.title)} <span class="count">'
        f'{count_text(count)} {plural}</span></h2>\n<p class="note">{_e(section.note)}</p>\n'
    )
    if not count:
        return head
    header = "".join(f"<th>{_e(c)}</th>" for c in section.columns)
    return f'{head}<table class="lines"><thead><tr>{header}</tr></thead>\n<tbody>\n'


def _section_tail(section: _Section, count: int) -> str:
    if not count:
        return '<p class="empty">none</p>\n</section>\n'
    return "</tbody></table>\n</section>\n"


# --- the page ----------------------------------------------------------------------------------


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _head(title: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>\n{_css()}</style>\n</head>\n<body>\n"
    )


def _css() -> str:
    colours = "".join(f".c{i}{{fill:{c};background:{c}}}\n" for i, c in enumerate(PALETTE))
    return _CSS.replace("FONTS", _FONTS) + colours


_CSS = """\
:root { color-scheme: light; }
body { font: 14px/1.4 FONTS; color: #1d2329; background: #eef1f4; margin: 0; padding: 24px; }
header, section { background: #fff; border-radius: 6px; box-shadow: 0 1px 4px rgba(0,0,0,.15);
  padding: 16px 20px; margin: 0 auto 16px; max-width: 1400px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 10px; }
h3 { font-size: 14px; margin: 14px 0 6px; color: #4a5560; }
.meta, .caption, .note { color: #4a5560; margin: 4px 0; }
.empty { font-size: 16px; font-weight: bold; margin: 16px auto; max-width: 1400px; }
.count { font-weight: normal; color: #4a5560; margin-left: 8px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid #d9dee3; padding: 4px 8px; text-align: left;
  vertical-align: middle; }
thead th { background: #37546b; color: #fff; font-weight: 600; vertical-align: bottom; }
table.lines thead th { position: sticky; top: 0; }
tbody tr:nth-child(even) td { background: #f6f8fa; }
table.figures tbody > tr > :first-child { min-width: 16em; }
.time { white-space: nowrap; }
th.fig { text-align: right; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total th { border-top: 2px solid #37546b; background: #e8edf2; }
tr.group th { background: #dfe7ee; font-size: 14px; padding-top: 8px; }
.code { white-space: nowrap; margin-right: 6px; }
.code i { display: inline-block; width: 9px; height: 9px; border-radius: 2px; margin-right: 3px; }
td img { display: block; width: 48px; height: 48px; object-fit: cover; border-radius: 3px; }
.photo-id { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; color: #4a5560; }
svg { max-width: 100%; height: auto; display: block; }
svg text { font: 12px FONTS; fill: #1d2329; }
svg text.value { font-weight: bold; }
svg text.weekday { fill: #6b7680; font-size: 11px; }
svg .grid { stroke: #d9dee3; stroke-width: 1; }
svg .gap { fill: #e4e7ea; }
svg polyline.trend { fill: none; stroke: #c0392b; stroke-width: 2.5; }
svg circle.trend { fill: #c0392b; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { background: #fff; padding: 0; font-size: 11px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  header, section { box-shadow: none; border-radius: 0; padding: 0; margin: 0 0 12px;
    max-width: none; }
  table { font-size: 10px; }
  thead { display: table-header-group; }
  table.lines thead th { position: static; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  section.chart, svg { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""
