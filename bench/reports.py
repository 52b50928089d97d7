"""Time `intake report mislabels` on a busy day, against the database reading the same rows.

    .venv/bin/python bench/reports.py [--cartons N] [--mislabels M] [--runs R] [--pg]

A fresh SQLite file under bench/out/ (and, with --pg, a fresh PostgreSQL database on
INTAKE_TEST_PG_URL's server) is filled with one local day by bench/report_day.py: timed, but not
part of the figures. Each format of the report then runs R times as a real process, the console
script, with its output to a file; the median wall time and the child's peak RSS are reported.

The baseline, measured in the same run, is what the database alone takes (plain sqlite3 or
psycopg, none of intake's code) to count the day's cartons and to read the day's defect rows
joined to their cartons: the figures are also given as a ratio to it. `intake --help` is timed
too: the interpreter and imports are a fixed part of every run.
"""

import argparse
import csv
import json
import os
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from report_day import day_bounds, fill_day

ZONE = "Asia/Shanghai"
DAY = date(2026, 11, 20)
# (format, target seconds) from issue 6; memory is the same target for every format.
FORMATS = (("csv", 3.0), ("json", 3.0), ("html", 5.0))
TARGET_RSS_MB = 300.0
COUNT_DAY = "SELECT count(*) FROM cartons WHERE received_at >= {p} AND received_at < {p}"
DEFECT_ROWS = (
    "SELECT d.carton_id, d.code, d.created_at, d.action, d.state, d.fee_amount, d.fee_currency,"
    " c.order_no, c.code, c.station, c.operator"
    " FROM defects d JOIN cartons c ON c.id = d.carton_id"
    " WHERE d.created_at >= {p} AND d.created_at < {p} ORDER BY d.carton_id, d.id"
)
# Not in the ratio, a reference: the day's cartons per supplier need a join through orders, a
# look-up per carton, which a count alone does not pay.
BY_SUPPLIER = (
    "SELECT o.supplier_id, count(*) FROM cartons c JOIN orders o ON o.order_no = c.order_no"
    " WHERE c.received_at >= {p} AND c.received_at < {p} GROUP BY o.supplier_id"
)


@dataclass(frozen=True, slots=True)
class Baseline:
    """The database's own time for the day's count and defect rows, and what it found."""

    seconds: float
    cartons: int
    mislabeled: int  # distinct cartons among the day's defect rows
    by_supplier_seconds: float


@dataclass(frozen=True, slots=True)
class FormatRun:
    """The runs of one format: their timings, the output's size and whether it made sense."""

    fmt: str
    target: float
    runs: list[common.ProcessRun]
    size: int
    check: str
    failure: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def peak_rss(self) -> float:
        return max(r.max_rss_mb for r in self.runs)

    @property
    def met(self) -> bool:
        return self.median <= self.target and self.peak_rss < TARGET_RSS_MB


