"""The mislabel and SLA reports rendered as HTML (api/reporthtml.py) and PDF (api/reportpdf.py).

The report dataclasses are built here directly: no database. The HTML is parsed, then shown in
headless Chromium (Debian's, driven by Playwright); the PDF is read back with poppler's tools and
turned into PNG pages. The pictures land in the test's folder; docs/reports/make_examples.py makes
the ones kept in docs/reports/.
"""

import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.sync_api import sync_playwright

from api.reporthtml import write_mislabels_html, write_sla_html
from api.reportpdf import write_mislabels_pdf, write_sla_pdf
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
from intake.sla import SlaHours

CHROMIUM = Path("/usr/bin/chromium")
ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 28)
GENERATED = datetime(2026, 11, 29, 0, 5, tzinfo=UTC)
CHINESE = "东莞市恒通五金制品厂"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SHA = "9f6adfc2d5e3" + "0" * 52
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is missing")
needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="no poppler-utils")


# --- data ----------------------------------------------------------------------------------------


def summary(supplier_id: str | None, name: str | None, received: int, **kw: Any) -> SupplierSummary:
    codes: dict[str, int] = kw.get("codes", {"missing_postcode": 2, "forbidden_qr": 1})
    fees: dict[tuple[str, str], Decimal] = kw.get("fees", {("relabel", "CNY"): Decimal("42.50")})
    mislabeled = kw.get("mislabeled", 2)
    return SupplierSummary(supplier_id, name, received, mislabeled, codes, fees)


def line(n: int, **kw: Any) -> MislabelLine:
    values: dict[str, Any] = {
        "carton_id": n,
        "supplier_id": "SUP-DG01",
        "supplier_name": CHINESE,
        "order_no": f"57647047115{n:07d}",
        "tracking_no": f"JT{2035790002163 + n}",
        "carrier": "ZTO",
        "codes": ("missing_postcode",),
        "station": "ST-01",
        "operator": "王芳",
        "found_at": datetime(2026, 11, 28, 15, 59, tzinfo=UTC),  # 23:59 in Shanghai
        "action": "relabel",
        "state": "open",
        "fee": Decimal("15.000"),
        "currency": "CNY",
        "photo_sha256": SHA,
    }
    return MislabelLine(**{**values, **kw})


def mislabel_report(
    summaries: list[SupplierSummary], supplier: str | None = None
) -> MislabelReport:
    return MislabelReport(DAY, ZONE, supplier, GENERATED, summaries)


def day_report() -> MislabelReport:
    """Three suppliers and the unknown-order bucket, two currencies."""
    return mislabel_report(
        [
            summary("SUP-DG01", CHINESE, 412, mislabeled=3),
            summary("SUP-NB03", "Ningbo Harbour Textiles", 198, mislabeled=1,
                    codes={"unreadable": 1}, fees={("relabel", "USD"): Decimal("2.80")}),
            summary("SUP-SZ12", "深圳市华强北电子科技有限公司", 530, mislabeled=4,
                    codes={"no_label": 2, "forbidden_qr": 3},
                    fees={("relabel", "CNY"): Decimal("77.50"), ("relabel", "USD"): Decimal("1")}),
            summary(None, None, 6, mislabeled=2, codes={"unknown_order": 2},
                    fees={("hold_return", "CNY"): Decimal("60.00")}),
        ]
    )  # fmt: skip


def day_lines() -> Iterator[MislabelLine]:
    yield line(1)
    yield line(2, codes=("missing_postcode", "forbidden_qr"), fee=Decimal("27.5"))
    yield line(
        3,
        supplier_id="SUP-NB03",
        supplier_name="Ningbo Harbour Textiles",
        codes=("unreadable",),
        fee=Decimal("2.80"),
        currency="USD",
        photo_sha256=None,
    )
    yield line(
        4,
        supplier_id="SUP-SZ12",
        supplier_name="深圳市华强北电子科技有限公司",
        codes=("no_label", "forbidden_qr"),
        operator="Li Wei",
    )
    yield line(5, supplier_id=None, supplier_name=None, order_no=None, tracking_no=None,
               codes=("unknown_order",), action="hold_return", fee=Decimal("30"))  # fmt: skip


