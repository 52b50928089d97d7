"""What the benchmarks share: the generated order book, fresh databases, the machine, timing."""

import csv
import os
import platform
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
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
        for attempt in range(20):  # an autovacuum worker may be in it for a moment
            try:
                _pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                break
            except sa.exc.ProgrammingError:
                if attempt == 19:
                    raise
                time.sleep(0.25)


def pg_vacuum(url: str) -> None:
    """VACUUM (ANALYZE) the whole database and write its pages out (CHECKPOINT): settled, as
    autovacuum and the checkpointer would leave it minutes later."""
    _pg_admin(url, "VACUUM (ANALYZE)", "CHECKPOINT")


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


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Service:
    """`intake serve` in a process group of its own: stopped, or crashed with SIGKILL, whole.

    `intake serve --workers N` is a supervisor with N worker processes; killing the supervisor
    alone would leave the workers serving. Each start is a new group (`pgids` keeps them all,
    for telling the server's processes apart from the others).
    """

    def __init__(self, env: dict[str, str], port: int, workers: int, log: Path) -> None:
        self.env, self.port, self.workers, self.log = env, port, workers, log
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.pgids: set[int] = set()

    def start(self, timeout: float = 120) -> float:
        """Start it and wait until /healthz answers; the seconds that took."""
        started = time.perf_counter()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._spawn()
            if self._healthy(deadline):
                return time.perf_counter() - started
            time.sleep(0.2)  # it ended at once: a killed worker may still hold the port
        self.stop()
        sys.exit(f"intake serve did not come up on port {self.port} (log: {self.log})")

    def _spawn(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [INTAKE, "serve", "--port", str(self.port), "--workers", str(self.workers),
                 "--no-access-log"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=OUT,
                start_new_session=True,
            )  # fmt: skip
        self.pgids.add(self.process.pid)

    def _healthy(self, deadline: float) -> bool:
        assert self.process is not None
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return True
            except httpx.TransportError:
                time.sleep(0.1)
        return False

    def crash(self) -> None:
        """SIGKILL to every process of the server: no request in hand is finished."""
        self._signal_group(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM (uvicorn finishes what it has in hand), SIGKILL after 30 s."""
        try:
            self._signal_group(signal.SIGTERM, timeout=30)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)

    def _signal_group(self, signum: int, timeout: float = 30) -> None:
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)
        self.process.wait(timeout=timeout)
        self.process = None


@dataclass
class CpuWatch:
    """Who used the machine's CPU while it ran: every process's time from /proc, by owner.

    `owner(pid, pgid, command)` names the owner of a process (this benchmark, the server,
    PostgreSQL, ...); the rest is "other processes": whatever else shared the machine.
    """

    owner: Callable[[int, int, str], str]
    every: float = 0.5
    seconds: dict[str, float] = field(default_factory=dict)
    _last: dict[int, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> "CpuWatch":
        self._sample(count=False)
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample(count=True)

    def _watch(self) -> None:
        while not self._stop.wait(self.every):
            self._sample(count=True)

    def _sample(self, *, count: bool) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue  # the process ended
            command, fields = text[text.index("(") + 1 : text.rindex(")")], text.rsplit(")", 1)[1]
            parts = fields.split()
            pid, ticks = int(stat.parent.name), int(parts[11]) + int(parts[12])
            # A process seen for the first time after the start was started meanwhile: all of
            # its time counts.
            before = self._last.get(pid, 0 if count else ticks)
            self._last[pid] = ticks
            if ticks > before:
                who = self.owner(pid, int(parts[2]), command)
                self.seconds[who] = self.seconds.get(who, 0.0) + (ticks - before) / tick
