"""Scans committed in groups (intake.db.GroupCommit, what POST /scans uses): each scan answered
only once committed, one scan's failure never another's, on SQLite and PostgreSQL."""

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from intake import db
from intake.errors import InvalidInput
from intake.receiving import ScanDecision, receive_scan
from intake.settings import Settings, rules_from
from tests.conftest import Cli
from tests.factories import count_rows, order_row, write_csv

RULES = rules_from(Settings())


def _scan(
    code: str, operator: str = "op", station: str = "DOCK-1"
) -> Callable[[Session], ScanDecision]:
    def work(session: Session) -> ScanDecision:
        return receive_scan(session, raw_code=code, station=station, operator=operator,
                            rules=RULES)  # fmt: skip

    return work


def _import(cli: Cli, tmp_path: Path, count: int) -> list[dict[str, str]]:
    rows = [order_row() for _ in range(count)]
    assert cli("orders", "import", str(write_csv(tmp_path / "b.csv", rows))).exit_code == 0
    return rows


def _held(group: db.GroupCommit) -> threading.Event:
    """Keep the group's thread busy until the event is set: what is submitted meanwhile queues
    up and runs as one batch."""
    release, started = threading.Event(), threading.Event()

    def wait(_session: Session) -> None:
        started.set()
        release.wait(30)

    group.submit(wait)
    assert started.wait(30)
    return release


def test_scans_from_many_threads_are_each_received_once(
    cli: Cli, tmp_path: Path, engine: Engine
) -> None:
    rows = _import(cli, tmp_path, 40)
    codes = [r["domestic_tracking_no"] for r in rows] * 2  # every carton scanned twice
    group = db.GroupCommit(engine)
    futures: list[Future[ScanDecision]] = []
    lock = threading.Lock()

    def station(mine: list[str], name: str) -> None:
        for code in mine:
            future = group.submit(_scan(code, station=name))
            with lock:
                futures.append(future)

    threads = [threading.Thread(target=station, args=(codes[i::8], f"DOCK-{i}")) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outcomes = Counter(str(f.result(timeout=60).outcome) for f in futures)
    group.close()

    assert outcomes == {"received": 40, "already_received": 40}
    assert count_rows(engine, "cartons") == 40
    assert count_rows(engine, "scan_events") == 80


def test_a_failing_scan_in_a_group_fails_alone(cli: Cli, tmp_path: Path, engine: Engine) -> None:
    rows = _import(cli, tmp_path, 3)
    group = db.GroupCommit(engine)
    release = _held(group)
    first = group.submit(_scan(rows[0]["domestic_tracking_no"]))
    bad = group.submit(_scan(rows[1]["domestic_tracking_no"], operator="   "))  # refused
    last = group.submit(_scan(rows[2]["domestic_tracking_no"]))
    release.set()

    assert first.result(timeout=60).outcome == "received"
    assert last.result(timeout=60).outcome == "received"
    with pytest.raises(InvalidInput, match="operator is empty"):
        bad.result(timeout=60)
    group.close()
    assert count_rows(engine, "cartons") == 2
    assert count_rows(engine, "scan_events") == 2


def test_a_group_whose_transaction_breaks_runs_each_scan_again_alone(
    cli: Cli, tmp_path: Path, engine: Engine
) -> None:
    rows = _import(cli, tmp_path, 2)
    group = db.GroupCommit(engine)

    def lose_the_connection(session: Session) -> None:
        session.connection().invalidate()  # as if the database went away mid-batch

    release = _held(group)
    first = group.submit(_scan(rows[0]["domestic_tracking_no"]))
    broken = group.submit(lose_the_connection)
    last = group.submit(_scan(rows[1]["domestic_tracking_no"]))
    release.set()

    assert first.result(timeout=60).outcome == "received"
    assert last.result(timeout=60).outcome == "received"
    with pytest.raises(Exception):  # noqa: B017 - whatever the driver says of a lost connection
        broken.result(timeout=60)
    group.close()
    assert count_rows(engine, "cartons") == 2
    assert count_rows(engine, "scan_events") == 2


def test_two_workers_groups_racing_for_the_same_cartons_receive_each_once(
    cli: Cli, tmp_path: Path, engine: Engine
) -> None:
    # Two service workers, each with its own group commit: on PostgreSQL their groups run at
    # once, and a scan that loses the race for a carton inside a group is decided again alone.
    rows = _import(cli, tmp_path, 30)
    codes = [r["domestic_tracking_no"] for r in rows]
    groups = [db.GroupCommit(engine), db.GroupCommit(engine)]
    releases = [_held(g) for g in groups]
    futures = [g.submit(_scan(code, station=f"DOCK-{i}")) for code in codes
               for i, g in enumerate(groups)]  # fmt: skip
    for release in releases:
        release.set()
    outcomes = Counter(str(f.result(timeout=60).outcome) for f in futures)
    for g in groups:
        g.close()

    assert outcomes == {"received": 30, "already_received": 30}
    assert count_rows(engine, "cartons") == 30
    assert count_rows(engine, "scan_events") == 60


def test_two_failing_scans_in_a_group_fail_alone_and_the_rest_is_received(
    cli: Cli, tmp_path: Path, engine: Engine
) -> None:
    rows = _import(cli, tmp_path, 6)
    codes = [r["domestic_tracking_no"] for r in rows]
    group = db.GroupCommit(engine)
    release = _held(group)
    futures = [
        group.submit(_scan(code, operator="   " if i in (1, 4) else "op"))
        for i, code in enumerate(codes)
    ]
    release.set()

    for i, future in enumerate(futures):
        if i in (1, 4):
            with pytest.raises(InvalidInput, match="operator is empty"):
                future.result(timeout=60)
        else:
            assert future.result(timeout=60).outcome == "received"
    group.close()
    assert count_rows(engine, "cartons") == 4
    assert count_rows(engine, "scan_events") == 4


def test_two_workers_scanning_the_same_cartons_one_at_a_time_receive_each_once(
    cli: Cli, tmp_path: Path, engine: Engine
) -> None:
    # Scans alone (a group of one) take no savepoint: one that loses the race for a carton to
    # the other worker's scan fails on the carton's unique code, and runs again, deciding anew.
    rows = _import(cli, tmp_path, 40)
    groups = [db.GroupCommit(engine), db.GroupCommit(engine)]
    futures = []
    for row in rows:
        code = row["domestic_tracking_no"]
        futures += [g.submit(_scan(code, station=f"DOCK-{i}")) for i, g in enumerate(groups)]
        for future in futures[-2:]:
            future.result(timeout=60)  # the next carton only once both answered: groups of one
    outcomes = Counter(str(f.result(timeout=60).outcome) for f in futures)
    for g in groups:
        g.close()

    assert outcomes == {"received": 40, "already_received": 40}
    assert count_rows(engine, "cartons") == 40
    assert count_rows(engine, "scan_events") == 80