def trend(last: MislabelReport | None = None) -> list[TrendPoint]:
    """14 days; the 4th and the 11th without cartons (gaps)."""
    points = []
    for i in range(14):
        received = 0 if i in (3, 10) else 1500 + 20 * i
        points.append(
            TrendPoint(DAY - timedelta(days=13 - i), received, received * (2 + i % 3) // 100)
        )
    return points


def photo_url(sha256: str) -> str | None:
    return f"https://intake.example/photos/{sha256}"


def thumbnail_jpeg(sha256: str) -> bytes | None:
    out = io.BytesIO()
    Image.new("RGB", (96, 64), (180, 140, 95)).save(out, format="JPEG")
    return out.getvalue()


def sla_report(supplier: str | None = None) -> SlaReport:
    return SlaReport(date(2026, 11, 1), DAY, ZONE, supplier, SlaHours(), GENERATED)


def sla_rows() -> tuple[list[LateReadyToShip], list[CarrierDelay], list[NeverReceived]]:
    at = datetime(2026, 11, 3, 2, 15, tzinfo=UTC)
    late = [
        LateReadyToShip("576470471153815409", "SUP-DG01", CHINESE, at, at + timedelta(hours=79), 7),
        LateReadyToShip("576470471154102277", "SUP-HZ07", "杭州丝路服饰有限公司", at, None, 17.25),
    ]
    delays = [CarrierDelay("576470471153821002", "SUP-NB03", "Ningbo Harbour", "ZTO",
                           "ZTO73500912834", at, at + timedelta(hours=140), 20.0)]  # fmt: skip
    never = [NeverReceived("576470471154310038", "SUP-SZ12", "深圳市华强北", "SF Express",
                           "SF1402938475611", at, 58.0)]  # fmt: skip
    return late, delays, never


# --- helpers -------------------------------------------------------------------------------------


def render_mislabels(report: MislabelReport, lines: Iterator[MislabelLine], **kw: Any) -> str:
    out = io.StringIO()
    write_mislabels_html(out, report, lines, kw.get("trend", trend()), kw.get("url", photo_url))
    return out.getvalue()


class Tags(HTMLParser):
    """Every element, its attributes, and whether the document's elements close in order."""

    VOID = frozenset({"meta", "br", "img", "wbr", "rect", "line", "circle", "polyline"})

    def __init__(self, text: str) -> None:
        super().__init__()
        self.started: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []
        self.mismatched: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.started.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.started.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if not self.open or self.open.pop() != tag:
            self.mismatched.append(tag)

    def count(self, tag: str, cls: str | None = None) -> int:
        return sum(
            1 for t, a in self.started if t == tag and (cls is None or a.get("class") == cls)
        )


def well_formed(text: str) -> Tags:
    tags = Tags(text)
    assert text.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in text
    assert not tags.mismatched and not tags.open, (tags.mismatched, tags.open)
    return tags


def pdf_text(pdf: bytes, tmp_path: Path, name: str = "report.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip


def pdf_fonts(path: Path) -> str:
    return subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                          text=True).stdout  # fmt: skip


def pdf_pages_png(path: Path) -> list[Path]:
    """The pages as PNG at 60 dpi, as looked at while writing the renderer."""
    prefix = path.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(prefix)], check=True)
    return sorted(path.parent.glob(f"{prefix.name}-*.png"))


# --- HTML ----------------------------------------------------------------------------------------


def test_html_escapes_every_value_from_the_field() -> None:
    report = mislabel_report(
        [summary("SUP-X", HOSTILE, 10, codes={HOSTILE: 1}, fees={(HOSTILE, "CNY"): Decimal(1)})]
    )
    hostile = line(1, supplier_id="SUP-X", supplier_name=HOSTILE, codes=(HOSTILE, "no_label"),
                   station=HOSTILE, operator=HOSTILE, carrier=HOSTILE, order_no=HOSTILE,
                   tracking_no=HOSTILE, action=HOSTILE, state=HOSTILE)  # fmt: skip
    page = render_mislabels(report, iter([hostile]), url=lambda _s: 'x" onerror="alert(1)')
    tags = well_formed(page)
    assert tags.count("script") == 0
    assert all("onerror" not in attrs for _tag, attrs in tags.started)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert page.count("&lt;script&gt;") >= 10  # summary, chart, legend, every cell of the row


