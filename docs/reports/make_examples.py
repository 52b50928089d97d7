"""Regenerate the example reports in docs/reports/ from fixed data (no database).

    .venv/bin/python docs/reports/make_examples.py

Writes mislabel-report.html and three pictures: mislabel-report.png (the HTML in headless
Chromium, full page), mislabel-report-pdf.png (the PDF's first page) and sla-report.png (the SLA
report's HTML). Needs Debian's chromium and poppler-utils (pdftoppm). The evidence photos are the
sample label photos of sample_images/labels/, as thumbnails inlined in the page.
"""

import base64
import hashlib
import io
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from api.reporthtml import write_mislabels_html, write_sla_html  # noqa: E402
from api.reportpdf import write_mislabels_pdf, write_sla_pdf  # noqa: E402
from intake.reports import (  # noqa: E402
    CarrierDelay,
    LateReadyToShip,
    MislabelLine,
    MislabelReport,
    NeverReceived,
    SlaReport,
    SupplierSummary,
    TrendPoint,
)
from intake.sla import SlaHours  # noqa: E402

OUT = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
LABELS = REPO / "sample_images" / "labels"
ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 28)
MAX_PNG_BYTES = 300_000
MISSING_PHOTO = 17  # the carton whose evidence photo is not in the store

SUPPLIERS: list[tuple[str | None, str | None, int]] = [  # id, name, cartons received
    ("SUP-DG01", "东莞市恒通五金制品厂", 412),
    ("SUP-HZ07", "杭州丝路服饰有限公司", 265),
    ("SUP-NB03", "Ningbo Harbour Textiles Co., Ltd.", 198),
    ("SUP-SZ12", "深圳市华强北电子科技有限公司", 530),
    ("SUP-YW05", "义乌市佳美日用品有限公司", 344),
    (None, None, 6),  # cartons whose order nobody knows
]
# Each mislabeled carton: supplier index, its defect codes, state.
CARTONS: list[tuple[int, tuple[str, ...], str]] = [
    (0, ("missing_postcode",), "relabeled"), (0, ("forbidden_qr",), "relabeled"),
    (0, ("missing_postcode", "forbidden_qr"), "open"), (0, ("unreadable",), "relabeled"),
    (0, ("forbidden_qr",), "waived"), (0, ("missing_postcode",), "open"),
    (0, ("forbidden_contact",), "relabeled"), (0, ("missing_postcode",), "relabeled"),
    (1, ("no_label",), "relabeled"), (1, ("buyer_mismatch",), "open"),
    (1, ("no_label",), "relabeled"), (1, ("forbidden_link",), "relabeled"),
    (2, ("unreadable",), "relabeled"), (2, ("missing_postcode",), "open"),
    (2, ("unreadable", "missing_postcode"), "relabeled"),
    (3, ("forbidden_qr",), "relabeled"), (3, ("forbidden_qr", "forbidden_contact"), "relabeled"),
    (3, ("missing_postcode",), "relabeled"), (3, ("no_label",), "open"),
    (3, ("forbidden_qr",), "relabeled"), (3, ("unreadable",), "relabeled"),
    (3, ("forbidden_link",), "waived"), (3, ("forbidden_qr",), "open"),
    (3, ("buyer_mismatch",), "relabeled"), (3, ("missing_postcode",), "relabeled"),
    (3, ("forbidden_qr",), "relabeled"), (3, ("no_label",), "relabeled"),
    (4, ("missing_postcode",), "relabeled"), (4, ("unreadable",), "open"),
    (4, ("forbidden_contact",), "relabeled"), (4, ("missing_postcode", "buyer_mismatch"), "open"),
    (4, ("forbidden_qr",), "relabeled"), (4, ("no_label",), "relabeled"),
    (4, ("missing_postcode",), "relabeled"), (4, ("forbidden_qr",), "relabeled"),
    (4, ("unreadable",), "relabeled"),
    (5, ("unknown_order",), "open"), (5, ("unknown_order",), "returned"),
    (5, ("unknown_order", "no_label"), "open"), (5, ("unknown_order",), "disposed"),
]  # fmt: skip
FEES = {  # code -> fee in CNY when the consignee is known (data/fee_schedule.toml, 2026-01)
    "no_label": Decimal("20.00"), "unreadable": Decimal("20.00"),
    "missing_postcode": Decimal("15.00"), "buyer_mismatch": Decimal("20.00"),
    "forbidden_qr": Decimal("12.50"), "forbidden_link": Decimal("12.50"),
    "forbidden_contact": Decimal("12.50"),
}  # fmt: skip
UNKNOWN_FEE = Decimal("30.00")  # hold_return, whatever the code, when no order is known
USD_SUPPLIER = 2  # billed in USD since their contract changed: two currencies on one day
USD_RATE = Decimal("0.14")
CARRIERS = ["SF Express", "ZTO", "YTO", "J&T", "Yunda", "JD"]
STATIONS = [("ST-01", "王芳"), ("ST-02", "Li Wei"), ("ST-03", "张强")]
TREND = [  # (received, mislabeled) for the 13 days before DAY; (0, 0) is a closed day
    (1510, 41), (1622, 37), (1490, 52), (0, 0), (1705, 38), (1660, 45), (1580, 61),
    (1733, 44), (1690, 39), (1411, 33), (0, 0), (1802, 48), (1755, 42),
]  # fmt: skip


