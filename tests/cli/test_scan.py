"""`intake scan`: every outcome a station meets, through the CLI."""

import json
from pathlib import Path

from tests.conftest import Cli
from tests.factories import count_rows, order_row, write_csv


def _book(cli: Cli, tmp_path: Path, *rows: dict[str, str]) -> None:
    result = cli("orders", "import", str(write_csv(tmp_path / "book.csv", list(rows))))
    assert result.exit_code == 0, result.stderr


def _scan(cli: Cli, code: str, station: str = "DOCK-1") -> dict[str, object]:
    result = cli("scan", code, "--station", station, "--operator", "li", "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_waybill_scan_receives_the_carton(cli: Cli, tmp_path: Path, engine) -> None:
    row = order_row(domestic_tracking_no="SF1234567890123")
    _book(cli, tmp_path, row)

    decision = _scan(cli, "SF1234567890123")

    assert decision["outcome"] == "received"
    assert decision["order_no"] == row["order_no"]
    assert decision["code_kind"] == "tracking_no"
    assert decision["carrier_hint"] == "SF"
    assert (decision["cartons_received"], decision["packages"]) == (1, 1)
    assert decision["order_status"] == "received"
    assert count_rows(engine, "cartons") == 1


def test_second_scan_is_already_received_with_first_station(
    cli: Cli, tmp_path: Path, engine
) -> None:
    row = order_row()
    _book(cli, tmp_path, row)
    _scan(cli, row["domestic_tracking_no"], station="DOCK-1")

    again = _scan(cli, row["domestic_tracking_no"], station="DOCK-7")
    by_label = _scan(cli, row["order_no"], station="DOCK-7")

    for decision in (again, by_label):
        assert decision["outcome"] == "already_received"
        assert decision["first_received_station"] == "DOCK-1"
        assert "DOCK-1" in str(decision["message"])
    assert count_rows(engine, "cartons") == 1
    assert count_rows(engine, "scan_events") == 3


def test_scanner_framing_case_and_spacing_are_normalised(cli: Cli, tmp_path: Path) -> None:
    row = order_row(domestic_tracking_no="JT1234567890123", carrier="J&T")
    _book(cli, tmp_path, row)

    decision = _scan(cli, "]C0jt 1234-5678 90123\r\n")

    assert decision["outcome"] == "received"
    assert decision["code"] == "JT1234567890123"


def test_multi_package_order_counts_cartons(cli: Cli, tmp_path: Path) -> None:
    waybills = "SF1000000000001;SF1000000000002;SF1000000000003"
    row = order_row(packages=3, domestic_tracking_no=waybills)
    _book(cli, tmp_path, row)

    first = _scan(cli, "SF1000000000002")
    second = _scan(cli, "SF1000000000001")
    third = _scan(cli, "SF1000000000003")

    assert [d["cartons_received"] for d in (first, second, third)] == [1, 2, 3]
    assert [d["order_status"] for d in (first, second, third)] == [
        "partially_received",
        "partially_received",
        "received",
    ]
    assert "2 of 3" in str(second["message"])
    shown = json.loads(cli("orders", "show", row["order_no"], "--json").stdout)
    assert shown["status"] == "received"
    assert shown["cartons_received"] == 3


def test_unknown_code_is_held_never_dropped(cli: Cli, tmp_path: Path, engine) -> None:
    _book(cli, tmp_path, order_row())

    first = _scan(cli, "YT9999999999999")
    again = _scan(cli, "YT9999999999999")

    assert first["outcome"] == again["outcome"] == "unknown"
    assert first["carrier_hint"] == "YTO"
    assert "held" in str(first["message"])
    assert "already held" in str(again["message"])
    with engine.connect() as c:
        held = c.exec_driver_sql("SELECT code, state, order_no FROM cartons").all()
    assert held == [("YT9999999999999", "held", None)]
    assert count_rows(engine, "scan_events") == 2


def test_invalid_codes_are_refused_clearly_and_journaled(cli: Cli, tmp_path: Path, engine) -> None:
    _book(cli, tmp_path, order_row())
    hostile = [
        "",
        "   ",
        "SF12\x0034",
        "A" * 129,
        "'; DROP TABLE orders; --",
        "<script>alert(1)</script>",
    ]

    decisions = [_scan(cli, code) for code in hostile]

    assert [d["outcome"] for d in decisions] == ["invalid"] * len(hostile)
    assert "empty" in str(decisions[0]["message"])
    assert "control characters" in str(decisions[2]["message"])
    assert "over 128" in str(decisions[3]["message"])
    assert count_rows(engine, "orders") == 1
    assert count_rows(engine, "cartons") == 0
    with engine.connect() as c:
        raws = c.exec_driver_sql("SELECT raw_code FROM scan_events ORDER BY id").scalars().all()
    assert raws[2] == "SF12\\x0034"  # escaped, never stored raw
    assert raws[4] == "'; DROP TABLE orders; --"


def test_human_output_names_the_outcome(cli: Cli, tmp_path: Path) -> None:
    row = order_row()
    _book(cli, tmp_path, row)

    result = cli("scan", row["domestic_tracking_no"], "--station", "DOCK-1", "--operator", "li")

    assert result.exit_code == 0
    assert "RECEIVED" in result.stdout
    assert row["order_no"] in result.stdout
    assert "深圳市华强电子科技有限公司" in result.stdout


def test_bad_station_or_operator_is_exit_2_and_nothing_recorded(
    cli: Cli, tmp_path: Path, engine
) -> None:
    row = order_row()
    _book(cli, tmp_path, row)

    empty = cli("scan", row["domestic_tracking_no"], "--station", " ", "--operator", "li")
    long = cli("scan", row["domestic_tracking_no"], "--station", "S" * 65, "--operator", "li")

    assert empty.exit_code == long.exit_code == 2
    assert empty.stderr.strip() == "error: station is empty"
    assert "over 64" in long.stderr
    assert count_rows(engine, "scan_events") == 0
