"""`intake orders show`: an order's status, cartons, scans, defects and SLA flags."""

import json
from pathlib import Path

from sqlalchemy.engine import Engine

from tests.conftest import Cli
from tests.factories import order_row, write_csv


def test_show_a_received_order_with_its_scans_and_sla(cli: Cli, tmp_path: Path) -> None:
    late = order_row(
        ordered_at="2026-11-01T08:00:00+08:00", ready_to_ship_at="2026-11-05T09:30:00+08:00"
    )  # 97.5 h: 25.5 h late
    cli("orders", "import", str(write_csv(tmp_path / "b.csv", [late])))
    cli("scan", late["domestic_tracking_no"], "--station", "DOCK-2", "--operator", "wang")
    cli("scan", late["order_no"], "--station", "DOCK-5", "--operator", "zhao")

    shown = json.loads(cli("orders", "show", late["order_no"], "--json").stdout)

    assert shown["status"] == "received"
    assert shown["supplier"]["name"] == "深圳市华强电子科技有限公司"
    assert shown["tracking_numbers"] == [late["domestic_tracking_no"]]
    assert shown["ordered_at"] == "2026-11-01T00:00:00+00:00"
    assert [(s["station"], s["outcome"]) for s in shown["scans"]] == [
        ("DOCK-2", "received"),
        ("DOCK-5", "already_received"),
    ]
    assert shown["sla"]["late_ready_to_ship"] is True
    assert shown["sla"]["hours_late_ready_to_ship"] == 25.5
    assert shown["sla"]["carrier_delay"] is True  # received weeks after ready to ship
    assert shown["defects"] == []
    text = cli("orders", "show", late["order_no"])
    assert "late ready to ship yes" in text.stdout
    assert "DOCK-5" in text.stdout
    assert "+0800" in text.stdout  # local warehouse time, Asia/Shanghai by default


def test_show_an_order_not_yet_received(cli: Cli, tmp_path: Path) -> None:
    row = order_row(ready_to_ship_at="")
    cli("orders", "import", str(write_csv(tmp_path / "b.csv", [row])))

    shown = json.loads(cli("orders", "show", f" {row['order_no']} ", "--json").stdout)

    assert shown["status"] == "awaiting"
    assert shown["cartons"] == [] and shown["scans"] == []
    assert shown["sla"] is None
    assert shown["ready_to_ship_at"] is None


def test_unknown_order_is_exit_2_one_line(cli: Cli, engine: Engine) -> None:
    for order_no in ("999999999", "'; DROP TABLE orders; --", "x" * 5000):
        result = cli("orders", "show", order_no)
        assert result.exit_code == 2
        assert result.stderr.count("\n") == 1
        assert result.stderr.startswith("error: no order ")