@dataclass(frozen=True)
class Photo:
    sha256: str
    jpeg: bytes  # a small thumbnail


def photos() -> list[Photo]:
    """Thumbnails of the sample label photos, named by the hash of the photo, as the store does."""
    found = []
    for path in sorted(LABELS.glob("label_*.jpg"))[: len(CARTONS)]:
        data = path.read_bytes()
        image = Image.open(io.BytesIO(data))
        image.thumbnail((96, 96))  # shown 48 px wide: sharp on a HiDPI screen too
        out = io.BytesIO()
        image.convert("RGB").save(out, format="JPEG", quality=60)
        found.append(Photo(hashlib.sha256(data).hexdigest(), out.getvalue()))
    return found


def _fee(supplier: int, codes: tuple[str, ...], state: str) -> tuple[str, Decimal, str]:
    """(action, fee owed, currency) of a carton, as intake/reports.py adds them up."""
    if SUPPLIERS[supplier][0] is None:
        return "hold_return", Decimal(0) if state == "waived" else UNKNOWN_FEE * len(codes), "CNY"
    fee = Decimal(0) if state == "waived" else sum((FEES[c] for c in codes), Decimal(0))
    if supplier == USD_SUPPLIER:
        return "relabel", (fee * USD_RATE).quantize(Decimal("0.01")), "USD"
    return "relabel", fee, "CNY"


def mislabel_lines(photo_list: list[Photo]) -> list[MislabelLine]:
    """The day's mislabeled cartons, by supplier then time, as mislabel_lines streams them."""
    start = datetime(2026, 11, 28, 0, 40, tzinfo=UTC)  # 08:40 in Shanghai
    lines = []
    for n, (supplier, codes, state) in enumerate(sorted(CARTONS, key=lambda c: c[0])):
        supplier_id, name, _received = SUPPLIERS[supplier]
        action, fee, currency = _fee(supplier, codes, state)
        station, operator = STATIONS[n % len(STATIONS)]
        known = supplier_id is not None
        lines.append(
            MislabelLine(
                carton_id=90_100 + n,
                supplier_id=supplier_id,
                supplier_name=name,
                order_no=f"5764704711{53815409 + n * 7919:08d}" if known or n % 2 else None,
                tracking_no=f"JT{2035790002163 + n * 104729}" if n % 9 else None,
                carrier=CARRIERS[(n * 5) % len(CARRIERS)],
                codes=codes,
                station=station,
                operator=operator,
                found_at=start + timedelta(minutes=supplier * 97 + n * 11),
                action=action,
                state=state,
                fee=fee,
                currency=currency,
                photo_sha256=photo_list[n].sha256 if n % 13 != 5 else None,
            )
        )
    return lines


def mislabel_report(lines: list[MislabelLine]) -> MislabelReport:
    """The summaries that the lines add up to."""
    summaries = []
    for index, (supplier_id, name, received) in enumerate(SUPPLIERS):
        mine = [(c, line) for c, line in zip(sorted(CARTONS, key=lambda c: c[0]), lines,
                                             strict=True) if c[0] == index]  # fmt: skip
        codes: dict[str, int] = {}
        fees: dict[tuple[str, str], Decimal] = {}
        for (_s, carton_codes, _state), line in mine:
            for code in carton_codes:
                codes[code] = codes.get(code, 0) + 1
            key = (line.action, line.currency)
            fees[key] = fees.get(key, Decimal(0)) + line.fee
        summaries.append(
            SupplierSummary(
                supplier_id, name, received, len(mine), dict(sorted(codes.items())), fees
            )
        )
    generated = datetime(2026, 11, 29, 0, 5, tzinfo=UTC)
    return MislabelReport(DAY, ZONE, None, generated, summaries)


def trend(report: MislabelReport) -> list[TrendPoint]:
    total = report.totals()
    days = [DAY - timedelta(days=13 - i) for i in range(14)]
    counts = [*TREND, (total.cartons_received, total.cartons_mislabeled)]
    return [TrendPoint(d, r, m) for d, (r, m) in zip(days, counts, strict=True)]