def test_sla_html_escapes_every_value() -> None:
    late = [LateReadyToShip(HOSTILE, HOSTILE, HOSTILE, GENERATED, None, 3.0)]
    delays = [CarrierDelay(HOSTILE, "S", HOSTILE, HOSTILE, HOSTILE, GENERATED, GENERATED, 1.0)]
    never = [NeverReceived(HOSTILE, "S", HOSTILE, HOSTILE, HOSTILE, GENERATED, 2.0)]
    out = io.StringIO()
    write_sla_html(out, sla_report(HOSTILE), iter(late), iter(delays), iter(never))
    tags = well_formed(out.getvalue())
    assert tags.count("script") == 0 and tags.count("img") == 0
    assert "&lt;script&gt;" in out.getvalue()


def test_an_empty_day_is_a_valid_report_that_says_so() -> None:
    quiet = [TrendPoint(DAY - timedelta(days=13 - i), 0, 0) for i in range(14)]
    page = render_mislabels(mislabel_report([]), iter([]), trend=quiet)
    tags = well_formed(page)
    assert "No carton was received or mislabeled on 2026-11-28 (Asia/Shanghai)." in page
    assert "No carton was mislabeled." in page
    assert tags.count("tr", "line") == 0 and tags.count("table") == 0


def test_summary_has_a_totals_row_with_one_total_per_currency() -> None:
    page = render_mislabels(day_report(), day_lines())
    tags = well_formed(page)
    assert tags.count("tr", "total") == 2  # the counts table and the fees table
    totals = re.findall(r'<tr class="total">(.*?)</tr>', page)
    assert ">Total</th>" in totals[0]
    # 412 + 198 + 530 + 6 cartons, 3 + 1 + 4 + 2 mislabeled; defects: 2 + 2 no_label ...
    assert '<th class="num">1,146</th><th class="num">10</th>' in totals[0]
    assert '<th class="num">0.9 %</th>' in totals[0]
    # Fees: CNY 42.50 + 77.50 + 60.00, USD 2.80 + 1; hold_return only for the unknown order.
    assert totals[1].endswith('<th class="num">180.00 CNY<br>3.80 USD</th>')
    assert '<th class="num">60.00 CNY</th>' in totals[1]
    assert "unknown order (no supplier)" in page
    assert f"{CHINESE} (SUP-DG01)" in page


def test_rows_show_local_time_fee_and_thumbnail_or_photo_id() -> None:
    page = render_mislabels(day_report(), day_lines(), url=lambda s: None if s == SHA else "u")
    tags = well_formed(page)
    assert tags.count("tr", "line") == 5
    assert tags.count("tr", "group") == 4  # a heading row per supplier, the unknown one too
    assert '<td class="time">2026-11-28 23:59</td>' in page
    assert "27.50 CNY" in page and "2.80 USD" in page and "15.00 CNY" in page
    assert '<span class="photo-id">9f6adfc2d5e3</span>' in page  # no URL: the start of the id
    with_urls = render_mislabels(day_report(), day_lines())
    assert with_urls.count(f'src="https://intake.example/photos/{SHA}"') == 4


def test_charts_are_inline_svg_with_a_legend_and_gaps_in_the_trend() -> None:
    page = render_mislabels(day_report(), day_lines())
    tags = well_formed(page)
    assert tags.count("svg") == 2
    assert tags.count("script") == 0 and tags.count("link") == 0
    # Stacked bars: one segment per supplier and code (2 + 1 + 2 + 1), plus one legend swatch per
    # code (5) and a shaded rect per trend day without cartons (2).
    assert (
        sum(1 for t, a in tags.started if t == "rect" and a.get("class", "").startswith("c")) == 11
    )
    assert tags.count("rect", "gap") == 2
    assert tags.count("polyline", "trend") == 3  # the line breaks at each gap
    assert tags.count("circle", "trend") == 12


