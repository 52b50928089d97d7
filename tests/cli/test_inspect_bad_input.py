"""`intake inspect` given bad input: every bad file, name or setting gets one clear error, the
other photos go on, and nothing already stored is lost."""

import errno
import hashlib
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy.engine import Engine

from intake import db
from tests.conftest import INTAKE, Cli
from tests.factories import count_rows
from tests.scanner.images import png_claiming

LABELS = Path(__file__).resolve().parents[2] / "sample_images" / "labels"
MANIFEST = {i["file"]: i for i in json.loads((LABELS / "manifest.json").read_text())["images"]}
GOOD = LABELS / "label_001.jpg"  # 1280×720, a correct label: verdict ok
FLAWED = LABELS / "label_060.jpg"  # 1280×720, a phone number on the label: forbidden_contact
NOT_AN_IMAGE = "not an image (PNG, JPEG, WebP, BMP or TIFF expected)"
RECORDS = ("cartons", "scan_events", "inspections", "defects", "photos")


def _order_no(photo: Path) -> str:
    return str(MANIFEST[photo.name]["order"]["order_no"])


def _lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def _import_samples(cli: Cli) -> None:
    result = cli("orders", "import", str(LABELS / "orders.csv"))
    assert result.exit_code == 0, result.stderr


def _show(cli: Cli, order_no: str) -> dict[str, Any]:
    result = cli("orders", "show", order_no, "--json")
    assert result.exit_code == 0, result.stderr
    shown: dict[str, Any] = json.loads(result.stdout)
    return shown


def _stored(engine: Engine) -> dict[str, int]:
    return {table: count_rows(engine, table) for table in RECORDS}


def _photo_files(cli: Cli) -> list[Path]:
    return sorted(
        p for p in (Path(cli.env["INTAKE_DATA_DIR"]) / "photos").rglob("*") if p.is_file()
    )


def _bad_files(folder: Path) -> list[tuple[Path, str]]:
    """Every kind of unusable photo, each with (the start of) the error it must get."""
    whole = GOOD.read_bytes()
    files = {
        "missing.jpg": None,
        "empty.jpg": b"",
        "truncated.jpg": whole[: len(whole) // 2],
        "bomb.png": png_claiming(50_000, 50_000),
        "invoice.jpg": b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n" * 5,
        "program.jpg": b"\x7fELF\x02\x01\x01\x00" + bytes(56) + b"\x00" * 400,
        "notes.jpg": b"carton 12 of 40\nfragile, this side up\n",
    }
    for name, data in files.items():
        if data is not None:
            (folder / name).write_bytes(data)
    (folder / "a-folder.jpg").mkdir()
    Image.new("RGB", (40, 40), "white").save(
        folder / "anim.gif", save_all=True, append_images=[Image.new("RGB", (40, 40), "red")]
    )
    expected = {
        "missing.jpg": "no such file",
        "a-folder.jpg": "a folder, not an image file",
        "empty.jpg": "empty file (0 bytes)",
        "truncated.jpg": "damaged or truncated JPEG image",
        "bomb.png": "image is 50000×50000 pixels, over the limit of 40,000,000 pixels",
        "invoice.jpg": NOT_AN_IMAGE,
        "program.jpg": NOT_AN_IMAGE,
        "notes.jpg": NOT_AN_IMAGE,
        "anim.gif": "GIF images are not accepted (PNG, JPEG, WebP, BMP or TIFF expected)",
    }
    return [(folder / name, error) for name, error in expected.items()]


def test_bad_files_get_an_error_each_and_nothing_stored_is_lost(
    cli: Cli, engine: Engine, tmp_path: Path
) -> None:
    _import_samples(cli)
    first = cli("inspect", "--json", str(FLAWED))
    assert first.exit_code == 0, first.stderr
    before = _show(cli, _order_no(FLAWED))
    assert [d["code"] for d in before["defects"]] == ["forbidden_contact"]
    [evidence] = _photo_files(cli)
    bad = _bad_files(tmp_path)
    # The good photo in the middle: the bad ones before and after it must not stop the run.
    files = [p for p, _ in bad[:4]] + [GOOD] + [p for p, _ in bad[4:]]

    result = cli("inspect", "--json", *map(str, files))

    assert result.exit_code == 2
    assert result.stderr == ""
    lines = _lines(result.stdout)
    assert [line["file"] for line in lines] == [str(p) for p in files]
    errors = [line for line in lines if line["file"] != str(GOOD)]
    for (path, expected), line in zip(bad, errors, strict=True):
        assert set(line) == {"file", "error"}, line
        assert line["error"].startswith(expected), (path.name, line["error"])
        assert "Traceback" not in line["error"] and "\n" not in line["error"]
    [good] = [line for line in lines if line["file"] == str(GOOD)]
    assert (good["verdict"], good["outcome"], good["defects"]) == ("ok", "received", [])
    assert good["order_no"] == _order_no(GOOD) and good["inspection_id"] is not None
    # What the first call stored is all still there, unchanged; the good photo was added.
    after = _show(cli, _order_no(FLAWED))
    for key in ("cartons", "scans", "inspections", "defects", "status", "received_at"):
        assert after[key] == before[key], key
    assert [i["id"] for i in _show(cli, _order_no(GOOD))["inspections"]] == [good["inspection_id"]]
    assert _stored(engine) == {
        "cartons": 2,
        "scan_events": 2,
        "inspections": 2,
        "defects": 1,
        "photos": 2,
    }
    assert evidence in _photo_files(cli)
    assert evidence.read_bytes() == FLAWED.read_bytes()
    digest = hashlib.sha256(FLAWED.read_bytes()).hexdigest()
    assert evidence.relative_to(Path(cli.env["INTAKE_DATA_DIR"])) == Path(
        "photos", digest[:2], digest[2:4], f"{digest}.jpg"
    )


def test_a_file_over_the_size_limits_is_refused_naming_the_limit(cli: Cli, engine: Engine) -> None:
    _import_samples(cli)
    cli.env["INTAKE_MAX_IMAGE_BYTES"] = "1000"

    by_bytes = cli("inspect", "--json", str(GOOD))

    cli.env["INTAKE_MAX_IMAGE_BYTES"] = "5000000"
    cli.env["INTAKE_MAX_IMAGE_PIXELS"] = "100000"
    by_pixels = cli("inspect", "--json", str(GOOD))

    size = GOOD.stat().st_size
    assert by_bytes.exit_code == by_pixels.exit_code == 2
    assert _lines(by_bytes.stdout) == [
        {"file": str(GOOD), "error": f"file is {size:,} bytes, over the limit of 1,000"}
    ]
    assert _lines(by_pixels.stdout) == [
        {"file": str(GOOD), "error": "image is 1280×720 pixels, over the limit of 100,000 pixels"}
    ]
    assert _stored(engine) == dict.fromkeys(RECORDS, 0)
    assert _photo_files(cli) == []


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--station", "DOCK\x1b[2J", "error: station contains control characters"),
        ("--operator", "wang\nli", "error: operator contains control characters"),
        ("--station", "D" * 65, "error: station is 65 characters long, over 64"),
        ("--operator", "", "error: operator is empty"),
        ("--station", " \t ", "error: station"),
    ],
    ids=["escape-sequence", "newline", "65-characters", "empty", "blank"],
)
def test_hostile_station_or_operator_is_refused_and_nothing_recorded(
    cli: Cli, engine: Engine, option: str, value: str, message: str
) -> None:
    _import_samples(cli)

    result = cli("inspect", "--json", option, value, str(GOOD))

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(message), result.stderr
    assert _stored(engine) == dict.fromkeys(RECORDS, 0)
    assert _photo_files(cli) == []


