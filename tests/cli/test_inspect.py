"""`intake inspect`: cartons received from photos, labels checked, defects charged with evidence.

Real sample photos (sample_images/labels/, truth in manifest.json) against their own order book,
through the command a station operator runs, on SQLite and PostgreSQL.
"""

import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from intake import lookup
from intake.db import is_sqlite
from intake.fees import load_fee_schedule
from tests.conftest import Cli

LABELS = Path(__file__).resolve().parents[2] / "sample_images" / "labels"
MANIFEST = json.loads((LABELS / "manifest.json").read_text(encoding="utf-8"))
TRUTH = {image["file"]: image for image in MANIFEST["images"]}
DEFAULT_SCHEDULE = Path(__file__).resolve().parents[2] / "intake" / "data" / "fee_schedule.toml"

# One photo of each kind: a correct label (and one in capitals with an allowed QR code), every
# defect family, a carton with no label and an unregistered waybill (held).
EACH_KIND = [
    "label_001.jpg",  # correct
    "label_007.jpg",  # correct, capitals, QR of the order number
    "label_020.jpg",  # no label, waybill not registered: hold
    "label_022.jpg",  # order area smeared: unreadable
    "label_025.jpg",  # order number not in the book
    "label_029.jpg",  # another order's number
    "label_033.jpg",  # buyer name left off
    "label_039.jpg",  # postcode left off
    "label_048.jpg",  # another buyer
    "label_054.jpg",  # QR code of a shop
    "label_057.jpg",  # a printed link
    "label_063.jpg",  # a WeChat handle
]


def _with_book(cli: Cli) -> Cli:
    done = cli("orders", "import", str(LABELS / "orders.csv"))
    assert done.exit_code == 0, done.stderr
    return cli


