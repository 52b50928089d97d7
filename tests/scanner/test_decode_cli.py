"""`intake decode`: every format, any angle, every kind of bad file, one JSON line per file."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import Cli
from tests.scanner.images import SAMPLES, jpeg_bytes, parcel, png_claiming, save


@pytest.fixture
def decode_cli(tmp_path: Path) -> Cli:
    return Cli({"INTAKE_DATA_DIR": str(tmp_path / "data")}, tmp_path)


def _lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_every_format_is_read_with_its_name(decode_cli: Cli, tmp_path: Path, fmt: str) -> None:
    path = save(tmp_path / f"{fmt}.png", parcel([(fmt, SAMPLES[fmt])]))

    result = decode_cli("decode", str(path), "--json")

    assert result.exit_code == 0, result.stderr
    [line] = _lines(result.stdout)
    assert [(b["format"], b["text"]) for b in line["barcodes"]] == [(fmt, SAMPLES[fmt])]
    polygon = line["barcodes"][0]["polygon"]
    assert len(polygon) == 4 and all(0 <= x <= 1280 and 0 <= y <= 720 for x, y in polygon)
    assert line["ms"] > 0


@pytest.mark.parametrize("angle", [0, 12, 27, 45, 63, 90, 118, 180, 233, 301, 345])
def test_a_waybill_is_read_at_any_angle(decode_cli: Cli, tmp_path: Path, angle: int) -> None:
    path = save(
        tmp_path / "turned.jpg",
        parcel([("Code128", "SF1234567890123")], angle=angle, scale=2),
        quality=85,
    )

    result = decode_cli("decode", str(path), "--json")

    [line] = _lines(result.stdout)
    assert [b["text"] for b in line["barcodes"]] == ["SF1234567890123"]


def test_several_codes_on_one_parcel(decode_cli: Cli, tmp_path: Path) -> None:
    codes = [
        ("Code128", "SF1234567890123"),
        ("Code128", "576400000000000001"),
        ("QRCode", "https://shop.example.com/item/1"),
    ]
    path = save(tmp_path / "label.png", parcel(codes, size=(1920, 1080), angle=31, scale=2))

    [line] = _lines(decode_cli("decode", str(path), "--json").stdout)

    assert sorted(b["text"] for b in line["barcodes"]) == sorted(t for _, t in codes)


def test_image_formats_and_exif_orientation(decode_cli: Cli, tmp_path: Path) -> None:
    frame = parcel([("Code128", "SF1234567890123")])
    files = [
        save(tmp_path / "a.webp", frame, quality=90),
        save(tmp_path / "a.bmp", frame),
        save(tmp_path / "a.tiff", frame),
    ]
    # Stored turned 90°, with the EXIF tag that tells a viewer to turn it back.
    turned = np.ascontiguousarray(np.rot90(frame, k=1))
    exif = Image.Exif()
    exif[0x0112] = 6
    files.append(save(tmp_path / "phone.jpg", turned, quality=90, exif=exif.tobytes()))
    cmyk = tmp_path / "cmyk.jpg"
    Image.fromarray(frame[:, :, ::-1]).convert("CMYK").save(cmyk, quality=90)
    deep = tmp_path / "deep.png"
    gray16 = frame[:, :, 1].astype(np.uint16) * 257
    Image.fromarray(gray16).save(deep)
    files += [cmyk, deep]

    result = decode_cli("decode", *map(str, files), "--json")

    assert result.exit_code == 0, result.stderr
    for line in _lines(result.stdout):
        assert [b["text"] for b in line["barcodes"]] == ["SF1234567890123"], line["file"]


def test_bad_files_are_reported_and_the_others_still_run(decode_cli: Cli, tmp_path: Path) -> None:
    good = save(tmp_path / "good.png", parcel([("Code128", "SF1234567890123")]))
    whole = jpeg_bytes(parcel([("Code128", "SF1234567890123")]))
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "cut.jpg").write_bytes(whole[: len(whole) // 3])
    (tmp_path / "cut.png").write_bytes(good.read_bytes()[:400])
    (tmp_path / "doc.jpg").write_bytes(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n" * 10)
    (tmp_path / "prog.jpg").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(200))
    (tmp_path / "bomb.png").write_bytes(png_claiming(50_000, 50_000))
    Image.new("RGB", (40, 40)).save(
        tmp_path / "anim.gif", save_all=True, append_images=[Image.new("RGB", (40, 40), "red")]
    )
    names = [
        "empty.jpg",
        "cut.jpg",
        "cut.png",
        "doc.jpg",
        "prog.jpg",
        "bomb.png",
        "anim.gif",
        "missing.png",
        ".",
    ]

    result = decode_cli("decode", str(good), *(str(tmp_path / n) for n in names), "--json")

    assert result.exit_code == 2
    lines = _lines(result.stdout)
    assert [b["text"] for b in lines[0]["barcodes"]] == ["SF1234567890123"]
    errors = {Path(line["file"]).name or ".": line["error"] for line in lines[1:]}
    assert errors["empty.jpg"] == "empty file (0 bytes)"
    assert errors["cut.jpg"].startswith("damaged or truncated JPEG image")
    assert errors["cut.png"].startswith("damaged or truncated PNG image")
    assert (
        errors["doc.jpg"]
        == errors["prog.jpg"]
        == ("not an image (PNG, JPEG, WebP, BMP or TIFF expected)")
    )
    assert errors["bomb.png"] == "image is 50000×50000 pixels, over the limit of 40,000,000 pixels"
    assert errors["anim.gif"].startswith("GIF images are not accepted")
    assert errors["missing.png"] == "no such file"
    assert len(lines) == 1 + len(names)


def test_limits_are_configurable(tmp_path: Path) -> None:
    path = save(tmp_path / "big.png", parcel([("Code128", "SF1234567890123")]))
    small = Cli(
        {"INTAKE_MAX_IMAGE_PIXELS": "100000", "INTAKE_MAX_IMAGE_BYTES": "5000000"}, tmp_path
    )
    tiny = Cli({"INTAKE_MAX_IMAGE_BYTES": "1000"}, tmp_path)

    by_pixels = _lines(small("decode", str(path), "--json").stdout)[0]
    by_bytes = _lines(tiny("decode", str(path), "--json").stdout)[0]

    assert by_pixels["error"] == "image is 1280×720 pixels, over the limit of 100,000 pixels"
    assert str(by_bytes["error"]).endswith("bytes, over the limit of 1,000")


def test_empty_frame_and_human_output(decode_cli: Cli, tmp_path: Path) -> None:
    empty = save(tmp_path / "table.jpg", np.full((720, 1280, 3), 120, np.uint8))
    coded = save(tmp_path / "coded.png", parcel([("Code128", "SF1234567890123")]))

    result = decode_cli("decode", str(empty), str(coded))

    assert result.exit_code == 0
    assert "table.jpg: no code found" in result.stdout
    assert "coded.png: Code128 SF1234567890123" in result.stdout


def test_misreads_of_carrier_formats_are_dropped(decode_cli: Cli, tmp_path: Path) -> None:
    # "SF12345" is printable Code 128 but no SF waybill: a station must not report it.
    path = save(tmp_path / "odd.png", parcel([("Code128", "SF12345"), ("Code128", "AB12345")]))

    [line] = _lines(decode_cli("decode", str(path), "--json").stdout)

    assert [b["text"] for b in line["barcodes"]] == ["AB12345"]


def test_engines_can_be_chosen_and_zbar_stays_supported(decode_cli: Cli, tmp_path: Path) -> None:
    codes = [("Code128", "SF1234567890123"), ("DataMatrix", "576400000000000002")]
    path = save(tmp_path / "two.png", parcel(codes, scale=3))

    by_engine = {}
    for engine in ("pipeline", "zxing", "zbar"):
        result = decode_cli("decode", str(path), "--json", "--engine", engine)
        assert result.exit_code == 0, result.stderr
        by_engine[engine] = sorted(b["text"] for b in _lines(result.stdout)[0]["barcodes"])
    unknown = decode_cli("decode", str(path), "--engine", "magic")

    assert by_engine["pipeline"] == by_engine["zxing"] == sorted(t for _, t in codes)
    assert by_engine["zbar"] == ["SF1234567890123"]  # ZBar reads no Data Matrix
    assert unknown.exit_code == 2
    assert unknown.stderr.strip() == "error: unknown engine 'magic': pipeline, zxing or zbar"
