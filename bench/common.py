"""What the benchmarks share: the generated order book, fresh databases, the machine, timing."""

import csv
import os
import platform
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
INTAKE = str(Path(sys.executable).parent / "intake")
# A fixed clock and seed: the same --orders always gives the same file, so it can be reused.
DEMO_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SEED = 7


def orders_csv(count: int) -> Path:
    """The demo order book of `count` orders as CSV under bench/out/, written once (not timed)."""
    from intake.demo import demo_records
    from intake.orderbook import COLUMNS

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"orders-{count}.csv"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    started = time.perf_counter()
    with partial.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        for record in demo_records(count, seed=SEED, now=DEMO_NOW):
            writer.writerow([record.cells[c] for c in COLUMNS])
    partial.rename(path)
    size = path.stat().st_size / 1e6
    print(f"generated {path} ({size:.0f} MB) in {time.perf_counter() - started:.1f} s")
    return path


def read_csv_rows(path: Path) -> Iterator[dict[str, str]]:
    """The CSV's rows as dicts (csv module only: the baselines' reader)."""
    with path.open(encoding="utf-8", newline="") as stream:
        yield from csv.DictReader(stream)


def fresh_sqlite(name: str) -> tuple[Path, str]:
    """An empty SQLite file under bench/out/ created by `intake db upgrade`: (path, URL)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    run_intake(["db", "upgrade"], url)
    return path, url


def run_intake(args: list[str], url: str) -> subprocess.CompletedProcess[str]:
    """The console script as a real process, on the given database."""
    env = os.environ | {"INTAKE_DATABASE_URL": url}
    return subprocess.run(
        [INTAKE, *args], env=env, check=True, capture_output=True, text=True, cwd=OUT
    )


@dataclass(frozen=True)
class ProcessRun:
    """A timed child process: wall time, peak resident memory, exit status and output."""

    seconds: float
    max_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def timed_process(argv: list[str], env: dict[str, str]) -> ProcessRun:
    """Run argv and measure its wall time and its own peak RSS (wait4's rusage of that child)."""
    OUT.mkdir(parents=True, exist_ok=True)
    # Per call, so that two benchmarks running at once never read each other's output.
    out_path, err_path = OUT / f"child-{os.getpid()}.stdout", OUT / f"child-{os.getpid()}.stderr"
    with out_path.open("w") as out, err_path.open("w") as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=err, cwd=OUT)
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return ProcessRun(
        seconds=seconds,
        max_rss_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
        returncode=process.returncode,
        stdout=out_path.read_text(),
        stderr=err_path.read_text(),
    )


@contextmanager
def fresh_pg(label: str) -> Iterator[str]:
    """A new PostgreSQL database (INTAKE_TEST_PG_URL's server), migrated; dropped afterwards."""
    admin = os.environ.get("INTAKE_TEST_PG_URL")
    if not admin:
        sys.exit("--pg: INTAKE_TEST_PG_URL is not set (run `source scripts/postgres.sh` first)")
    name = f"intake_bench_{label}_{os.getpid()}"
    _pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        run_intake(["db", "upgrade"], url)
        yield url
    finally:
        _pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_admin(url: str, *statements: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


def machine() -> str:
    """nproc, CPU model, Python version and date, for the record."""
    model = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values."""
    index = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]