def main() -> None:
    """Fill, measure the baseline and each format, print the figures; SQLite, then PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cartons", type=int, default=1_000_000)
    parser.add_argument("--mislabels", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg", action="store_true", help="also on PostgreSQL")
    args = parser.parse_args()
    print(f"machine: {common.machine()}")
    print(f"day {DAY} ({ZONE}): {args.cartons:,} cartons, {args.mislabels:,} mislabeled")

    db_path, url = common.fresh_sqlite(f"reports-{args.cartons}.db")
    fill_seconds = fill(url, args.cartons, args.mislabels)
    baseline = median_of(args.runs, lambda: baseline_sqlite(db_path))
    measure("SQLite", url, args, fill_seconds, baseline)

    if args.pg:
        with common.fresh_pg("reports") as pg_url:
            fill_seconds = fill(pg_url, args.cartons, args.mislabels)
            baseline = median_of(args.runs, lambda: baseline_pg(pg_url))
            measure("PostgreSQL", pg_url, args, fill_seconds, baseline)


def fill(url: str, cartons: int, mislabels: int) -> float:
    """Seconds to fill the day (not part of the figures)."""
    started = time.perf_counter()
    fill_day(url, day=DAY, zone=ZoneInfo(ZONE), cartons=cartons, mislabels=mislabels)
    return time.perf_counter() - started


def measure(
    backend: str, url: str, args: argparse.Namespace, fill_seconds: float, baseline: Baseline
) -> None:
    """Every format's runs on one backend, checked and printed."""
    if (baseline.cartons, baseline.mislabeled) != (args.cartons, args.mislabels):
        print(
            f"warning: the day holds {baseline.cartons:,} cartons, {baseline.mislabeled:,}"
            " mislabeled, not what was asked for"
        )
    env = os.environ | {"INTAKE_DATABASE_URL": url, "INTAKE_TIMEZONE": ZONE}
    startup = statistics.median(
        common.timed_process([common.INTAKE, "--help"], env).seconds for _ in range(args.runs)
    )
    label = "sqlite" if backend == "SQLite" else "pg"
    results = [
        run_format(fmt, target, label, env, args.runs, baseline.mislabeled)
        for fmt, target in FORMATS
    ]
    report(backend, fill_seconds, baseline, startup, results)


def run_format(
    fmt: str, target: float, label: str, env: dict[str, str], runs: int, expected: int
) -> FormatRun:
    """`intake report mislabels --format FMT --out FILE` `runs` times; stops at a failure."""
    out = common.OUT / f"mislabels-{label}.{fmt}"
    argv = [common.INTAKE, "report", "mislabels", "--date", DAY.isoformat()]
    argv += ["--format", fmt, "--out", str(out)]
    done: list[common.ProcessRun] = []
    for _ in range(runs):
        out.unlink(missing_ok=True)  # a stale file must never pass the check
        run = common.timed_process(argv, env)
        done.append(run)
        if run.returncode != 0:
            failure = f"exit {run.returncode}: {(run.stderr or run.stdout).strip()[-300:]}"
            return FormatRun(fmt, target, done, 0, "-", failure)
    if not out.exists():
        return FormatRun(fmt, target, done, 0, "-", f"no file {out.name} written")
    return FormatRun(fmt, target, done, out.stat().st_size, CHECKS[fmt](out, expected))


def check_csv(path: Path, expected: int) -> str:
    """One line per mislabeled carton after the header (records, so quoted newlines count once)."""
    with path.open(encoding="utf-8", newline="") as stream:
        records = sum(1 for _ in csv.reader(stream))
    return "ok" if records == expected + 1 else f"{records} lines, not {expected} + 1"


