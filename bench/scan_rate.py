"""Sustained scans per second of `receive_scan`, one short transaction per scan, on SQLite.

    .venv/bin/python bench/scan_rate.py [--orders N] [--seconds S]

The order book is the one bench/import_orders.py imported (bench/out/import-N.db), copied so that
every run starts from the same state; without it, the CSV is imported first. The scans are a
station's mix: mostly new waybills, some order numbers from labels, repeats (already_received),
unknown codes (held) and garbage (invalid), with scanner framing on some. The baseline runs the
same codes through bare sqlite3: a SELECT by primary key, an INSERT and a COMMIT per scan.
"""

import argparse
import random
import shutil
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

TARGET_RATE = 1000.0
STATION, OPERATOR = "DOCK-1", "bench"
# What a station sees; the weights are per scan.
MIX = (("new_waybill", 80), ("new_order_no", 4), ("repeat", 9), ("unknown", 5), ("invalid", 2))
INVALID = ("", "\x1b[A", "ab$%#", "http://example.com/x", "\x00\x00", "？？？", "]C0\r\n")


def main() -> None:
    """Prepare the order book, run the intake loop and the baseline, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=15.0, help="length of the timed run")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    print(f"machine: {common.machine()}")
    path, url = order_book_copy(args.orders, "scan")
    codes = scan_codes(path, args.seconds, random.Random(args.seed))
    count, seconds, latencies, outcomes = run_intake(url, codes, args.seconds)
    base_seconds = run_baseline(path, codes[:count])
    report(args.orders, count, seconds, latencies, outcomes, base_seconds)


def order_book_copy(orders: int, name: str) -> tuple[Path, str]:
    """A copy of the imported order book of `orders` orders (imported first if missing)."""
    source = common.OUT / f"import-{orders}.db"
    if not source.exists() or Path(f"{source}-wal").exists():
        print(f"importing {orders:,} orders into {source} (not timed)")
        csv_path = common.orders_csv(orders)
        _path, source_url = common.fresh_sqlite(source.name)
        common.run_intake(["orders", "import", str(csv_path)], source_url)
    target = common.OUT / f"{name}-{orders}.db"
    for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target, f"sqlite:///{target}"


def scan_codes(path: Path, seconds: float, rng: random.Random) -> list[str]:
    """Enough raw scans for the run at several times the target rate, in the station's mix."""
    wanted = int(seconds * TARGET_RATE * 4)
    with sqlite3.connect(path) as connection:
        waybills = [
            t
            for (t,) in connection.execute(
                "SELECT tracking_no FROM waybills ORDER BY random() LIMIT ?", (wanted,)
            )
        ]
        # Single-carton orders without a waybill: their label's order number is the carton.
        order_nos = [
            o
            for (o,) in connection.execute(
                "SELECT order_no FROM orders WHERE packages = 1 AND order_no NOT IN "
                "(SELECT order_no FROM waybills) ORDER BY random() LIMIT ?",
                (wanted // 10,),
            )
        ]
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    done: list[str] = []
    codes: list[str] = []
    for kind in rng.choices(kinds, weights, k=wanted):
        if kind == "repeat" and done:
            code = rng.choice(done)
        elif kind == "unknown":
            code = f"SF{rng.randrange(10**12, 10**13)}"  # a waybill no supplier registered
        elif kind == "invalid":
            code = rng.choice(INVALID)
        elif kind == "new_order_no" and order_nos:
            code = order_nos.pop()
            done.append(code)
        else:
            code = waybills.pop()
            done.append(code)
        codes.append(_framed(code, rng))
    return codes


def _framed(code: str, rng: random.Random) -> str:
    """Some scanners send an AIM prefix and Enter, some a lower-case or hyphenated number."""
    roll = rng.random()
    if roll < 0.2:
        return f"]C0{code}\r\n"
    if roll < 0.3:
        return code.lower()
    return code


def run_intake(
    url: str, codes: list[str], seconds: float
) -> tuple[int, float, list[float], Counter[str]]:
    """receive_scan in a loop, one session_scope per scan, until `seconds` have passed."""
    from intake import db
    from intake.receiving import receive_scan
    from intake.settings import get_settings, rules_from

    rules = rules_from(get_settings())
    engine = db.create_db_engine(url)
    db.check_schema(engine)
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    started = time.perf_counter()
    for code in codes:
        before = time.perf_counter()
        with db.session_scope(engine) as session:
            decision = receive_scan(
                session, raw_code=code, station=STATION, operator=OPERATOR, rules=rules
            )
        after = time.perf_counter()
        latencies.append(after - before)
        outcomes[decision.outcome] += 1
        if after - started >= seconds:
            break
    else:
        sys.exit("ran out of codes before the time was up: raise the estimate in scan_codes")
    elapsed = time.perf_counter() - started
    engine.dispose()
    return len(latencies), elapsed, latencies, outcomes


def run_baseline(path: Path, codes: list[str]) -> float:
    """Seconds for the same codes as bare sqlite3: SELECT by key, INSERT, COMMIT per scan."""
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        connection.execute(f"PRAGMA {pragma}")
    started = time.perf_counter()
    for raw in codes:
        code = raw.strip().removeprefix("]C0").upper()
        connection.execute("BEGIN IMMEDIATE")
        row = connection.execute(
            "SELECT order_no FROM waybills WHERE tracking_no = ?", (code,)
        ).fetchone()
        connection.execute(
            "INSERT INTO scan_events (scanned_at, station, operator, raw_code, code, code_kind,"
            " outcome, order_no, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '')",
            (
                "2026-11-20 12:00:00.000000",
                STATION,
                OPERATOR,
                raw,
                code,
                "tracking_no" if row else "unknown",
                "received" if row else "unknown",
                row[0] if row else None,
            ),
        )
        connection.execute("COMMIT")
    seconds = time.perf_counter() - started
    connection.close()
    return seconds


def report(
    orders: int,
    count: int,
    seconds: float,
    latencies: list[float],
    outcomes: Counter[str],
    base_seconds: float,
) -> None:
    """Print the figures."""
    rate, base_rate = count / seconds, count / base_seconds
    ordered = sorted(latencies)
    print(f"\n== receive_scan on SQLite, {orders:,} orders in the book ==")
    print(f"scans:                 {count:8,} in {seconds:.1f} s")
    print(f"sustained rate:        {rate:8.0f} scans/s  target >= {TARGET_RATE:.0f}/s")
    print(
        f"latency per scan:      median {common.percentile(ordered, 0.5) * 1000:.2f} ms, "
        f"p99 {common.percentile(ordered, 0.99) * 1000:.2f} ms, "
        f"max {ordered[-1] * 1000:.1f} ms"
    )
    print("outcomes:              " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    print(f"baseline sqlite3:      {base_rate:8.0f} scans/s  (same {count:,} codes)")
    print(f"ratio baseline/intake: {base_rate / rate:8.2f} x  (intake at {rate / base_rate:.0%})")


if __name__ == "__main__":
    main()