def test_a_database_not_ready_says_run_upgrade(cli: Cli, engine: Engine, tmp_path: Path) -> None:
    nowhere = tmp_path / "none"
    missing = Cli({"INTAKE_DATA_DIR": str(nowhere)}, tmp_path)
    with engine.begin() as c:
        c.exec_driver_sql("UPDATE alembic_version SET version_num = '0002'")
    outdated = cli("inspect", "--json", str(GOOD))
    with engine.begin() as c:
        c.exec_driver_sql("DROP TABLE alembic_version")
    empty = cli("inspect", "--json", str(GOOD))
    none = missing("inspect", "--json", str(GOOD))

    cases = {
        "outdated": (
            outdated,
            f"error: the database schema is at revision 0002, the code needs "
            f"{db.head_revision()}: run `intake db upgrade`",
        ),
        "no schema": (empty, "error: the database has no schema yet: run `intake db upgrade`"),
        "no database": (
            none,
            f"error: no database at {nowhere / 'intake.db'}: run `intake db upgrade` to create it",
        ),
    }
    for case, (result, message) in cases.items():
        assert result.exit_code == 2, case
        assert result.stdout == "", case
        assert result.stderr.splitlines() == [message], case
    assert not nowhere.exists()  # never created implicitly
    assert count_rows(engine, "inspections") == 0
    assert _photo_files(cli) == []


