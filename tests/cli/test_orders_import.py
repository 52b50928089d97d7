"""`intake orders import`: good files, bad rows, hostile files, upserts and all-or-nothing."""

import json
import os
import signal
import time
from pathlib import Path

from sqlalchemy.engine import Engine

from intake.demo import demo_records
from intake.orderbook import COLUMNS
from tests.conftest import Cli
from tests.factories import count_rows, order_row, write_csv, write_jsonl


def _stored(engine: Engine, order_no: str) -> dict[str, object]:
    with engine.connect() as c:
        row = c.exec_driver_sql(
            "SELECT o.buyer_name, o.packages, o.buyer_country, s.name FROM orders o "
            "JOIN suppliers s ON s.supplier_id = o.supplier_id WHERE o.order_no = %s"
            if engine.dialect.name == "postgresql"
            else "SELECT o.buyer_name, o.packages, o.buyer_country, s.name FROM orders o "
            "JOIN suppliers s ON s.supplier_id = o.supplier_id WHERE o.order_no = ?",
            (order_no,),
        ).one()
    return dict(zip(("buyer_name", "packages", "country", "supplier_name"), row, strict=True))


def _waybills(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as c:
        return [
            tuple(r)
            for r in c.exec_driver_sql(
                "SELECT tracking_no, order_no FROM waybills ORDER BY tracking_no"
            ).all()
        ]


def test_csv_with_bom_reordered_and_extra_columns(cli: Cli, tmp_path: Path, engine) -> None:
    rows = [order_row(), order_row(buyer_country="gb", buyer_postcode="SW1A 1AA", packages="")]
    columns = ("shop_note", *reversed(COLUMNS))
    path = write_csv(tmp_path / "book.csv", rows, columns=columns, bom=True)

    result = cli("orders", "import", str(path), "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["inserted"] == 2
    first = _stored(engine, rows[0]["order_no"])
    assert first["supplier_name"] == "深圳市华强电子科技有限公司"
    assert _stored(engine, rows[1]["order_no"])["country"] == "GB"
    assert _stored(engine, rows[1]["order_no"])["packages"] == 1  # empty means one


def test_json_lines_import(cli: Cli, tmp_path: Path, engine) -> None:
    row: dict[str, object] = dict(order_row())
    row["packages"] = 2
    row["domestic_tracking_no"] = "YT1000000000001; YT1000000000002"
    row["ready_to_ship_at"] = None
    path = write_jsonl(tmp_path / "book.jsonl", [row])

    result = cli("orders", "import", str(path))

    assert result.exit_code == 0, result.stderr
    assert "1 new orders" in result.stdout
    assert _waybills(engine) == [
        ("YT1000000000001", row["order_no"]),
        ("YT1000000000002", row["order_no"]),
    ]


def test_reimport_upserts_by_order_number(cli: Cli, tmp_path: Path, engine) -> None:
    row = order_row(domestic_tracking_no="SF1000000000001")
    cli("orders", "import", str(write_csv(tmp_path / "a.csv", [row])))
    changed = dict(row, buyer_name="Emily J. Johnson", domestic_tracking_no="SF1000000000009")

    result = cli("orders", "import", str(write_csv(tmp_path / "b.csv", [changed])), "--json")

    report = json.loads(result.stdout)
    assert (report["inserted"], report["updated"]) == (0, 1)
    assert _stored(engine, row["order_no"])["buyer_name"] == "Emily J. Johnson"
    assert _waybills(engine) == [("SF1000000000009", row["order_no"])]
    assert count_rows(engine, "orders") == 1


def test_bad_rows_reject_the_whole_file_and_name_each_problem(
    cli: Cli, tmp_path: Path, engine
) -> None:
    kept = order_row()
    cli("orders", "import", str(write_csv(tmp_path / "first.csv", [kept])))
    rows = [
        order_row(),  # line 2: fine
        order_row(ordered_at="20/11/2026 10:00"),  # line 3: bad timestamp
        order_row(order_no=""),  # line 4: empty order number
        order_row(packages="0"),  # line 5: packages < 1
        order_row(buyer_country="XX"),  # line 6: unknown country
        order_row(domestic_tracking_no=kept["domestic_tracking_no"]),  # line 7: taken
        order_row(ordered_at="2026-11-20T10:00:00"),  # line 8: no offset
    ]
    path = write_csv(tmp_path / "bad.csv", rows)

    result = cli("orders", "import", str(path))

    assert result.exit_code == 2
    err = result.stderr
    assert "line 3, column ordered_at: '20/11/2026 10:00' is not an ISO 8601 timestamp" in err
    assert "line 4, column order_no: empty" in err
    assert "line 5, column packages: 0 packages" in err
    assert "line 6, column buyer_country: unknown country 'XX'" in err
    assert (
        f"line 7, column domestic_tracking_no: {kept['domestic_tracking_no']} is already "
        f"registered to order {kept['order_no']}"
    ) in err
    assert "line 8, column ordered_at" in err and "no UTC offset" in err
    assert err.strip().splitlines()[-1] == (
        f"error: {path}: 6 of 7 rows are invalid; nothing was imported"
    )
    assert count_rows(engine, "orders") == 1  # the good row of the bad file was not written
    assert _waybills(engine) == [(kept["domestic_tracking_no"], kept["order_no"])]


def test_duplicates_inside_one_file_are_refused(cli: Cli, tmp_path: Path, engine) -> None:
    a = order_row(domestic_tracking_no="SF1000000000001")
    rows = [
        a,
        dict(a, buyer_name="Someone Else"),
        order_row(domestic_tracking_no="SF1000000000001"),
    ]

    result = cli("orders", "import", str(write_csv(tmp_path / "dup.csv", rows)))

    assert result.exit_code == 2
    assert (
        f"line 3, column order_no: order {a['order_no']} appears earlier in this file"
        in result.stderr
    )
    assert (
        f"line 4, column domestic_tracking_no: SF1000000000001 is already registered to "
        f"order {a['order_no']}"
    ) in result.stderr
    assert count_rows(engine, "orders") == 0


def test_skip_invalid_imports_good_rows_and_writes_rejects(
    cli: Cli, tmp_path: Path, engine
) -> None:
    good = order_row()
    formula = "=cmd|' /C calc'!A0"  # what a spreadsheet would run, opening the rejects file
    hostile = order_row(buyer_country="ZZ", buyer_name=formula)
    rows = [good, order_row(packages="-1"), hostile]
    path = write_csv(tmp_path / "mixed.csv", rows)

    result = cli("orders", "import", str(path), "--skip-invalid")

    assert result.exit_code == 0, result.stderr
    assert "2 rejected" in result.stdout
    assert count_rows(engine, "orders") == 1
    rejects = (tmp_path / "mixed.csv.rejects.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rejects[0].endswith("reject_line,reject_reasons")
    assert len(rejects) == 3
    assert rejects[1].endswith(",3,packages: -1 packages: 1 to 999 expected")
    assert ",'-1," in rejects[1] and ",'=cmd|' /C calc'!A0," in rejects[2]  # shown as text
    # The rejects file is an order book again: fixed, it imports, each cell as first written.
    fixed = (tmp_path / "mixed.csv.rejects.csv").read_text(encoding="utf-8-sig")
    fixed = fixed.replace(",'-1,", ",1,").replace(",ZZ,", ",MY,")
    (tmp_path / "fixed.csv").write_text(fixed, encoding="utf-8")
    again = cli("orders", "import", str(tmp_path / "fixed.csv"))
    assert again.exit_code == 0, again.stderr
    assert count_rows(engine, "orders") == 3
    shown = json.loads(cli("orders", "show", hostile["order_no"], "--json").stdout)
    assert shown["buyer"]["name"] == formula


def test_unusable_files_are_one_clear_line(cli: Cli, tmp_path: Path, engine) -> None:
    cli("orders", "import", str(write_csv(tmp_path / "first.csv", [order_row()])))
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "latin1.csv").write_bytes(
        ",".join(COLUMNS).encode() + b"\n" + "Müller".encode("latin-1") * 3 + b"\n"
    )
    (tmp_path / "image.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    (tmp_path / "nocols.csv").write_text("order_no,buyer_name\n1234567,Ann\n")
    (tmp_path / "huge.csv").write_text(",".join(COLUMNS) + "\n" + "9" * 100_000 + "\n")
    (tmp_path / "bigcell.csv").write_text(",".join(COLUMNS) + "\n" + "9" * 5_000 + "\n")
    expectations = {
        "missing.csv": "no such file",
        "empty.csv": "the file is empty",
        "latin1.csv": "line 2, column -: not UTF-8 text",
        "image.csv": "not UTF-8 text",
        "nocols.csv": "missing column(s) in the header",
        "huge.csv": "line 2, column -: line too long for an order record",
        "bigcell.csv": "line 2, column -: broken CSV: field larger than field limit",
    }
    for name, expected in expectations.items():
        result = cli("orders", "import", str(tmp_path / name))
        assert result.exit_code == 2, name
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (name, result.stderr)
        assert expected in lines[0], (name, lines[0])
    assert count_rows(engine, "orders") == 1


def test_killed_import_leaves_the_order_book_as_it_was(cli: Cli, tmp_path: Path, engine) -> None:
    kept = order_row()
    cli("orders", "import", str(write_csv(tmp_path / "first.csv", [kept])))
    big = tmp_path / "big.csv"
    write_csv(big, [r.cells for r in demo_records(150_000, seed=3)])

    process = cli.popen("orders", "import", str(big))
    time.sleep(2.0)
    assert process.poll() is None, "the import finished before it could be interrupted"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)

    assert count_rows(engine, "orders") == 1
    assert count_rows(engine, "waybills") == 1
    again = cli("orders", "import", str(write_csv(tmp_path / "next.csv", [order_row()])))
    assert again.exit_code == 0, again.stderr
    assert count_rows(engine, "orders") == 2


def test_progress_bar_on_a_terminal_only(cli: Cli, tmp_path: Path, engine) -> None:
    path = write_csv(tmp_path / "book.csv", [r.cells for r in demo_records(20_000, seed=5)])

    on_tty = cli.on_terminal("orders", "import", str(path), "--json")
    piped = cli.process("orders", "import", str(path), "--json")

    assert on_tty.exit_code == 0, on_tty.stderr
    assert "importing book.csv" in on_tty.stderr
    assert json.loads(on_tty.stdout)["inserted"] == 20_000
    assert piped.stderr == ""
    assert json.loads(piped.stdout)["updated"] == 20_000


def test_skip_invalid_json_lines_writes_json_lines_rejects(
    cli: Cli, tmp_path: Path, engine
) -> None:
    path = write_jsonl(tmp_path / "book.jsonl", [order_row(), order_row(packages=0)])
    with path.open("a", encoding="utf-8") as f:
        f.write('{"order_no": "123", broken\n')

    result = cli("orders", "import", str(path), "--skip-invalid", "--json")

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["inserted"], report["rejected"]) == (1, 2)
    rejects = [
        json.loads(line)
        for line in (tmp_path / "book.jsonl.rejects.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [r["reject_line"] for r in rejects] == [2, 3]
    assert rejects[0]["packages"] == "0" and "packages" in rejects[0]["reject_reasons"]
    assert "not valid JSON" in rejects[1]["reject_reasons"]
    assert count_rows(engine, "orders") == 1
