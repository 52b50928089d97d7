"""Hostile input through the real entry points (a real `intake serve` on SQLite and PostgreSQL, and
the `intake` command): uploads that are no usable photo, or an unusual but valid one; scanned codes
and names with control characters, SQL or HTML; order-book cells a spreadsheet would run as
formulas. Each is answered clearly (never a 5xx), kept as text, and shown escaped or neutralised."""

import csv
import functools
import io
import json
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from PIL import Image
from sqlalchemy.engine import Engine

from tests.api.conftest import SAMPLE_ORDERS, Server
from tests.api.test_http_api import LABELS, MANIFEST, ORDER_NO, _error
from tests.factories import order_row, write_csv
from tests.scanner.images import (
    animated_gif,
    cmyk_jpeg,
    encoded,
    exif_turned_jpeg,
    gray16_png,
    jpeg_claiming,
    parcel,
    png_bomb,
    png_claiming,
)

SAMPLE_ORDER_COUNT = 72
REFUSALS_MAX_GROWTH = 100 * 1024 * 1024  # what refusing bad uploads may add to the peak RSS


# --- image uploads -------------------------------------------------------------------------------


@functools.cache
def _bomb() -> bytes:
    return png_bomb(50_000, 50_000)  # 300 KB that decode to 2.5 GB