def test_hostile_file_names_are_printed_literally_in_text_mode(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _import_samples(cli)
    monkeypatch.chdir(tmp_path)  # short names, as typed in the folder of the photos
    named = Path("[bold]标签 évén[red] Ωmega [link=x]ß.jpg")
    shutil.copy(GOOD, named)
    missing = Path("[blink]缺失 ñ[/blink] [on red].jpg")

    result = cli("inspect", str(named), str(FLAWED), str(missing))

    assert result.exit_code == 2
    out = result.stdout.splitlines()
    assert out[0].startswith(f"{named}: OK order {_order_no(GOOD)}; received: order ")
    assert out[0].endswith(" ms)")
    assert out[1].startswith(f"{FLAWED}: RELABEL order {_order_no(FLAWED)}; received: order ")
    assert out[2].startswith("  forbidden_contact (relabel CNY ")
    assert "'+1 555-014-2273'" in out[2]
    assert len(out) == 3
    assert result.stderr == f"{missing}: error: no such file\n"


def test_an_error_line_is_one_line_however_long_the_file_name(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "shift-2026-11-20-morning" / "dock-3" / "carton-000123-front-side.jpg"

    result = cli("inspect", str(missing))

    assert result.exit_code == 2
    assert result.stderr == f"{missing}: error: no such file\n"


def test_emoji_codes_in_file_names_are_printed_literally(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # short names: this is about emoji, not line width
    names = [Path("carton :warning: 12.jpg"), Path("photo :smile:.jpg")]

    result = cli("inspect", *map(str, names))

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"{p}: error: no such file" for p in names]


def test_paths_the_system_cannot_open_are_errors_and_the_rest_go_on(
    cli: Cli, tmp_path: Path
) -> None:
    loop = tmp_path / "loop.jpg"
    loop.symlink_to(loop.name)
    files = [loop, GOOD / "x.jpg", tmp_path / ("x" * 300 + ".jpg"), tmp_path / "missing.jpg"]

    result = cli("inspect", "--json", "--dry-run", *map(str, files))

    assert result.exit_code == 2
    lines = _lines(result.stdout)
    assert [line["file"] for line in lines] == [str(p) for p in files]
    assert all(set(line) == {"file", "error"} for line in lines)
    assert lines[-1]["error"] == "no such file"


@contextmanager
def _unblocking(fifo: Path) -> Iterator[list[bool]]:
    """While the block runs, let any reader stuck opening the named pipe go (it reads end of
    file); the list yielded says whether one ever was."""
    stuck: list[bool] = []
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.02):
            try:  # only succeeds while a reader waits in open()
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError as exc:
                assert exc.errno == errno.ENXIO
                continue
            stuck.append(True)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield stuck
    finally:
        done.set()
        watcher.join()


def test_a_named_pipe_is_refused_without_waiting_for_it(cli: Cli, tmp_path: Path) -> None:
    fifo = tmp_path / "camera.jpg"
    os.mkfifo(fifo)

    with _unblocking(fifo) as stuck:
        result = cli("inspect", "--json", "--dry-run", str(fifo))

    assert not stuck, "intake inspect waited for a writer on the named pipe"
    assert result.exit_code == 2
    [line] = _lines(result.stdout)
    assert set(line) == {"file", "error"}


@pytest.fixture
def sqlite_cli(sqlite_template: Path, tmp_path: Path) -> Cli:
    """`intake` on a migrated SQLite database, for what no database backend changes."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(sqlite_template, data / "intake.db")
    return Cli({"INTAKE_DATA_DIR": str(data)}, tmp_path)


def test_json_stays_utf8_for_a_file_name_that_is_not(sqlite_cli: Cli, tmp_path: Path) -> None:
    name = os.fsdecode("标签 12.jpg".encode("gbk"))  # as a Windows share in China names it

    done = subprocess.run(
        [INTAKE, "inspect", "--json", str(tmp_path / name)],
        capture_output=True,
        env=os.environ | sqlite_cli.env,
        cwd=tmp_path,
        timeout=120,
    )

    assert done.returncode == 2
    text = done.stdout.decode("utf-8")  # strict: JSON is UTF-8
    [line] = _lines(text)
    assert line["error"] == "no such file"


def test_the_same_photo_twice_is_one_inspection(cli: Cli, engine: Engine) -> None:
    _import_samples(cli)

    result = cli("inspect", "--json", str(FLAWED), str(FLAWED))

    assert result.exit_code == 0, result.stderr
    first, second = _lines(result.stdout)
    assert (first["repeat"], second["repeat"]) == (False, True)
    assert second["outcome"] == "already_received"
    assert second["inspection_id"] == first["inspection_id"] is not None
    assert second["carton_id"] == first["carton_id"]
    assert second["photo"] == first["photo"]
    assert [d["id"] for d in second["defects"]] == [d["id"] for d in first["defects"]]
    assert [d["code"] for d in first["defects"]] == ["forbidden_contact"]
    shown = _show(cli, _order_no(FLAWED))
    assert [i["id"] for i in shown["inspections"]] == [first["inspection_id"]]
    assert [d["id"] for d in shown["defects"]] == [d["id"] for d in first["defects"]]
    assert len(shown["cartons"]) == 1
    assert [s["outcome"] for s in shown["scans"]] == ["received", "already_received"]
    assert count_rows(engine, "photos") == 1
    assert len(_photo_files(cli)) == 1