def _inspect(cli: Cli, *files: str, extra: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    args = ["inspect", "--json", "--station", "DOCK-7", "--operator", "mei", *extra]
    done = cli(*args, *(str(LABELS / f) for f in files))
    assert done.exit_code == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def _photo_files(cli: Cli) -> list[Path]:
    return sorted(
        p for p in (Path(cli.env["INTAKE_DATA_DIR"]) / "photos").rglob("*") if p.is_file()
    )


def test_each_kind_of_label_gets_its_verdict_defects_evidence_and_fees(cli: Cli) -> None:
    results = _inspect(_with_book(cli), *EACH_KIND)

    schedule = load_fee_schedule(DEFAULT_SCHEDULE)
    assert [r["file"] for r in results] == [str(LABELS / f) for f in EACH_KIND]
    for result in results:
        truth = TRUTH[Path(result["file"]).name]
        assert (result["verdict"], sorted(d["code"] for d in result["defects"])) == (
            truth["verdict"],
            sorted(truth["defects"]),
        ), result["file"]
        expected_order = truth["order"]["order_no"] if truth["consignee_known"] else None
        if truth["waybill"]["registered"]:
            assert result["order_no"] == expected_order
        for defect in result["defects"]:
            charge = schedule.charge(defect["code"], consignee_known=truth["consignee_known"])
            assert (defect["action"], Decimal(defect["fee"]), defect["currency"]) == (
                charge.action,
                charge.amount,
                "CNY",
            )
            assert defect["evidence"] and defect["confidence"] >= 0.6 and defect["state"] == "open"
            if defect["box"] is not None:
                x, y, w, h = defect["box"]
                assert x >= 0 and y >= 0 and x + w <= truth["width"] and y + h <= truth["height"]


def test_evidence_names_what_is_wrong_and_where(cli: Cli) -> None:
    link, wechat, qr = _inspect(_with_book(cli), "label_057.jpg", "label_063.jpg", "label_054.jpg")

    assert "www.happyshop-deals.com" in link["defects"][0]["evidence"]
    assert "WeChat" in wechat["defects"][0]["evidence"]
    assert "https://shop.example.com/item/" in qr["defects"][0]["evidence"]
    # The QR code's box on the photo holds the forbidden code the manifest placed there.
    (forbidden,) = [q for q in TRUTH["label_054.jpg"]["label"]["qr_codes"] if "shop" in q["text"]]
    x, y, w, h = qr["defects"][0]["box"]
    cx = sum(p[0] for p in forbidden["polygon"]) / 4
    cy = sum(p[1] for p in forbidden["polygon"]) / 4
    assert x <= cx <= x + w and y <= cy <= y + h
    # The label's fields come back as read, with their boxes.
    assert link["label"]["buyer_name"]["text"] == TRUTH["label_057.jpg"]["order"]["buyer_name"]
    assert link["waybill"]["tracking_no"] == TRUTH["label_057.jpg"]["waybill"]["tracking_no"]


def test_the_inspection_is_kept_with_the_order_and_its_photo_in_the_store(cli: Cli) -> None:
    (result,) = _inspect(_with_book(cli), "label_057.jpg")

    data = (LABELS / "label_057.jpg").read_bytes()
    assert result["photo"] == hashlib.sha256(data).hexdigest()
    (stored,) = _photo_files(cli)
    assert stored.name == f"{result['photo']}.jpg" and stored.read_bytes() == data
    shown = json.loads(cli("orders", "show", result["order_no"], "--json").stdout)
    assert shown["status"] == "received"
    (inspection,) = shown["inspections"]
    assert inspection["photo_sha256"] == result["photo"]
    assert inspection["verdict"] == "relabel" and inspection["station"] == "DOCK-7"
    assert [(d["code"], d["fee_amount"], d["inspection_id"]) for d in shown["defects"]] == [
        ("forbidden_link", "12.50", inspection["id"])
    ]
    text = cli("orders", "show", result["order_no"]).stdout
    assert "RELABEL" in text and "forbidden_link (open; relabel CNY 12.50)" in text


def test_a_second_carton_under_the_same_label_is_a_duplicate_and_a_photo_again_is_a_repeat(
    cli: Cli,
) -> None:
    first, copy, other, again = _inspect(
        _with_book(cli), "label_066.jpg", "label_067.jpg", "label_068.jpg", "label_069.jpg"
    )

    assert first["verdict"] == "ok" and first["outcome"] == "received"
    assert copy["verdict"] == "relabel" and [d["code"] for d in copy["defects"]] == ["duplicate"]
    assert "already received on carton" in copy["defects"][0]["evidence"]
    assert copy["carton_id"] != first["carton_id"] and copy["order_no"] == first["order_no"]
    # The same waybill and label again: the same carton photographed twice, nothing charged.
    assert again["repeat"] and again["outcome"] == "already_received"
    assert again["inspection_id"] == other["inspection_id"] and again["defects"] == []
    shown = json.loads(cli("orders", "show", first["order_no"], "--json").stdout)
    assert [i["verdict"] for i in shown["inspections"]] == ["ok", "relabel"]
    assert [d["code"] for d in shown["defects"]] == ["duplicate"]
    assert shown["cartons_received"] == 1


def test_dry_run_reports_but_records_nothing(cli: Cli) -> None:
    _with_book(cli)
    before = json.loads(
        cli("orders", "show", TRUTH["label_057.jpg"]["order"]["order_no"], "--json").stdout
    )

    (result,) = _inspect(cli, "label_057.jpg", extra=("--dry-run",))

    assert result["dry_run"] and result["verdict"] == "relabel"
    assert result["photo"] is None and result["inspection_id"] is None
    after = json.loads(cli("orders", "show", result["order_no"], "--json").stdout)
    assert after == before and after["status"] == "awaiting"
    assert _photo_files(cli) == []
    # The real inspection afterwards is a first inspection, not a repeat.
    (real,) = _inspect(cli, "label_057.jpg")
    assert not real["repeat"] and real["outcome"] == "received"


def test_a_new_fee_schedule_prices_new_defects_and_leaves_charged_ones(
    cli: Cli, tmp_path: Path
) -> None:
    (old,) = _inspect(_with_book(cli), "label_057.jpg")
    dearer = DEFAULT_SCHEDULE.read_text(encoding="utf-8")
    dearer = dearer.replace('version = "2026-01"', 'version = "2026-12"').replace(
        'forbidden_link       = { known = { action = "relabel", fee = "12.50" }',
        'forbidden_link       = { known = { action = "relabel", fee = "16.80" }',
    )
    (tmp_path / "fees.toml").write_text(dearer, encoding="utf-8")
    cli.env["INTAKE_FEE_SCHEDULE_FILE"] = str(tmp_path / "fees.toml")

    (new,) = _inspect(cli, "label_058.jpg")

    assert [d["fee"] for d in new["defects"]] == ["16.80"]
    shown = json.loads(cli("orders", "show", old["order_no"], "--json").stdout)
    assert [(d["fee_amount"], d["fee_schedule_version"]) for d in shown["defects"]] == [
        ("12.50", "2026-01")
    ]


def test_a_defect_on_weak_evidence_is_held_for_review_then_confirmed_or_waived(
    cli: Cli, tmp_path: Path
) -> None:
    import cv2

    _with_book(cli)
    photo = cv2.imread(str(LABELS / "label_001.jpg"))
    blurred = tmp_path / "blurred.jpg"
    cv2.imwrite(str(blurred), cv2.GaussianBlur(photo, (0, 0), 2.5))
    done = cli("inspect", "--json", "--station", "D1", "--operator", "mei", str(blurred))
    (result,) = [json.loads(line) for line in done.stdout.splitlines()]

    # A blurred photo never charges the supplier: a person looks at it.
    assert result["verdict"] == "needs_review"
    assert result["defects"] and all(d["action"] == "review" for d in result["defects"])
    assert all(Decimal(d["fee"]) == 0 and d["confidence"] < 0.6 for d in result["defects"])
    first, *rest = (d["id"] for d in result["defects"])

    confirmed = cli("mislabels", "confirm", str(first), "--by", "supervisor li", "--json")
    assert confirmed.exit_code == 0, confirmed.stderr
    charged = json.loads(confirmed.stdout)
    assert charged["action"] == "hold_return" and charged["fee_amount"] == "30.00"
    again = cli("mislabels", "confirm", str(first), "--by", "li")
    assert again.exit_code == 2 and "not waiting for review" in again.stderr
    for defect_id in rest:
        waived = cli("mislabels", "resolve", str(defect_id), "--as", "waived", "--by", "li")
        assert waived.exit_code == 0, waived.stderr
    unknown = cli("mislabels", "confirm", "999999", "--by", "li")
    assert unknown.exit_code == 2 and unknown.stderr.strip() == "error: no mislabel defect 999999"


def test_two_stations_inspecting_one_carton_at_once_record_it_once(cli: Cli) -> None:
    _with_book(cli)
    photo = str(LABELS / "label_057.jpg")
    racers = [
        cli.popen("inspect", "--json", "--station", f"DOCK-{n}", "--operator", "mei", photo)
        for n in (1, 2)
    ]
    results = []
    for racer in racers:
        out, err = racer.communicate(timeout=120)
        assert racer.returncode == 0, err
        results.append(json.loads(out))

    assert sorted(r["repeat"] for r in results) == [False, True]
    assert len({r["inspection_id"] for r in results}) == 1
    shown = json.loads(cli("orders", "show", results[0]["order_no"], "--json").stdout)
    assert len(shown["inspections"]) == 1 and len(shown["cartons"]) == 1
    assert [d["code"] for d in shown["defects"]] == ["forbidden_link"]
    assert len(_photo_files(cli)) == 1


def test_an_order_read_in_one_statement_holds_what_a_statement_per_table_reads(
    cli: Cli, engine: Engine
) -> None:
    """PostgreSQL reads a look-up in one statement, its lists as JSON (intake.lookup): every
    order of a day of inspections, held cartons and fees reads the same, value for value and
    type for type (times, exact fees), as read a table at a time."""
    if is_sqlite(engine):
        pytest.skip("SQLite reads a table at a time: there is nothing to compare with")
    _inspect(_with_book(cli), *EACH_KIND, "label_066.jpg", "label_067.jpg", "label_068.jpg")
    with engine.connect() as connection:
        order_nos = connection.execute(sa.text("SELECT order_no FROM orders")).scalars().all()
        compared = 0
        for order_no in order_nos:
            at_once = lookup._read_at_once(connection, order_no)
            each = lookup._read_each(connection, order_no)
            assert at_once == each, order_no
            assert at_once is not None and each is not None
            for one, other in zip(_values(at_once), _values(each), strict=True):
                assert type(one) is type(other), (order_no, one, other)
            compared += len(at_once[6]) + len(at_once[5])  # defects and inspections
        assert compared >= 10 and lookup._read_at_once(connection, "no such order") is None


def _values(parts: tuple[Any, ...]) -> list[Any]:
    values: list[Any] = []
    for part in parts:
        for record in part if isinstance(part, list) else [part]:
            values += record.values() if isinstance(record, dict) else [record]
    return values