def _refused() -> list[tuple[str, bytes, int, str, str]]:
    """(file name, bytes, status, error, what the detail names) of uploads that are no photo."""
    label = (LABELS / "label_001.jpg").read_bytes()
    png = encoded(Image.open(LABELS / "label_001.jpg"), "PNG")
    pdf = encoded(Image.new("RGB", (200, 100), "white"), "PDF")
    program = Path(sys.executable).resolve().read_bytes()[:65_536]
    return [
        ("empty.jpg", b"", 422, "image_damaged", "empty file (0 bytes)"),
        ("cut.jpg", label[:20_000], 422, "image_damaged", "truncated JPEG"),
        ("cut.png", png[: len(png) // 2], 422, "image_damaged", "truncated PNG"),
        ("big.png", png_claiming(8000, 7500), 413, "image_too_large", "8000×7500 pixels"),
        ("bomb.png", _bomb(), 413, "image_too_large", "50000×50000 pixels"),
        ("bomb.jpg", jpeg_claiming(60_000, 60_000), 413, "image_too_large", "60000×60000"),
        ("anim.gif", animated_gif(), 415, "image_not_image", "GIF images are not accepted"),
        ("invoice.jpg", pdf, 415, "image_not_image", "not an image (PNG, JPEG"),
        ("program.jpg", program, 415, "image_not_image", "not an image (PNG, JPEG"),
    ]


def _peak_rss(server: Server) -> int:
    """The server process's peak resident memory so far (VmHWM), in bytes."""
    assert server.process is not None
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    (line,) = [line for line in status.splitlines() if line.startswith("VmHWM:")]
    return int(line.split()[1]) * 1024


@pytest.mark.slow
def test_an_upload_that_is_no_usable_photo_is_a_clear_4xx_in_bounded_memory(
    server: Server,
) -> None:
    refused = _refused()
    with server.client("station") as station:
        # A real photo first: the text reader is loaded and normal work has set the peak.
        real = {"photo": ("c.jpg", (LABELS / "label_001.jpg").read_bytes(), "image/jpeg")}
        assert station.post("/scans/photo", data={"operator": "mei", "dry_run": "true"},
                            files=real).status_code == 200  # fmt: skip
        before = _peak_rss(server)
        for _ in range(3):  # a station retrying: each time refused unread
            for name, data, status, error, words in refused:
                upload = (name, data, "image/jpeg")
                answer = station.post("/scans/photo", data={"operator": "mei"},
                                      files={"photo": upload})  # fmt: skip
                frame = station.post("/frames", files={"frame": upload})
                for got in (answer, frame):
                    assert words in str(_error(got, status, error)["detail"]), (name, got.text)
        after = _peak_rss(server)
        assert station.post("/scans", json={"code": "X1", "operator": "mei"}).status_code == 200

    assert after - before < REFUSALS_MAX_GROWTH, f"peak RSS grew {(after - before) >> 20} MB"


def _sample_cartons(n: int) -> list[tuple[str, str]]:
    """(order number, waybill number) of the first n sample cartons."""
    return [(i["order"]["order_no"], i["waybill"]["tracking_no"]) for i in MANIFEST["images"][:n]]


@pytest.mark.slow
def test_unusual_but_valid_photos_get_a_normal_decision(server: Server) -> None:
    # Each format carries another carton's waybill: its decision shows the code was read.
    writers = {
        "cmyk.jpg": cmyk_jpeg,
        "deep.png": gray16_png,
        "phone.jpg": exif_turned_jpeg,
        "scan.tiff": lambda pixels: encoded(Image.fromarray(pixels[:, :, ::-1]), "TIFF"),
    }
    cartons = _sample_cartons(len(writers))
    with server.client("station") as station:
        for (name, write), (order_no, tracking_no) in zip(writers.items(), cartons, strict=True):
            data = write(parcel([("Code128", tracking_no)]))
            frame = station.post("/frames", files={"frame": (name, data, "image/jpeg")})
            photo = station.post("/scans/photo", data={"operator": "mei"},
                                 files={"photo": (name, data, "image/jpeg")})  # fmt: skip

            assert frame.status_code == 200, (name, frame.text)
            # Upright as the camera saw it: the phone's EXIF turn is applied before reading.
            assert (frame.json()["width"], frame.json()["height"]) == (1280, 720), name
            assert [b["text"] for b in frame.json()["barcodes"]] == [tracking_no], name
            assert photo.status_code == 200, (name, photo.text)
            assert photo.json()["outcome"] == "received", (name, photo.json()["message"])
            assert photo.json()["order_no"] == order_no and photo.json()["verdict"], name


# --- scanned codes and names ---------------------------------------------------------------------

HOSTILE_CODES = [
    "\x00\x01\x1b[2J\x7f",
    "A" * 10_000,
    "1'; DROP TABLE orders;--",
    "' OR '1'='1",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "SF123\u202e4567",  # a right-to-left override inside a plausible code
]


@pytest.mark.slow
def test_hostile_scans_are_journaled_as_text_and_the_order_book_stays_whole(
    server: Server, engine: Engine
) -> None:
    with server.client("station", "<b>Dock</b> 9") as station, server.client("viewer") as viewer:
        answers = [station.post("/scans", json={"code": c, "operator": "mei"}).json()
                   for c in HOSTILE_CODES]  # fmt: skip
        # Names go on screens and reports: printable text is kept as it is, control characters
        # are refused.
        for scan, key in (
            ({"operator": "mei\x00"}, "x"),
            ({"operator": "mei", "station": "\x1b[31m"}, "x"),
            ({"operator": "mei"}, "'; DROP TABLE scan_events;--"),
        ):
            refused = station.post("/scans", json={"code": "X1"} | scan,
                                   headers={"Idempotency-Key": key})  # fmt: skip
            _error(refused, 422, "invalid_input")
        listed = viewer.get("/orders", params={"limit": 500}).json()
        looked_up = viewer.get(f"/orders/{ORDER_NO}")

    assert [a["outcome"] for a in answers] == ["invalid"] * len(HOSTILE_CODES)
    with engine.connect() as connection:
        journal = connection.execute(
            sa.text("SELECT raw_code, station, outcome FROM scan_events ORDER BY id")
        ).all()
    assert [row.outcome for row in journal] == ["invalid"] * len(HOSTILE_CODES)
    for code, row in zip(HOSTILE_CODES, journal, strict=True):
        assert row.raw_code.isprintable() and len(row.raw_code) <= 600, row.raw_code
        if code.isprintable() and len(code) < 100:
            assert row.raw_code == code  # text, kept as it came: shown escaped where shown
        assert row.station == "<b>Dock</b> 9"
    assert journal[0].raw_code == "\\x00\\x01\\x1b[2J\\x7f"
    assert len(listed["orders"]) == SAMPLE_ORDER_COUNT and listed["next_after"] is None
    assert looked_up.status_code == 200


def test_control_characters_in_a_look_up_are_a_clear_422_on_either_database(
    server: Server, engine: Engine
) -> None:
    """A NUL (which PostgreSQL refuses in any text) or an escape in an order number or a filter
    is named in a 422, never a 500, and nothing stored changes."""
    with engine.connect() as connection:
        before = connection.execute(sa.text("SELECT count(*) FROM orders")).scalar_one()
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    looks = [
        ("viewer", "/orders/%00", {}, "the order number"),
        ("viewer", f"/orders/{ORDER_NO}%1b[2J", {}, "the order number"),
        ("viewer", "/orders", {"supplier": "SUP\x00"}, "the supplier"),
        ("viewer", "/orders", {"after": "1\x00"}, "the order number to start after"),
        ("billing", "/mislabels", {"date": day, "supplier": "\x00"}, "the supplier"),
        ("billing", "/reports/mislabels", {"date": day, "supplier": "\x00"}, "the supplier"),
    ]
    for role, path, params, named in looks:
        with server.client(role) as client:
            answer = client.get(path, params=params)
        body = _error(answer, 422, "invalid_input")
        assert body["detail"] == f"{named} contains control characters", (path, params)
    # Wide spaces are text: an IME's ideographic space in a name, a no-break space in a filter.
    with server.client("viewer") as viewer, server.client("station") as station:
        assert viewer.get(f"/orders/{ORDER_NO}").status_code == 200
        assert viewer.get("/orders", params={"supplier": "SUP\u00a0X"}).json()["orders"] == []
        scanned = station.post("/scans", json={"code": "X1", "operator": "王\u3000伟"})
        assert scanned.status_code == 200 and scanned.json()["outcome"] == "unknown"
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM orders")).scalar_one() == before
        operators = connection.execute(sa.text("SELECT operator FROM scan_events")).scalars()
        assert list(operators) == ["王\u3000伟"]
    shown = server.cli("orders", "show", f"{ORDER_NO}\x1b[2J")
    assert shown.exit_code == 2
    assert shown.stderr == "error: the order number contains control characters\n"


# --- formulas and markup from the order book, in the reports -------------------------------------

FORMULAS = [
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    '\t=HYPERLINK("http://x.example")',
    "\r=1+1",
]
MARKUP = "<script>alert(1)</script>"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _hostile_book(tmp_path: Path) -> bytes:
    """Label 57's order under a supplier named like a formula, and one order per formula in every
    text column, late ready to ship (the SLA report lists them)."""
    with SAMPLE_ORDERS.open(encoding="utf-8") as f:
        (labelled,) = [r for r in csv.DictReader(f) if r["order_no"] == _label_057()["order_no"]]
    rows = [labelled | {"supplier_name": FORMULAS[0]}]
    for i, formula in enumerate(FORMULAS):
        rows.append(order_row(supplier_id=f"SUP-HOSTILE-{i}", supplier_name=formula,
                              supplier_address=formula, buyer_name=formula,
                              buyer_address=formula, carrier=formula[:32],
                              ready_to_ship_at=""))  # fmt: skip
    rows.append(order_row(supplier_id="SUP-HOSTILE-HTML", supplier_name=MARKUP, buyer_name=MARKUP,
                          ready_to_ship_at=""))  # fmt: skip
    return write_csv(tmp_path / "book.csv", rows).read_bytes()


def _label_057() -> dict[str, str]:
    (image,) = [i for i in MANIFEST["images"] if i["file"] == "label_057.jpg"]
    return dict(image["order"])


def _csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def _neutralised(text: str, *, shows: list[str]) -> None:
    cells = _csv_cells(text)
    assert not [c for c in cells if c.startswith(_FORMULA_STARTS)], text
    for value in shows:
        assert "'" + value.strip() in cells, (value, text)


@pytest.mark.slow
def test_formulas_and_markup_from_the_order_book_are_neutralised_in_every_report(
    server: Server, tmp_path: Path
) -> None:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    operator, station_name = FORMULAS[3], "<img src=x onerror=alert(1)>"
    photo = {"photo": ("label_057.jpg", (LABELS / "label_057.jpg").read_bytes(), "image/jpeg")}
    sla = {"from": "2026-11-20", "to": "2026-11-20"}
    with server.client("admin") as admin, server.client("station") as station:
        imported = admin.post(
            "/orders/import", files={"file": ("book.csv", _hostile_book(tmp_path))}
        )
        who = {"operator": operator, "station": station_name}
        inspected = station.post("/scans/photo", files=photo, data=who).json()
        hostile = admin.get("/orders", params={"supplier": "SUP-HOSTILE-0"}).json()["orders"]
        stored = admin.get(f"/orders/{hostile[0]['order_no']}").json()
        reports = {
            fmt: admin.get("/reports/mislabels", params={"date": today, "format": fmt}).text
            for fmt in ("csv", "html", "json")
        }
        sla_csv = admin.get("/reports/sla", params=sla | {"format": "csv"}).text
        sla_html = admin.get("/reports/sla", params=sla | {"format": "html"}).text
    cli_csv = server.cli("report", "mislabels", "--date", today, "--format", "csv")
    cli_sla = server.cli("report", "sla", "--from", sla["from"], "--to", sla["to"],
                         "--format", "csv")  # fmt: skip

    # Imported as written (the order book is data, not a spreadsheet), only trimmed.
    assert imported.status_code == 200, imported.text
    assert imported.json()["inserted"] == len(FORMULAS) + 1 and imported.json()["rejected"] == 0
    assert stored["buyer"]["name"] == stored["supplier"]["name"] == FORMULAS[0]
    assert inspected["verdict"] == "relabel" and inspected["order_no"] == _label_057()["order_no"]
    (line,) = json.loads(reports["json"])["mislabels"]
    assert (line["supplier_name"], line["operator"]) == (FORMULAS[0], operator)
    assert line["station"] == station_name
    # Every CSV: no cell a spreadsheet would run; the values there, behind an apostrophe.
    assert cli_csv.exit_code == 0 and cli_sla.exit_code == 0, cli_csv.stderr + cli_sla.stderr
    for text in (reports["csv"], cli_csv.stdout):
        _neutralised(text, shows=[FORMULAS[0], operator])
    for text in (sla_csv, cli_sla.stdout):
        _neutralised(text, shows=FORMULAS)
    # Every HTML: the markup shown as text, never as markup.
    for text, markup in ((reports["html"], station_name), (sla_html, MARKUP)):
        assert markup not in text
        assert markup.replace("<", "&lt;").replace(">", "&gt;") in text
        assert "<script" not in text.lower()
