"""`intake relabel`: a correct replacement label, as 100×150 mm PDF pages or ZPL, per carton."""

import csv
import json
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from intake.labeltext import find_forbidden
from tests.conftest import Cli
from tests.factories import order_row, write_csv

PAGE = (100 / 25.4 * 72, 150 / 25.4 * 72)  # points
XHTML = "{http://www.w3.org/1999/xhtml}"
LONG_ADDRESS = (
    "Căn hộ 1203, tầng 12, tòa nhà Sunrise Riverside, số 25 đường Nguyễn Hữu Thọ, "
    "phường Phước Kiển, huyện Nhà Bè, Thành phố Hồ Chí Minh, gần siêu thị Lotte Mart, "
    "rẽ trái ở ngã tư thứ hai sau cây xăng Petrolimex, cổng sau khu B, lối vào bãi đỗ xe "
    "tầng hầm, giao hàng trong giờ hành chính 深圳市福田区华强北路 nhận hộ: Phòng quản lý tòa nhà"
)
LONG_SUPPLIER = "深圳市华强北电子科技有限公司（国际物流事业部跨境电商出口供应链管理中心）"
SAMPLE_BOOK = Path(__file__).resolve().parents[2] / "sample_images" / "labels" / "orders.csv"
BOARD = (95, 140, 180)  # brown carton board, BGR


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


def _import(cli: Cli, tmp_path: Path, *rows: dict[str, str]) -> None:
    result = cli("orders", "import", str(write_csv(tmp_path / "book.csv", list(rows))))
    assert result.exit_code == 0, result.stderr


def _relabel_pdf(cli: Cli, tmp_path: Path, order_no: str, *args: str) -> Path:
    out = tmp_path / "label.pdf"
    result = cli("relabel", order_no, "--format", "pdf", "--out", str(out), *args)
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF-")
    return out


def _pages(pdf: Path) -> list[tuple[float, float, list[Word]]]:
    """Each page's size in points and its words with their boxes, as pdftotext -bbox sees them."""
    xhtml = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = []
    for page in ET.fromstring(xhtml).iter(f"{XHTML}page"):
        words = [
            Word(w.text or "", *(float(w.attrib[k]) for k in ("xMin", "yMin", "xMax", "yMax")))
            for w in page.iter(f"{XHTML}word")
        ]
        pages.append((float(page.attrib["width"]), float(page.attrib["height"]), words))
    return pages