def check_json(path: Path, expected: int) -> str:
    """It parses, and somewhere near the top there is a list of one item per mislabeled carton."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        return f"does not parse: {exc}"
    lengths = sorted({len(v) for v in _lists_near_top(document)})
    return "ok" if expected in lengths else f"parses; lists of {lengths}, none of {expected}"


def _lists_near_top(document: Any) -> list[list[Any]]:
    # The report's layout is its own business: look two levels down, no further.
    found: list[list[Any]] = []
    for value in [document, *(document.values() if isinstance(document, dict) else [])]:
        if isinstance(value, list):
            found.append(value)
        elif isinstance(value, dict):
            found += [v for v in value.values() if isinstance(v, list)]
    return found


def check_html(path: Path, expected: int) -> str:
    """A whole document (it ends with </html>) with about one table row per mislabeled carton."""
    text = path.read_text(encoding="utf-8")
    if not text.rstrip().lower().endswith("</html>"):
        return "no closing </html>"
    rows = text.count("<tr")
    return "ok" if rows >= expected else f"{rows} <tr>, fewer than {expected}"


CHECKS: dict[str, Callable[[Path, int], str]] = {
    "csv": check_csv,
    "json": check_json,
    "html": check_html,
}


def median_of(runs: int, measure_once: Callable[[], Baseline]) -> Baseline:
    """The median run of the baseline (by time), so that it compares with the reports' medians."""
    results = sorted((measure_once() for _ in range(runs)), key=lambda b: b.seconds)
    return results[len(results) // 2]


def baseline_sqlite(db_path: Path) -> Baseline:
    """The day's count and defect rows with the sqlite3 module, connection included."""
    # SQLite holds timestamps as naive UTC text (intake.models.UTCDateTime): compare as text.
    start, end = (
        t.replace(tzinfo=None).isoformat(" ", "microseconds")
        for t in day_bounds(DAY, ZoneInfo(ZONE))
    )
    started = time.perf_counter()
    connection = sqlite3.connect(db_path)
    cartons = connection.execute(COUNT_DAY.format(p="?"), (start, end)).fetchone()[0]
    cursor = connection.execute(DEFECT_ROWS.format(p="?"), (start, end))
    mislabeled = _distinct_cartons(cursor)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    connection.execute(BY_SUPPLIER.format(p="?"), (start, end)).fetchall()
    by_supplier = time.perf_counter() - started
    connection.close()
    return Baseline(seconds, cartons, mislabeled, by_supplier)


def baseline_pg(url: str) -> Baseline:
    """The same with psycopg, connection included."""
    import psycopg
    from sqlalchemy.engine import make_url

    parts = make_url(url)
    conninfo = (
        f"host={parts.host} port={parts.port} dbname={parts.database} "
        f"user={parts.username} password={parts.password}"
    )
    start, end = day_bounds(DAY, ZoneInfo(ZONE))
    started = time.perf_counter()
    with psycopg.connect(conninfo) as connection:
        row = connection.execute(COUNT_DAY.format(p="%s"), (start, end)).fetchone()
        cartons = row[0] if row else 0
        mislabeled = _distinct_cartons(connection.execute(DEFECT_ROWS.format(p="%s"), (start, end)))
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        connection.execute(BY_SUPPLIER.format(p="%s"), (start, end)).fetchall()
    return Baseline(seconds, cartons, mislabeled, time.perf_counter() - started)


def _distinct_cartons(cursor: Any) -> int:
    # Every row fetched (as the report must), counting cartons as the ordered rows go by.
    cartons, last = 0, None
    while rows := cursor.fetchmany(2000):
        for row in rows:
            if row[0] != last:
                cartons, last = cartons + 1, row[0]
    return cartons


def report(
    backend: str, fill_seconds: float, baseline: Baseline, startup: float, results: list[FormatRun]
) -> None:
    """Print one backend's figures."""
    print(f"\n== intake report mislabels on {backend} ==")
    print(f"fill (not timed in the figures): {fill_seconds:.1f} s")
    print(
        f"baseline (count + {baseline.mislabeled:,} cartons' defect rows): "
        f"{baseline.seconds:.3f} s; intake --help: {startup:.2f} s"
    )
    print(f"reference, not in the ratio: cartons by supplier {baseline.by_supplier_seconds:.2f} s")
    print(
        f"{'format':<7}{'median s':>9}{'peak RSS MB':>13}{'output':>10}{'x baseline':>12}"
        f"{'target':>18}{'met':>5}  check"
    )
    for r in results:
        if r.failure:
            print(f"{r.fmt:<7}{'failed':>9}  {r.failure}")
            continue
        target = f"<= {r.target:.0f} s, < {TARGET_RSS_MB:.0f} MB"
        print(
            f"{r.fmt:<7}{r.median:>9.2f}{r.peak_rss:>13.0f}{_size(r.size):>10}"
            f"{r.median / baseline.seconds:>12.1f}{target:>18}{'yes' if r.met else 'NO':>5}"
            f"  {r.check}"
        )
        print(f"{'':<7}runs: {', '.join(f'{run.seconds:.2f}' for run in r.runs)} s")


def _size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"


if __name__ == "__main__":
    main()
