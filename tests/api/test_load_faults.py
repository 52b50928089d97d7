"""Many stations, one truth, across faults: a server crash, a disk that fills up, two worker
processes whose groups of scans deadlock.

`bench/load.py` small, as CI runs it: 8 stations scan 300 cartons (each 1 to 4 times, racing)
through a real `intake serve`, each station with the desktop station's offline queue; half-way
the server's process group is killed with SIGKILL and started again. The database is then read
here with plain SQL, apart from the script's own checks: whatever a station was answered is
stored as answered, each carton has one receipt, each scan sent is one scan event.
"""

import json
import shutil
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session

from intake import db
from tests.cli.test_group_commit import _held, _scan
from tests.conftest import REPO, Cli
from tests.factories import order_row, write_csv

LOAD = REPO / "bench" / "load.py"


def _stored(database_url: str) -> dict[str, list[sa.Row[tuple[object, ...]]]]:
    engine = sa.create_engine(database_url)
    queries = {
        "cartons": "SELECT code, state FROM cartons",
        "events": "SELECT id, station, idempotency_key, outcome, carton_id FROM scan_events",
    }
    try:
        with engine.connect() as connection:
            return {name: list(connection.execute(sa.text(sql))) for name, sql in queries.items()}
    finally:
        engine.dispose()


def test_what_stations_were_answered_survives_a_server_crash(
    database_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "load.json"
    argv = [sys.executable, str(LOAD), "--url", database_url, "--stations", "8",
            "--cartons", "300", "--kill", "1", "--workers", "1", "--json", str(out)]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    run = json.loads(out.read_text())
    stored = _stored(database_url)

    # The crash came in the middle of the load, and the stations saw it.
    [kill] = run["kills"]
    assert 0 < kill["after_answers"] < run["scans_sent"]
    assert run["refused"] + run["cut_off"] > 0
    assert set(run["statuses"]) == {"200"}

    # One carton, received, for each waybill of the book; one receipt each.
    assert sorted(code for code, _ in stored["cartons"]) == sorted(run["waybills"])
    assert {state for _, state in stored["cartons"]} == {"received"}
    receipts = Counter(e.carton_id for e in stored["events"] if e.outcome == "received")
    assert sorted(receipts.values()) == [1] * len(run["waybills"])

    # One scan event per scan sent, every other one `already_received`.
    keys = Counter((e.station, e.idempotency_key) for e in stored["events"])
    assert keys == Counter((station, key) for station, key in run["sent"])
    outcomes = Counter(e.outcome for e in stored["events"])
    assert outcomes == {"received": 300, "already_received": len(run["sent"]) - 300}

    # Every answer the stations were given is in the database, as given.
    events = {(e.station, e.idempotency_key): (e.id, e.outcome) for e in stored["events"]}
    for answer in run["answered"]:
        key = (answer["station"], answer["key"])
        assert events[key] == (answer["scan_id"], answer["outcome"]), answer


def _room_for(pages: int) -> Callable[[Any, Any], None]:
    """A connection on which the database can grow by `pages` pages only: a disk about full."""

    def connect(dbapi_connection: Any, _record: Any) -> None:
        size = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {size + pages}")

    return connect


def test_a_disk_filling_up_during_a_group_of_scans_loses_no_answered_scan(
    sqlite_template: Path, tmp_path: Path
) -> None:
    # SQLite rolls the whole transaction back when the disk is full: the scans the group did
    # before must not be answered as stored, nor those after it be stored one by one.
    path = tmp_path / "intake.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    cli = Cli({"INTAKE_DATABASE_URL": url}, tmp_path)
    rows = [order_row() for _ in range(120)]
    codes = [row["domestic_tracking_no"] for row in rows]
    assert cli("orders", "import", str(write_csv(tmp_path / "book.csv", rows))).exit_code == 0
    engine = db.create_db_engine(url)
    event.listen(engine, "connect", _room_for(pages=4))
    group = db.GroupCommit(engine)
    release = _held(group)  # the scans queue up meanwhile and run as groups
    futures = {code: group.submit(_scan(code)) for code in codes}
    release.set()
    answered = {code for code, future in futures.items() if future.exception(60) is None}
    group.close()
    engine.dispose()

    with sa.create_engine(url).connect() as connection:
        stored = list(connection.execute(sa.text("SELECT code, outcome FROM scan_events")))
    assert 0 < len(answered) < len(codes)  # some scans fitted, then the disk was full
    assert sorted(code for code, _ in stored) == sorted(answered)
    assert {outcome for _, outcome in stored} == {"received"}


def test_two_workers_whose_groups_deadlock_answer_every_scan(
    backend: str, cli: Cli, database_url: str, tmp_path: Path
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite has one writer: two groups never wait for each other's rows")
    # Two worker processes' groups receive the same two cartons in opposite orders: each waits
    # for the other's carton, and PostgreSQL picks one group's scan to fail. That scan did
    # nothing wrong: it must be answered, not refused with an error.
    rows = [order_row() for _ in range(2)]
    assert cli("orders", "import", str(write_csv(tmp_path / "book.csv", rows))).exit_code == 0
    first, second = (row["domestic_tracking_no"] for row in rows)
    engines = [db.create_db_engine(database_url) for _ in range(2)]
    groups = [db.GroupCommit(engine) for engine in engines]
    ready = [threading.Event(), threading.Event()]

    def meet(me: int) -> Callable[[Session], None]:
        def work(_session: Session) -> None:  # each group has its first carton: now the second
            ready[me].set()
            assert ready[1 - me].wait(30)

        return work

    releases = [_held(group) for group in groups]
    scans = []
    for me, (one, other) in enumerate(((first, second), (second, first))):
        scans.append(groups[me].submit(_scan(one, station=f"DOCK-{me}")))
        groups[me].submit(meet(me))
        scans.append(groups[me].submit(_scan(other, station=f"DOCK-{me}")))
    for release in releases:
        release.set()
    outcomes = Counter(str(scan.result(timeout=60).outcome) for scan in scans)
    for group, engine in zip(groups, engines, strict=True):
        group.close()
        engine.dispose()

    assert outcomes == {"received": 2, "already_received": 2}
    stored = _stored(database_url)
    assert sorted(code for code, _ in stored["cartons"]) == sorted([first, second])
    assert len(stored["events"]) == 4