def _text(pdf: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(
        ["pdftotext", *pages, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_pdf_label_is_100_by_150_mm_and_its_barcode_reads_back(cli: Cli, tmp_path: Path) -> None:
    row = order_row()
    _import(cli, tmp_path, row)

    pdf = _relabel_pdf(cli, tmp_path, row["order_no"])

    [(width, height, _)] = _pages(pdf)
    assert (width, height) == pytest.approx(PAGE, abs=0.01)
    subprocess.run(
        ["pdftoppm", "-r", "300", "-png", "-singlefile", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    decoded = cli("decode", str(tmp_path / "page.png"), "--json")
    assert decoded.exit_code == 0, decoded.stderr
    barcodes = json.loads(decoded.stdout)["barcodes"]
    assert [(b["format"], b["text"]) for b in barcodes] == [("Code128", row["order_no"])]


def test_pdf_label_holds_every_required_field_and_nothing_forbidden(
    cli: Cli, tmp_path: Path
) -> None:
    row = order_row(buyer_address="1600 Amphitheatre Parkway, Mountain View, CA")
    _import(cli, tmp_path, row)

    text = _text(_relabel_pdf(cli, tmp_path, row["order_no"]))

    flat = _flat(text)
    assert "Cross-border Shipping Label 跨境物流面单" in flat
    for field in ("order_no", "buyer_name", "buyer_address", "buyer_postcode"):
        assert row[field] in flat, field
    assert "UNITED STATES" in flat
    assert "SHIP TO" in flat and "FROM" in flat
    assert row["supplier_name"] in flat  # 深圳市华强电子科技有限公司
    assert row["supplier_address"] in flat.replace(" ", "")
    assert "PKG" not in flat  # a one-carton order
    assert find_forbidden(text, allowed=[row["order_no"]]) == []


def test_one_page_per_package_or_only_the_one_asked_for(cli: Cli, tmp_path: Path) -> None:
    row = order_row(packages=3, domestic_tracking_no="")
    _import(cli, tmp_path, row)

    pdf = _relabel_pdf(cli, tmp_path, row["order_no"])

    assert len(_pages(pdf)) == 3
    for n in (1, 2, 3):
        page = _flat(_text(pdf, n))
        assert f"PKG {n}/3" in page and row["order_no"] in page
    only = _relabel_pdf(cli, tmp_path, row["order_no"], "--package", "2")
    [(width, height, _)] = _pages(only)
    assert (width, height) == pytest.approx(PAGE, abs=0.01)
    assert "PKG 2/3" in _flat(_text(only))


def _zpl_labels(zpl: str) -> list[str]:
    """The labels of a ZPL stream, which holds nothing else: ^XA ... ^XZ, one after another."""
    assert re.fullmatch(r"(\^XA[^\n]*\n(?:(?!\^XA)[^\n]*\n)*?\^XZ\n)+", zpl), zpl[:200]
    return re.findall(r"\^XA.*?\^XZ", zpl, flags=re.DOTALL)


def test_zpl_one_label_per_package_with_every_field(cli: Cli, tmp_path: Path) -> None:
    row = order_row(packages=3, domestic_tracking_no="", buyer_name="Anna^Bell_Smith~")
    _import(cli, tmp_path, row)

    result = cli("relabel", row["order_no"], "--format", "zpl")

    assert result.exit_code == 0, result.stderr
    labels = _zpl_labels(result.stdout)
    assert len(labels) == 3
    for n, label in enumerate(labels, start=1):
        for command in ("^CI28", "^PW812", "^LL1218", "^CWJ,E:ANMDS.TTF", "^FB"):
            assert command in label
        assert re.search(rf"\^BCN,\d+,N,N,N,N\^FD>;{row['order_no']}\^FS", label)
        assert f"^FD{row['order_no']}^FS" in label  # the digits under the barcode
        assert "Anna_5EBell_5FSmith_7E" in label  # ^, _ and ~ escaped with ^FH
        data = label.replace("\\&", " ")
        for field in ("buyer_address", "buyer_postcode", "supplier_name", "supplier_address"):
            assert row[field] in data, field
        assert "^FDUNITED STATES^FS" in label
        assert f"PKG {n}/3" in label
        # Chinese is set in the downloaded font J, Latin-only fields in the resident font 0.
        assert re.search(r"\^AJN,\d+,\d+\^FB[^\^]*\^FH_\^FD深圳市", label)
        assert re.search(rf"\^A0N,\d+,\d+\^FB[^\^]*\^FH_\^FD{row['buyer_postcode']}\^FS", label)


def test_zpl_odd_order_number_ends_in_subset_b_and_goes_to_a_file(cli: Cli, tmp_path: Path) -> None:
    row = order_row(order_no="1234567890123456789")
    _import(cli, tmp_path, row)
    out = tmp_path / "label.zpl"

    result = cli("relabel", row["order_no"], "--format", "zpl", "--package", "1", "--out", str(out))

    assert result.exit_code == 0, result.stderr
    [label] = _zpl_labels(out.read_text(encoding="utf-8"))
    assert "^FD>;123456789012345678>69^FS" in label
    assert "PKG" not in label


def test_long_address_and_names_stay_inside_the_label(cli: Cli, tmp_path: Path) -> None:
    assert len(LONG_ADDRESS) >= 300
    row = order_row(
        buyer_name="Nguyễn Thị Đặng Hằng 阮氏邓恒 " * 4,
        buyer_address=LONG_ADDRESS,
        buyer_postcode="700000",
        buyer_country="VN",
        supplier_name=LONG_SUPPLIER * 2,
        supplier_address="广东省深圳市福田区华强北街道华强北路1002号赛格广场" * 8,
    )
    _import(cli, tmp_path, row)

    pdf = _relabel_pdf(cli, tmp_path, row["order_no"])

    [(_, _, words)] = _pages(pdf)
    assert len(words) > 80
    frame = (3 / 25.4 * 72, 97 / 25.4 * 72, 3 / 25.4 * 72, 147 / 25.4 * 72)
    for w in words:  # inside the printed frame, 3 mm from the edges
        assert frame[0] <= w.x0 < w.x1 <= frame[1] and frame[2] <= w.y0 < w.y1 <= frame[3], w
    for n, a in enumerate(words):  # no text runs into another block's text
        for b in words[n + 1 :]:
            overlap_x = min(a.x1, b.x1) - max(a.x0, b.x0)
            overlap_y = min(a.y1, b.y1) - max(a.y0, b.y0)
            assert overlap_x <= 0.5 or overlap_y <= 0.5, (a, b)
    flat = _flat(_text(pdf))
    assert _flat(LONG_ADDRESS).replace(" ", "") in flat.replace(" ", "")  # all of it, not cut
    assert "VIETNAM" in flat and "700000" in flat
    assert "Nguyễn Thị Đặng Hằng" in flat and "阮氏邓恒" in flat
    assert "…" not in flat
    zpl = cli("relabel", row["order_no"], "--format", "zpl")
    assert zpl.exit_code == 0, zpl.stderr
    for x, y in re.findall(r"\^FO(\d+),(\d+)", zpl.stdout):
        assert 0 <= int(x) < 812 and 0 <= int(y) < 1218
    for x, width_dots in re.findall(r"\^FO(\d+),\d+\^A[0J]N,\d+,\d+\^FB(\d+)", zpl.stdout):
        assert int(x) + int(width_dots) <= 812


def test_unknown_order_is_exit_2_one_line(cli: Cli, tmp_path: Path) -> None:
    for fmt in ("pdf", "zpl"):
        result = cli("relabel", "999999999", "--format", fmt, "--out", str(tmp_path / "x"))
        assert result.exit_code == 2
        assert result.stderr.count("\n") == 1
        assert result.stderr.startswith("error: no order '999999999'")
        assert not (tmp_path / "x").exists()


def test_bad_format_package_or_output_is_exit_2_one_line(cli: Cli, tmp_path: Path) -> None:
    row = order_row(packages=3, domestic_tracking_no="")
    _import(cli, tmp_path, row)
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    cases = {
        ("--format", "png"): "unknown format 'png'",
        ("--format", "pdf", "--package", "4"): "no package 4",
        ("--format", "pdf", "--out", str(tmp_path / "missing" / "l.pdf")): "no such directory",
        ("--format", "zpl", "--out", str(a_file / "l.zpl")): "no such directory",
        ("--format", "pdf", "--out", str(tmp_path)): "cannot write",
    }
    for args, message in cases.items():
        result = cli("relabel", row["order_no"], *args)
        assert result.exit_code == 2, args
        assert result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr
    assert not (tmp_path / "missing").exists()


def test_a_real_process_writes_the_pdf(cli: Cli, tmp_path: Path) -> None:
    row = order_row()
    _import(cli, tmp_path, row)

    result = cli.process("relabel", row["order_no"], "--format", "pdf", "--out", "out.pdf")

    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out.pdf").read_bytes().startswith(b"%PDF-")
    assert "out.pdf" in result.stderr  # where it went, on standard error


def _stuck_on_a_carton(page: np.ndarray, *, angle: float) -> np.ndarray:
    """The printed label on brown carton board, the carton turned by `angle` degrees (BGR)."""
    height, width = page.shape[0] + 420, page.shape[1] + 1200
    board = np.random.default_rng(7).normal(BOARD, 4, (height, width, 3))
    photo = np.clip(board, 0, 255).astype(np.uint8)
    y, x = (height - page.shape[0]) // 2, (width - page.shape[1]) // 2
    photo[y : y + page.shape[0], x : x + page.shape[1]] = page
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return cv2.warpAffine(photo, turn, (width, height), borderValue=BOARD)


def test_a_printed_label_passes_inspection(cli: Cli, tmp_path: Path) -> None:
    with SAMPLE_BOOK.open(encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    imported = cli("orders", "import", str(SAMPLE_BOOK))
    assert imported.exit_code == 0, imported.stderr
    pdf = _relabel_pdf(cli, tmp_path, row["order_no"])
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-singlefile", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    photo = tmp_path / "relabeled.jpg"
    page = cv2.imread(str(tmp_path / "page.png"))
    cv2.imwrite(str(photo), _stuck_on_a_carton(page, angle=6), [cv2.IMWRITE_JPEG_QUALITY, 85])

    result = cli("inspect", "--json", "--dry-run", str(photo))

    assert result.exit_code == 0, result.stderr
    [line] = [json.loads(text) for text in result.stdout.splitlines()]
    seen = json.dumps(line, ensure_ascii=False)
    assert (line["verdict"], line["defects"]) == ("ok", []), seen
    label = line["label"]
    read = {k: (label[k] or {}).get("text") for k in ("order_no", "buyer_name", "postcode")}
    assert read == {
        "order_no": row["order_no"],
        "buyer_name": row["buyer_name"],
        "postcode": row["buyer_postcode"],
    }, seen
    assert label["order_no_barcodes"] == [row["order_no"]], seen
    assert row["supplier_name"] in (label["supplier"] or {}).get("text", ""), seen
    assert (line["order_no"], line["dry_run"], line["inspection_id"]) == (
        row["order_no"],
        True,
        None,
    )
    shown = json.loads(cli("orders", "show", row["order_no"], "--json").stdout)
    assert shown["cartons"] == [] and shown["inspections"] == []  # a dry run records nothing