def test_20000_lines_are_written_as_they_stream() -> None:
    out = io.StringIO()
    written_while_streaming: list[int] = []

    def lines() -> Iterator[MislabelLine]:
        for n in range(20_000):
            if n == 10_000:
                written_while_streaming.append(out.tell())
            yield line(n, codes=("missing_postcode", "forbidden_qr"))

    report = mislabel_report([summary("SUP-DG01", CHINESE, 90_000, mislabeled=20_000)])
    write_mislabels_html(out, report, lines(), trend(), photo_url)
    page = out.getvalue()
    assert page.count('<tr class="line">') == 20_000
    # Half-way through the stream, the first half of the rows is already out.
    assert written_while_streaming[0] > page.index('<tr class="line">') + 5_000 * 400
    assert page.endswith("</html>\n")


def test_sla_html_sections_with_counts_and_none() -> None:
    late, delays, _never = sla_rows()
    out = io.StringIO()
    write_sla_html(out, sla_report(), iter(late), iter(delays), iter([]))
    page = out.getvalue()
    tags = well_formed(page)
    assert "<h1>SLA report 2026-11-01 – 2026-11-28</h1>" in page
    assert re.search(r"Orders marked ready to ship late <span class=\"count\">2 orders", page)
    assert re.search(r"Cartons delayed by the carrier <span class=\"count\">1 carton<", page)
    assert re.search(r"never received <span class=\"count\">0 orders</span></h2>", page)
    assert '<p class="empty">none</p>' in page
    assert "complaint against the logistics provider" in page
    assert "more than 120 hours (pickup and transit allowance)" in page
    assert "<td>not marked</td>" in page
    assert "<td>2026-11-03 10:15</td>" in page  # 02:15 UTC in Shanghai
    assert '<td class="num">17.2 h</td>' in page
    assert tags.count("tr", "row") == 3


# --- HTML in Chromium ----------------------------------------------------------------------------


@needs_chromium
def test_html_in_chromium_screen_and_print(tmp_path: Path) -> None:
    page_file = tmp_path / "mislabel-report.html"
    page_file.write_text(render_mislabels(day_report(), day_lines()), encoding="utf-8")
    sla_file = tmp_path / "sla-report.html"
    late, delays, never = sla_rows()
    with sla_file.open("w", encoding="utf-8") as f:
        write_sla_html(f, sla_report(), iter(late), iter(delays), iter(never))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_file.as_uri())
            page.screenshot(path=str(tmp_path / "mislabel-report.png"), full_page=True)
            assert not errors
            assert page.locator("tr.line").count() == 5
            assert page.locator("svg rect.c2").count() >= 1  # no_label's colour
            # The Chinese names are drawn with a font that has their glyphs, not as boxes.
            families = _fonts_of(page, "tr.group th")
            assert any("Droid" in f or "CJK" in f for f in families), families
            # Print: no shadows, the header row repeats, rows do not break across pages.
            page.emulate_media(media="print")
            assert page.eval_on_selector("section", "e => getComputedStyle(e).boxShadow") == "none"
            thead = page.eval_on_selector("table.lines thead", "e => getComputedStyle(e).display")
            assert thead == "table-header-group"
            row = page.eval_on_selector("tr.line", "e => getComputedStyle(e).breakInside")
            assert row == "avoid"
            page.pdf(path=str(tmp_path / "printed.pdf"))
            page.goto(sla_file.as_uri())
            page.screenshot(path=str(tmp_path / "sla-report.png"), full_page=True)
            assert page.locator("section.sla").count() == 3
        finally:
            browser.close()
    shot = Image.open(tmp_path / "mislabel-report.png")
    assert shot.width == 1280 and shot.height > 1500
    assert len(shot.convert("RGB").getcolors(1 << 20) or []) > 50  # drawn, not a blank page


