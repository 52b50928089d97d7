"""Stations scanning the same carton at the same moment: one receipt, the rest already in."""

import json
import threading
from collections import Counter
from pathlib import Path

from sqlalchemy.engine import Engine

from intake import db
from intake.receiving import receive_scan
from intake.settings import Settings, rules_from
from tests.conftest import Cli
from tests.factories import count_rows, order_row, write_csv


def test_processes_racing_on_one_carton_give_one_receipt(
    cli: Cli, tmp_path: Path, engine: Engine
) -> None:
    row = order_row()
    assert cli("orders", "import", str(write_csv(tmp_path / "b.csv", [row]))).exit_code == 0

    stations = [
        cli.popen(
            "scan",
            row["domestic_tracking_no"],
            "--station",
            f"DOCK-{i}",
            "--operator",
            "op",
            "--json",
        )
        for i in range(6)
    ]
    outcomes = []
    for p in stations:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outcomes.append(json.loads(out)["outcome"])

    assert Counter(outcomes) == {"received": 1, "already_received": 5}
    assert count_rows(engine, "cartons") == 1
    assert count_rows(engine, "scan_events") == 6


def test_threads_racing_on_label_and_waybill_of_one_carton(
    cli: Cli, tmp_path: Path, engine: Engine, database_url: str
) -> None:
    """The order-number label and the waybill of a one-carton order are the same carton."""
    single = order_row()
    multi = order_row(packages=3, domestic_tracking_no="SF2000000000001;SF2000000000002")
    path = write_csv(tmp_path / "b.csv", [single, multi])
    assert cli("orders", "import", str(path)).exit_code == 0
    codes = [single["domestic_tracking_no"], single["order_no"]] * 4 + [
        "SF2000000000001",
        "SF2000000000002",
        multi["order_no"],
        "SF2000000000001",
    ] * 2
    rules = rules_from(Settings())
    barrier = threading.Barrier(len(codes))
    outcomes: list[tuple[str, str]] = []
    errors: list[BaseException] = []

    def station(i: int, code: str) -> None:
        try:
            barrier.wait()
            with db.session_scope(engine) as session:
                d = receive_scan(
                    session, raw_code=code, station=f"S{i}", operator="op", rules=rules
                )
            outcomes.append((d.order_no or "", d.outcome))
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)

    threads = [threading.Thread(target=station, args=(i, c)) for i, c in enumerate(codes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert not errors, errors
    by_order = Counter(outcomes)
    assert by_order[(single["order_no"], "received")] == 1
    assert by_order[(single["order_no"], "already_received")] == 7
    assert by_order[(multi["order_no"], "received")] == 3  # two waybills and one label
    assert by_order[(multi["order_no"], "already_received")] == 5
    assert count_rows(engine, "cartons") == 4
    assert count_rows(engine, "scan_events") == len(codes)
    shown = json.loads(cli("orders", "show", multi["order_no"], "--json").stdout)
    assert shown["status"] == "received"
    assert sorted(c["seq"] for c in shown["cartons"]) == [1, 2, 3]
