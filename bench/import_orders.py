"""Time `intake orders import` of a generated order book, against plain sqlite3 executemany.

    .venv/bin/python bench/import_orders.py [--orders N] [--pg]

The CSV is generated once under bench/out/ (not timed). The import runs as a real process, the
console script on a fresh SQLite file made by `intake db upgrade`; its wall time and peak RSS are
measured. The baseline inserts the same rows, unvalidated, with sqlite3 executemany into a fresh
database of the same schema (same tables, keys and indexes, same pragmas), in one transaction.
"""

import argparse
import os
import sqlite3
import sys
import time
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

TARGET_SECONDS = 60.0
TARGET_RSS_MB = 500.0
BATCH = 5000


def main() -> None:
    """Generate, import through the CLI, import the baseline, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--pg", action="store_true", help="also import into PostgreSQL")
    args = parser.parse_args()
    print(f"machine: {common.machine()}")
    csv_path = common.orders_csv(args.orders)

    db_path, url = common.fresh_sqlite(f"import-{args.orders}.db")
    run = import_with_cli(csv_path, url)
    orders, waybills = count_rows(db_path)
    baseline = baseline_sqlite(csv_path)
    report("SQLite", args.orders, run, orders, waybills, baseline)

    if args.pg:
        with common.fresh_pg("import") as pg_url:
            pg_run = import_with_cli(csv_path, pg_url)
            pg_baseline = baseline_pg(csv_path, pg_url)
        report("PostgreSQL", args.orders, pg_run, None, None, pg_baseline)


def import_with_cli(csv_path: Path, url: str) -> common.ProcessRun:
    """`intake orders import FILE --json` as a process; exits if it fails."""
    env = os.environ | {"INTAKE_DATABASE_URL": url}
    run = common.timed_process([common.INTAKE, "orders", "import", str(csv_path), "--json"], env)
    if run.returncode != 0:
        sys.exit(f"import failed ({run.returncode}):\n{run.stderr[-2000:]}")
    return run


def count_rows(db_path: Path) -> tuple[int, int]:
    """Orders and waybills stored, to check the import wrote everything."""
    with sqlite3.connect(db_path) as connection:
        orders = connection.execute("SELECT count(*) FROM orders").fetchone()[0]
        waybills = connection.execute("SELECT count(*) FROM waybills").fetchone()[0]
    return orders, waybills


def baseline_sqlite(csv_path: Path) -> float:
    """Seconds to executemany the same rows, unvalidated, into a fresh database of the schema."""
    db_path, _url = common.fresh_sqlite("import-baseline.db")
    connection = sqlite3.connect(db_path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        connection.execute(f"PRAGMA {pragma}")
    started = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    rows = common.read_csv_rows(csv_path)
    while batch := list(islice(rows, BATCH)):
        suppliers, orders, waybills = _baseline_values(batch)
        connection.executemany("INSERT OR IGNORE INTO suppliers VALUES (?, ?, ?)", suppliers)
        connection.executemany(
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'awaiting', NULL)", orders
        )
        connection.executemany("INSERT INTO waybills VALUES (?, ?, ?)", waybills)
    connection.execute("COMMIT")
    seconds = time.perf_counter() - started
    connection.close()
    return seconds


Values = list[tuple[object, ...]]


def _baseline_values(batch: list[dict[str, str]]) -> tuple[Values, Values, Values]:
    """The suppliers, orders and waybills of a batch of CSV rows, as they come (no validation)."""
    suppliers = {
        r["supplier_id"]: (r["supplier_id"], r["supplier_name"], r["supplier_address"])
        for r in batch
    }
    orders: Values = [
        (
            r["order_no"],
            r["supplier_id"],
            r["buyer_name"],
            r["buyer_address"],
            r["buyer_postcode"],
            r["buyer_country"],
            r["carrier"] or None,
            int(r["packages"] or 1),
            r["ordered_at"],
            r["ready_to_ship_at"] or None,
        )
        for r in batch
    ]
    waybills: Values = [
        (t, r["order_no"], r["carrier"] or None)
        for r in batch
        for t in r["domestic_tracking_no"].split(";")
        if t
    ]
    return list(suppliers.values()), orders, waybills


def baseline_pg(csv_path: Path, url: str) -> float:
    """The PostgreSQL baseline: psycopg executemany of the same rows, emptied tables first."""
    import psycopg
    from sqlalchemy.engine import make_url

    parts = make_url(url)
    conninfo = (
        f"host={parts.host} port={parts.port} dbname={parts.database} "
        f"user={parts.username} password={parts.password}"
    )
    with psycopg.connect(conninfo) as connection:
        connection.execute("TRUNCATE waybills, orders, suppliers CASCADE")
        connection.commit()
        started = time.perf_counter()
        with connection.cursor() as cursor:
            rows = common.read_csv_rows(csv_path)
            while batch := list(islice(rows, BATCH)):
                suppliers, orders, waybills = _baseline_values(batch)
                cursor.executemany(
                    "INSERT INTO suppliers VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", suppliers
                )
                cursor.executemany(
                    "INSERT INTO orders VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
                    " 'awaiting', NULL)",
                    orders,
                )
                cursor.executemany("INSERT INTO waybills VALUES (%s, %s, %s)", waybills)
        connection.commit()
        return time.perf_counter() - started


def report(
    backend: str,
    count: int,
    run: common.ProcessRun,
    orders: int | None,
    waybills: int | None,
    baseline: float,
) -> None:
    """Print the figures of one backend."""
    print(f"\n== import of {count:,} orders into {backend} ==")
    print(f"intake orders import:  {run.seconds:8.1f} s   target <= {TARGET_SECONDS:.0f} s")
    print(f"peak RSS (child):      {run.max_rss_mb:8.0f} MB  target < {TARGET_RSS_MB:.0f} MB")
    print(f"rate:                  {count / run.seconds:8.0f} orders/s")
    print(f"baseline executemany:  {baseline:8.1f} s   ({count / baseline:.0f} rows/s)")
    print(f"ratio intake/baseline: {run.seconds / baseline:8.2f} x")
    if orders is not None:
        print(f"stored: {orders:,} orders, {waybills:,} waybills")
    print(f"report: {run.stdout.strip()[:200]}")


if __name__ == "__main__":
    main()