def _fonts_of(page: Any, selector: str) -> list[str]:
    """The fonts Chromium actually used for an element's text (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return [f["familyName"] for f in fonts]


# --- PDF -----------------------------------------------------------------------------------------


@needs_poppler
def test_mislabel_pdf_shows_the_day_with_chinese_names(tmp_path: Path) -> None:
    out = io.BytesIO()
    write_mislabels_pdf(out, day_report(), day_lines(), trend(), thumbnail_jpeg)
    path = tmp_path / "mislabel-report.pdf"
    path.write_bytes(out.getvalue())
    text = pdf_text(out.getvalue(), tmp_path)
    assert "Mislabel report 2026-11-28" in text
    assert "warehouse time zone Asia/Shanghai" in text
    assert CHINESE in text and "深圳市华强北电子科技有限公司" in text
    assert "unknown order (no supplier)" in text
    assert re.search(r"Total\s+1,146\s+10\s+0\.9 %", text)
    assert "180.00 CNY" in text and "3.80 USD" in text
    assert "2026-11-28 23:59" in text and "27.50 CNY" in text
    assert "Mislabels by supplier and defect code" in text and "forbidden_qr" in text
    assert "Mislabel rate, last 14 days" in text
    fonts = pdf_fonts(path)
    assert "DroidSansFallback" in fonts and "DejaVuSans" in fonts
    pages = pdf_pages_png(path)
    assert pages and all(Image.open(p).width > 600 for p in pages)


@needs_poppler
def test_mislabel_pdf_of_an_empty_day(tmp_path: Path) -> None:
    out = io.BytesIO()
    write_mislabels_pdf(out, mislabel_report([], "SUP-DG01"), iter([]), [], thumbnail_jpeg)
    text = pdf_text(out.getvalue(), tmp_path)
    assert "No carton was received or mislabeled on 2026-11-28 (Asia/Shanghai)." in text
    assert "Supplier SUP-DG01" in text
    assert "No carton was mislabeled." in text


@needs_poppler
def test_pdf_takes_field_values_literally_and_survives_a_bad_thumbnail(tmp_path: Path) -> None:
    report = mislabel_report([summary("SUP-X", "<b>Acme & <i>", 10)])
    rows = iter([line(1, supplier_id="SUP-X", supplier_name="<b>Acme & <i>", station="<br/>",
                      operator="</para>", codes=("<font>",))])  # fmt: skip
    out = io.BytesIO()
    write_mislabels_pdf(out, report, rows, trend(), lambda _s: b"not a jpeg")
    text = pdf_text(out.getvalue(), tmp_path)
    assert "<b>Acme & <i> (SUP-X)" in text
    assert "<br/>" in text and "</para>" in text and "<font>" in text
    assert "9f6adfc2" in text  # no thumbnail: the start of the photo's id


@needs_poppler
def test_long_pdf_repeats_the_column_header_on_every_page(tmp_path: Path) -> None:
    report = mislabel_report([summary("SUP-DG01", CHINESE, 9_000, mislabeled=600)])
    lines = (line(n, photo_sha256=SHA if n % 2 else None) for n in range(600))
    out = io.BytesIO()
    write_mislabels_pdf(out, report, lines, trend(), thumbnail_jpeg)
    text = pdf_text(out.getvalue(), tmp_path)
    pages = text.split("\f")[:-1]
    assert len(pages) > 10
    carton_pages = [p for p in pages if "5764704711" in p]
    assert all("Order no." in p and "Tracking no." in p for p in carton_pages)
    assert sum(p.count("2026-11-28 23:59") for p in pages) == 600
    assert "page 2" in pages[1]


@needs_poppler
def test_sla_pdf(tmp_path: Path) -> None:
    late, delays, _never = sla_rows()
    out = io.BytesIO()
    write_sla_pdf(out, sla_report("SUP-DG01"), iter(late), iter(delays), iter([]))
    path = tmp_path / "sla-report.pdf"
    path.write_bytes(out.getvalue())
    text = pdf_text(out.getvalue(), tmp_path)
    assert "SLA report 2026-11-01 – 2026-11-28" in text
    assert "Supplier SUP-DG01" in text
    assert "Orders marked ready to ship late — 2 orders" in text
    assert "Cartons delayed by the carrier — 1 carton" in text
    assert "complaint against the logistics provider" in text and "more than 120 hours" in text
    assert "Orders ready to ship but never received — 0 orders" in text
    assert re.search(r"never received — 0 orders\s+Marked ready.*\n\s*none", text)
    assert "not marked" in text and "杭州丝路服饰有限公司" in text
    assert "DroidSansFallback" in pdf_fonts(path)
    assert pdf_pages_png(path)