def sla_example() -> tuple[SlaReport, list[LateReadyToShip], list[CarrierDelay],
                           list[NeverReceived]]:  # fmt: skip
    """A month's SLA evidence: a few late suppliers, delayed cartons, lost orders."""
    report = SlaReport(date(2026, 11, 1), date(2026, 11, 28), ZONE, None, SlaHours(),
                       datetime(2026, 11, 29, 0, 5, tzinfo=UTC))  # fmt: skip

    def at(day: int, hour: int) -> datetime:
        return datetime(2026, 11, day, hour, 15, tzinfo=UTC)

    late = [
        LateReadyToShip("576470471153815409", "SUP-DG01", SUPPLIERS[0][1] or "", at(3, 2),
                        at(6, 9), 7.0),
        LateReadyToShip("576470471153899120", "SUP-DG01", SUPPLIERS[0][1] or "", at(12, 5),
                        at(16, 1), 20.0),
        LateReadyToShip("576470471154102277", "SUP-HZ07", SUPPLIERS[1][1] or "", at(9, 7),
                        None, 17.25),
        LateReadyToShip("576470471154238800", "SUP-SZ12", SUPPLIERS[3][1] or "", at(21, 3),
                        at(24, 11), 8.0),
        LateReadyToShip("576470471154239913", "SUP-SZ12", SUPPLIERS[3][1] or "", at(25, 8),
                        None, 16.0),
    ]  # fmt: skip
    delays = [
        CarrierDelay("576470471153821002", "SUP-HZ07", SUPPLIERS[1][1] or "", "ZTO",
                     "ZTO73500912834", at(4, 6), at(10, 2), 20.0),
        CarrierDelay("576470471153830441", "SUP-NB03", SUPPLIERS[2][1] or "", "YTO",
                     "YT8812390344120", at(11, 1), at(17, 9), 32.0),
        CarrierDelay("576470471154002519", "SUP-YW05", SUPPLIERS[4][1] or "", "J&T",
                     "JT2035790002163", at(19, 9), at(25, 4), 19.0),
    ]  # fmt: skip
    never = [
        NeverReceived("576470471154310038", "SUP-SZ12", SUPPLIERS[3][1] or "", "SF Express",
                      "SF1402938475611", at(18, 4), 58.0),
        NeverReceived("576470471154317756", "SUP-YW05", SUPPLIERS[4][1] or "", "Yunda",
                      "4312987755012", at(22, 10), 14.5),
    ]  # fmt: skip
    return report, late, delays, never


def screenshot(html_file: Path, png: Path, width: int = 1280) -> None:
    """The page in headless Chromium, full length, as a small palette PNG."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.goto(html_file.as_uri())
            # A full-page picture shows the rows below the fold: load their lazy thumbnails.
            page.evaluate("document.querySelectorAll('img').forEach(i => i.loading = 'eager')")
            page.wait_for_load_state("networkidle")
            page.wait_for_function("[...document.images].every(i => i.complete)")
            page.screenshot(path=str(png), full_page=True)
        finally:
            browser.close()
    _shrink(png)


def pdf_first_page(pdf: bytes, png: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "report.pdf"
        source.write_bytes(pdf)
        prefix = Path(tmp) / "page"
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(source),
                        str(prefix)], check=True)  # fmt: skip
        (page,) = Path(tmp).glob("page*.png")
        png.write_bytes(page.read_bytes())
    _shrink(png)


def _shrink(png: Path) -> None:
    """128 colours: the pages are flat colours and text; keeps each picture under 300 KB."""
    image = Image.open(png).convert("RGB")
    image.quantize(128, method=Image.Quantize.MEDIANCUT).save(png, optimize=True)
    if png.stat().st_size > MAX_PNG_BYTES:
        raise SystemExit(f"{png} is {png.stat().st_size:,} bytes, over {MAX_PNG_BYTES:,}")


def main() -> None:
    photo_list = photos()
    # One photo is recorded but missing from the store: its row shows the start of its id.
    by_sha = {p.sha256: p.jpeg for n, p in enumerate(photo_list) if n != MISSING_PHOTO}
    lines = mislabel_lines(photo_list)
    report = mislabel_report(lines)
    points = trend(report)

    def photo_url(sha256: str) -> str | None:
        jpeg = by_sha.get(sha256)
        return f"data:image/jpeg;base64,{base64.b64encode(jpeg).decode()}" if jpeg else None

    html_path = OUT / "mislabel-report.html"
    with html_path.open("w", encoding="utf-8") as f:
        write_mislabels_html(f, report, iter(lines), points, photo_url)
    screenshot(html_path, OUT / "mislabel-report.png")
    pdf = io.BytesIO()
    write_mislabels_pdf(pdf, report, iter(lines), points, by_sha.get)
    pdf_first_page(pdf.getvalue(), OUT / "mislabel-report-pdf.png")

    sla, late, delays, never = sla_example()
    with tempfile.TemporaryDirectory() as tmp:
        sla_html = Path(tmp) / "sla-report.html"
        with sla_html.open("w", encoding="utf-8") as f:
            write_sla_html(f, sla, iter(late), iter(delays), iter(never))
        screenshot(sla_html, OUT / "sla-report.png")
    if len(sys.argv) > 1:  # a folder for the PDFs too, to look at every page
        folder = Path(sys.argv[1])
        (folder / "mislabel-report.pdf").write_bytes(pdf.getvalue())
        with (folder / "sla-report.pdf").open("wb") as f:
            write_sla_pdf(f, sla, iter(late), iter(delays), iter(never))
    for name in ("mislabel-report.png", "mislabel-report-pdf.png", "sla-report.png"):
        print(f"{OUT / name}: {(OUT / name).stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
