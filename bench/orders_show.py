"""Time an order look-up (`get_order_view` plus its JSON) by order number, on SQLite.

    .venv/bin/python bench/orders_show.py [--orders N] [--lookups K]

The order book is a copy of bench/out/import-N.db (bench/import_orders.py; imported first when
missing). Before timing, a shift is scanned on it (not timed): cartons received by waybill and by
order number, repeats, and a few defects on the cartons, so that some orders have cartons, scans
and defects to show. Each look-up is what a request does: one session, `get_order_view`,
`view.as_dict()` and `json.dumps`. Half the order numbers are of scanned orders, half are random.
The whole `intake orders show N --json` process is timed too, for context.
"""

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from scan_rate import order_book_copy

TARGET_MS = 10.0
DEFECTS = ("missing_postcode", "forbidden_qr", "buyer_mismatch", "forbidden_contact")


def main() -> None:
    """Prepare the book, time the look-ups in process, then the CLI process, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=4000)
    parser.add_argument("--scanned", type=int, default=10_000, help="orders scanned before")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {common.machine()}")
    rng = random.Random(args.seed)
    path, url = order_book_copy(args.orders, "show")
    scanned = scan_a_shift(path, url, args.scanned, rng)
    everything = all_order_numbers(path)
    picks = [rng.choice(scanned) if i % 2 else rng.choice(everything) for i in range(args.lookups)]
    times = time_lookups(url, picks)
    cli_runs = time_cli(url, scanned[0])
    report(args.orders, path, times, cli_runs)


def scan_a_shift(path: Path, url: str, count: int, rng: random.Random) -> list[str]:
    """Receive cartons of `count` orders (a few twice), add defects to some; the orders scanned."""
    from intake import db
    from intake.receiving import receive_scan
    from intake.settings import get_settings, rules_from

    with sqlite3.connect(path) as connection:
        picked = connection.execute(
            "SELECT o.order_no, group_concat(w.tracking_no, ';') FROM orders o"
            " LEFT JOIN waybills w ON w.order_no = o.order_no"
            " GROUP BY o.order_no ORDER BY random() LIMIT ?",
            (count,),
        ).fetchall()
    codes: list[str] = []
    for order_no, waybills in picked:
        cartons = waybills.split(";") if waybills else [order_no]
        codes += cartons + ([rng.choice(cartons)] if rng.random() < 0.2 else [])
    rules = rules_from(get_settings())
    engine = db.create_db_engine(url)
    started = time.perf_counter()
    for code in codes:
        with db.session_scope(engine) as session:
            receive_scan(session, raw_code=code, station="DOCK-2", operator="bench", rules=rules)
    engine.dispose()
    with sqlite3.connect(path) as connection:
        cartons = [c for (c,) in connection.execute("SELECT id FROM cartons")]
        defects = [
            (c, rng.choice(DEFECTS), "", "open", "2026-11-20 12:00:00.000000")
            for c in rng.sample(cartons, len(cartons) // 20)
        ]
        connection.executemany(
            "INSERT INTO defects (carton_id, code, detail, state, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            defects,
        )
    print(
        f"prepared (not timed): {len(codes):,} scans of {len(picked):,} orders in "
        f"{time.perf_counter() - started:.0f} s, {len(defects):,} defects"
    )
    return [order_no for order_no, _ in picked]


def all_order_numbers(path: Path) -> list[str]:
    """Every order number of the book."""
    with sqlite3.connect(path) as connection:
        return [o for (o,) in connection.execute("SELECT order_no FROM orders")]


def time_lookups(url: str, order_nos: list[str]) -> list[float]:
    """Seconds per look-up: a session, get_order_view, as_dict and json.dumps."""
    from intake import db
    from intake.lookup import get_order_view
    from intake.settings import get_settings, rules_from

    rules = rules_from(get_settings())
    engine = db.create_db_engine(url)
    db.check_schema(engine)
    for order_no in order_nos[:50]:  # warm the pool and SQLAlchemy's statement cache
        with db.session_scope(engine) as session:
            get_order_view(session, order_no=order_no, rules=rules).as_dict()
    times = []
    for order_no in order_nos:
        started = time.perf_counter()
        with db.session_scope(engine) as session:
            view = get_order_view(session, order_no=order_no, rules=rules)
            json.dumps(view.as_dict(), ensure_ascii=False, default=str)
        times.append(time.perf_counter() - started)
    engine.dispose()
    return times


def time_cli(url: str, order_no: str) -> list[tuple[str, float]]:
    """Wall seconds of `intake orders show N --json`, and of starting Python and `intake --help`."""
    env = os.environ | {"INTAKE_DATABASE_URL": url}
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "intake --help": [common.INTAKE, "--help"],
        f"intake orders show {order_no} --json": [
            common.INTAKE,
            "orders",
            "show",
            order_no,
            "--json",
        ],
    }
    results = []
    for label, argv in commands.items():
        runs = []
        for _ in range(5):
            run = common.timed_process(argv, env)
            if run.returncode != 0:
                sys.exit(f"{label} failed: {run.stderr[-500:]}")
            runs.append(run.seconds)
        results.append((label, statistics.median(runs)))
    return results


def report(orders: int, path: Path, times: list[float], cli_runs: list[tuple[str, float]]) -> None:
    """Print the figures."""
    ordered = sorted(times)
    scanned = sorted(times[1::2])
    with sqlite3.connect(path) as connection:
        counts = {
            t: connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("orders", "cartons", "scan_events", "defects")
        }
    print(f"\n== order look-up on SQLite, {orders:,} orders ==")
    print("book: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    print(
        f"get_order_view + as_dict + json: {len(times):,} look-ups, "
        f"median {common.percentile(ordered, 0.5) * 1000:.2f} ms, "
        f"p99 {common.percentile(ordered, 0.99) * 1000:.2f} ms, "
        f"max {ordered[-1] * 1000:.1f} ms   target <= {TARGET_MS:.0f} ms"
    )
    print(
        f"  of scanned orders only: median {common.percentile(scanned, 0.5) * 1000:.2f} ms, "
        f"p99 {common.percentile(scanned, 0.99) * 1000:.2f} ms"
    )
    print("whole processes (median of 5 runs; process start dominates):")
    for label, seconds in cli_runs:
        print(f"  {label:45s} {seconds * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
