"""Many stations, one truth: simulated stations scanning through the HTTP API, with crashes.

    .venv/bin/python bench/load.py [--pg] [--workers N] [--stations 64] [--cartons 20000]
                                   [--seed 7] [--kill K] [--url URL] [--json OUT]

An order book of --cartons cartons (the demo book's orders for --seed: one-carton orders and
some of 2 to 4 cartons, each carton with its own waybill) is imported into a fresh database
(SQLite under bench/out/, a new PostgreSQL database with --pg, or with --url a migrated, empty
database the caller owns), and `intake serve --workers N` started on it. Then --stations
stations scan, each in its own thread with its own token (role station) and its own offline
queue, the desktop station's (api/outbox.py): a scan is written there with an idempotency key,
kept until the server answered it, and sent again with the same key while the server fails or
cannot be reached (the operator goes on scanning meanwhile). Each carton is scanned 1 to 4 times
by different stations, by its waybill or, for a one-carton order, at times by its label's order
number; its scans come at about the same moment of the run, so the stations race for it.

With --kill K the server's whole process group is killed with SIGKILL K times, at random points
of the run, and started again at once. Afterwards plain SQL on the database (not the app's code)
checks: one carton and one receipt for each carton, every other scan `already_received`, one
scan event per scan sent (per idempotency key), every answered scan stored as it was answered,
no 5xx, every queue empty; the counts do not depend on the kills.

Threads, not asyncio: each station is the desktop station's sender loop (blocking SQLite queue,
blocking HTTP), and most of a thread's time is waiting on a socket with the GIL released. The
load generator shares the 2 cores with the server and PostgreSQL: what each used is printed.
"""

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from api.outbox import Outbox, PendingScan
from intake import db
from intake.demo import demo_records
from intake.orderbook import COLUMNS
from intake.tokens import create_token

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

RETRY_FIRST, RETRY_MAX = 0.2, 2.0  # seconds a station waits after a failed attempt
DRAIN_SECONDS = 300.0  # after its last scan, how long a station keeps trying to send its queue
BY_ORDER_NO = 0.25  # of the scans of a one-carton order: its label's order number, not the waybill
JITTER = 0.0005  # the spread of one carton's scans, as a fraction of the run


@dataclass(frozen=True, slots=True)
class Carton:
    """One physical carton of the book."""

    waybill: str
    order_no: str
    packages: int


def order_book(cartons: int, seed: int) -> tuple[list[dict[str, str]], list[Carton]]:
    """The demo book's orders that were shipped, cut at exactly `cartons` cartons."""
    rows: list[dict[str, str]] = []
    book: list[Carton] = []
    for record in demo_records(2 * cartons, seed=seed, now=common.DEMO_NOW):
        waybills = [w for w in record.cells["domestic_tracking_no"].split(";") if w]
        waybills = waybills[: cartons - len(book)]
        if not waybills:
            continue  # never shipped: no carton of it comes in
        cells = record.cells | {"domestic_tracking_no": ";".join(waybills),
                                "packages": str(len(waybills))}  # fmt: skip
        rows.append(cells)
        book += [Carton(w, cells["order_no"], len(waybills)) for w in waybills]
        if len(book) == cartons:
            break
    return rows, book


def write_book(rows: list[dict[str, str]], path: Path) -> Path:
    """The rows as an order-book CSV for `intake orders import`."""
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        writer.writerows([row[c] for c in COLUMNS] for row in rows)
    return path


def plan_scans(book: list[Carton], stations: int, seed: int) -> list[list[str]]:
    """Each station's codes in scanning order: each carton 1 to 4 times, by different stations,
    at one random moment of the run (jittered)."""
    rng = random.Random(seed)
    timed: list[list[tuple[float, str]]] = [[] for _ in range(stations)]
    for carton in book:
        at = rng.random()
        for station in rng.sample(range(stations), min(rng.randint(1, 4), stations)):
            by_label = carton.packages == 1 and rng.random() < BY_ORDER_NO
            code = carton.order_no if by_label else carton.waybill
            timed[station].append((at + rng.gauss(0, JITTER), code))
    return [[code for _at, code in sorted(scans)] for scans in timed]


def kill_points(kills: int, scans: int, seed: int) -> list[int]:
    """After how many answered scans each kill comes: one at random in each of `kills` equal
    stretches of the middle 80 % of the run."""
    rng = random.Random(seed + 1)
    stretch = 0.8 / max(kills, 1)
    return [int(scans * rng.uniform(0.1 + i * stretch, 0.1 + (i + 1) * stretch))
            for i in range(kills)]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Answer:
    """What the server answered to one scan (2xx: its decision)."""

    station: str
    key: str
    status: int
    outcome: str | None
    scan_id: int | None
    replayed: bool


@dataclass
class Tally:
    """What every station sent and saw, shared by their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: dict[str, str] = field(default_factory=dict)  # idempotency key -> station
    answers: list[Answer] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)  # request sent -> answer read
    waits_ms: list[float] = field(default_factory=list)  # scan queued -> answered (retries too)
    statuses: Counter[int] = field(default_factory=Counter)
    refused: int = 0  # attempts that found nobody listening
    unanswered: set[str] = field(default_factory=set)  # keys of requests cut off mid-way
    in_flight: int = 0

    def note_sent(self, key: str, station: str) -> None:
        """A scan was queued at a station (its key, once)."""
        with self.lock:
            self.sent[key] = station

    def begin(self) -> None:
        """A request goes out."""
        with self.lock:
            self.in_flight += 1

    def failed(self, key: str, *, refused: bool) -> None:
        """A request got no answer."""
        with self.lock:
            self.in_flight -= 1
            if refused:
                self.refused += 1
            else:
                self.unanswered.add(key)

    def answered(self, answer: Answer, ms: float, waited_ms: float) -> None:
        """A request was answered."""
        with self.lock:
            self.in_flight -= 1
            self.answers.append(answer)
            self.latencies_ms.append(ms)
            self.waits_ms.append(waited_ms)
            self.statuses[answer.status] += 1


class Station:
    """One simulated station: scans go into its offline queue, and out in order."""

    def __init__(self, name: str, token: str, codes: list[str], queue: Path, tally: Tally) -> None:
        self.name, self.token, self.codes, self.tally = name, token, codes, tally
        # Each real station has its own disk: an fsync per scan here would load the server's.
        self.outbox = Outbox(queue, durable=False)
        self.wait = RETRY_FIRST

    def run(self, url: str) -> None:
        """Scan every code, then send what is left in the queue."""
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            for code in self.codes:
                scan = self.outbox.put(code, None)
                self.tally.note_sent(scan.key, self.name)
                self._send_queued(client)
            deadline = time.monotonic() + DRAIN_SECONDS
            while len(self.outbox) and time.monotonic() < deadline:
                self._send_queued(client)

    def _send_queued(self, client: httpx.Client) -> None:
        """Send the queue, oldest first; at the first failure wait, then go back to scanning."""
        while (scan := self.outbox.oldest(timeout=0)) is not None:
            problem = self._attempt(client, scan)
            if problem:
                self.outbox.failed(scan, problem)
                time.sleep(self.wait)
                self.wait = min(2 * self.wait, RETRY_MAX)
                return
            self.wait = RETRY_FIRST
            self.outbox.done(scan)  # answered: resending cannot change a 2xx or a 4xx

    def _attempt(self, client: httpx.Client, scan: PendingScan) -> str:
        """'' when the server answered for good, else why the scan stays queued."""
        body = {"code": scan.code, "operator": f"operator of {self.name}"}
        self.tally.begin()
        started = time.perf_counter()
        try:
            answer = client.post("/scans", json=body, headers={"Idempotency-Key": scan.key})
        except httpx.TransportError as exc:
            refused = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
            self.tally.failed(scan.key, refused=refused)
            return f"no answer ({type(exc).__name__})"
        ms = (time.perf_counter() - started) * 1000
        decision = answer.json() if answer.is_success else {}
        self.tally.answered(Answer(self.name, scan.key, answer.status_code,
                                   decision.get("outcome"), decision.get("scan_id"),
                                   bool(decision.get("replayed"))),
                            ms, (time.time() - scan.made_at) * 1000)  # fmt: skip
        return f"server error {answer.status_code}" if answer.status_code >= 500 else ""


@dataclass(frozen=True, slots=True)
class Kill:
    """One crash of the server, and what the stations had in hand then."""

    after_answers: int
    in_flight: int  # requests sent and not yet answered
    queued: int  # scans in the stations' queues (those in flight included)
    down_seconds: float  # from the SIGKILL until /healthz answered again


def crash_during(
    service: common.Service, points: list[int], stations: list[Station], tally: Tally,
    finished: threading.Event,
) -> list[Kill]:  # fmt: skip
    """Kill the server (and start it again) when the answers reach each point."""
    kills: list[Kill] = []
    for point in points:
        while len(tally.answers) < point and not finished.wait(0.005):
            pass
        if finished.is_set():
            break
        in_flight, queued = tally.in_flight, sum(len(s.outbox) for s in stations)
        service.crash()
        down = service.start()
        kills.append(Kill(point, in_flight, queued, round(down, 2)))
    return kills


@dataclass
class Run:
    """One load run: what was sent, answered, killed, and how long it took."""

    tally: Tally
    kills: list[Kill]
    seconds: float
    cpu: dict[str, float]
    left_queued: int  # scans still in the stations' queues at the end


def run_load(service: common.Service, tokens: list[tuple[str, str]], plan: list[list[str]],
             queues: Path, kills: int, seed: int) -> Run:  # fmt: skip
    """Every station scans its plan against the running service; the kills come meanwhile."""
    tally = Tally()
    stations = [
        Station(name, token, codes, queues / f"{i:02d}.db", tally)
        for i, ((name, token), codes) in enumerate(zip(tokens, plan, strict=True))
    ]
    points = kill_points(kills, sum(map(len, plan)), seed)
    finished = threading.Event()
    crashes: list[Kill] = []
    crasher = threading.Thread(
        target=lambda: crashes.extend(crash_during(service, points, stations, tally, finished))
    )
    threads = [threading.Thread(target=s.run, args=(service.url,)) for s in stations]
    with common.CpuWatch(_owner(service)) as cpu:
        started = time.perf_counter()
        crasher.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        finished.set()
        crasher.join()
    left = sum(len(s.outbox) for s in stations)
    for station in stations:
        station.outbox.close()
    return Run(tally, crashes, seconds, cpu.seconds, left)


def _owner(service: common.Service) -> Callable[[int, int, str], str]:
    me = os.getpid()

    def owner(pid: int, pgid: int, command: str) -> str:
        if pid == me:
            return "load generator"
        if pgid in service.pgids:
            return "intake serve"
        return "PostgreSQL" if command == "postgres" else "other processes"

    return owner


def make_tokens(url: str, count: int) -> list[tuple[str, str]]:
    """A station token per station: (name, token). In-process: 64 CLI starts would take a
    minute."""
    engine = db.create_db_engine(url)
    try:
        with db.session_scope(engine) as session:
            made = [create_token(session, name=f"load station {i + 1:02d}", role="station")
                    for i in range(count)]  # fmt: skip
    finally:
        engine.dispose()
    return [(info.name, token) for info, token in made]


# --- the checks: plain SQL on the database, none of the app's code ------------------------------


@dataclass(frozen=True, slots=True)
class Check:
    """One invariant and whether it held."""

    name: str
    ok: bool
    detail: str


def read_back(url: str) -> dict[str, list[Any]]:
    """What the database holds after the run: the rows every check reads (and on PostgreSQL
    how many deadlocks it broke)."""
    engine = sa.create_engine(url)
    queries = _SQL | ({"deadlocks": _PG_DEADLOCKS} if engine.dialect.name == "postgresql" else {})
    try:
        with engine.connect() as connection:
            return {name: list(connection.execute(sa.text(sql))) for name, sql in queries.items()}
    finally:
        engine.dispose()


def check(book: list[Carton], run: Run, rows: dict[str, list[Any]]) -> list[Check]:
    """Every invariant of the run, against what the database holds."""
    return [
        _one_carton_each(book, rows["cartons"]),
        _one_receipt_each(book, rows["receipts"]),
        _outcomes(book, run, rows["events"]),
        _one_event_per_scan(run, rows["events"]),
        _answers_stored(run, rows["events"]),
        _orders_received(book, rows["orders"]),
        _no_errors(run),
        _queues_empty(run),
    ]


def final_counts(rows: dict[str, list[Any]]) -> dict[str, int]:
    """What a run without kills must end with too: cartons, and scan events by outcome."""
    outcomes = Counter(row[3] for row in rows["events"])
    return {"cartons": len(rows["cartons"]), "scan_events": len(rows["events"])} | {
        f"scan_events_{outcome}": n for outcome, n in sorted(outcomes.items())
    }


_SQL = {
    "cartons": "SELECT code, state, order_no FROM cartons",
    "receipts": "SELECT c.code, count(e.id) FROM cartons c LEFT JOIN scan_events e "
    "ON e.carton_id = c.id AND e.outcome = 'received' GROUP BY c.code",
    "events": "SELECT id, station, idempotency_key, outcome FROM scan_events",
    "orders": "SELECT o.order_no, o.status, o.received_at IS NOT NULL, count(c.id) FROM orders o "
    "LEFT JOIN cartons c ON c.order_no = o.order_no GROUP BY o.order_no, o.status, o.received_at",
}


_PG_DEADLOCKS = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"


def _one_carton_each(book: list[Carton], rows: list[Any]) -> Check:
    codes = Counter(row[0] for row in rows)
    expected = {c.waybill: c.order_no for c in book}
    wrong = [r for r in rows if expected.get(r[0]) != r[2] or r[1] != "received"]
    missing = set(expected) - set(codes)
    ok = not wrong and not missing and len(rows) == len(book)
    return Check("one carton per waybill, received against its order", ok,
                 f"{len(rows):,} cartons for {len(book):,}; {len(missing)} missing, "
                 f"{len(wrong)} extra or wrong")  # fmt: skip


def _one_receipt_each(book: list[Carton], rows: list[Any]) -> Check:
    receipts = Counter(count for _code, count in rows)
    ok = receipts == Counter({1: len(book)})
    shown = ", ".join(f"{n:,} with {k}" for k, n in sorted(receipts.items()))
    return Check("exactly one `received` scan per carton", ok, f"cartons: {shown}")


def _outcomes(book: list[Carton], run: Run, events: list[Any]) -> Check:
    outcomes = Counter(row[3] for row in events)
    sent = len(run.tally.sent)
    expected = Counter({"received": len(book), "already_received": sent - len(book)})
    return Check("every other scan `already_received`", outcomes == expected,
                 f"scan events by outcome {dict(outcomes)}, expected {dict(expected)}")  # fmt: skip


def _one_event_per_scan(run: Run, events: list[Any]) -> Check:
    stored = Counter((row[1], row[2]) for row in events)
    sent = {(station, key) for key, station in run.tally.sent.items()}
    doubled = sum(1 for n in stored.values() if n > 1)
    ok = set(stored) == sent and not doubled and len(events) == len(sent)
    return Check("one scan event per scan sent (station, idempotency key)", ok,
                 f"{len(events):,} events for {len(sent):,} scans sent; {doubled} keys doubled, "
                 f"{len(sent - set(stored))} scans missing")  # fmt: skip


def _answers_stored(run: Run, events: list[Any]) -> Check:
    stored = {(row[1], row[2]): (row[0], row[3]) for row in events}
    answered = [a for a in run.tally.answers if 200 <= a.status < 300]
    lost = [a for a in answered if stored.get((a.station, a.key)) != (a.scan_id, a.outcome)]
    return Check("every scan answered 2xx is stored as answered (scan id, outcome)", not lost,
                 f"{len(answered):,} 2xx answers, {len(lost)} not in the database")  # fmt: skip


def _orders_received(book: list[Carton], rows: list[Any]) -> Check:
    packages = {c.order_no: c.packages for c in book}
    ours = [r for r in rows if r[0] in packages]
    wrong = [r for r in ours if (r[1], bool(r[2]), r[3]) != ("received", True, packages[r[0]])]
    ok = not wrong and len(ours) == len(packages)
    return Check("every order received, with all its cartons", ok,
                 f"{len(ours):,} orders, {len(wrong)} not received whole")  # fmt: skip


def _no_errors(run: Run) -> Check:
    statuses = dict(sorted(run.tally.statuses.items()))
    bad = {s: n for s, n in statuses.items() if not 200 <= s < 300}
    return Check("no 5xx (nor any other non-2xx) answer", not bad, f"statuses {statuses}")


def _queues_empty(run: Run) -> Check:
    left = run.left_queued
    return Check("every station's queue sent", left == 0, f"{left} scans left in the queues")


# --- the run as a command -------------------------------------------------------------------------


def main() -> None:
    args = _arguments()
    print(f"# bench/load.py — {common.machine()}")
    print(f"load average before the run: {_load_average()} (1, 5, 15 min)")
    rows, book = order_book(args.cartons, args.seed)
    plan = plan_scans(book, args.stations, args.seed)
    multi = sum(1 for c in book if c.packages > 1)
    print(
        f"book: {len(book):,} cartons in {len(rows):,} orders ({multi:,} cartons of orders with "
        f"several); {sum(map(len, plan)):,} scans by {args.stations} stations, seed {args.seed}"
    )
    with _database(args) as url, tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        run = _serve_and_load(url, rows, plan, args, Path(tmp))
        rows_back = read_back(url)
    checks = check(book, run, rows_back)
    summary = _summary(args, run, checks, final_counts(rows_back))
    summary["pg_deadlocks"] = rows_back["deadlocks"][0][0] if "deadlocks" in rows_back else None
    _print(summary, run)
    _record(args, summary, run, book)
    if not all(c.ok for c in checks):
        raise SystemExit(f"some checks failed; the server's log: {_serve_log()}")
    _serve_log().unlink(missing_ok=True)


def _serve_log() -> Path:
    return common.OUT / f"load-serve-{os.getpid()}.log"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pg", action="store_true", help="PostgreSQL (INTAKE_TEST_PG_URL)")
    parser.add_argument("--url", help="a migrated, empty database to use instead of a fresh one")
    parser.add_argument("--workers", type=int, default=2, help="intake serve --workers")
    parser.add_argument("--stations", type=int, default=64)
    parser.add_argument("--cartons", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--kill",
        type=int,
        default=0,
        metavar="K",
        help="SIGKILL the server K times during the load, restarting it",
    )
    parser.add_argument("--json", type=Path, help="write the figures, checks, every scan sent "
                        "and every answer to this file")  # fmt: skip
    return parser.parse_args()


@contextmanager
def _database(args: argparse.Namespace) -> Iterator[str]:
    if args.url:
        yield args.url
    elif args.pg:
        with common.fresh_pg("load") as url:
            yield url
    else:
        yield common.fresh_sqlite("load.db")[1]


def _serve_and_load(url: str, rows: list[dict[str, str]], plan: list[list[str]],
                    args: argparse.Namespace, tmp: Path) -> Run:  # fmt: skip
    common.OUT.mkdir(parents=True, exist_ok=True)  # with --url nothing made it yet (a new clone)
    common.run_intake(["orders", "import", str(write_book(rows, tmp / "book.csv"))], url)
    tokens = make_tokens(url, args.stations)
    env = os.environ | {"INTAKE_DATABASE_URL": url, "INTAKE_DATA_DIR": str(tmp / "data")}
    log = _serve_log()
    service = common.Service(env, common.free_port(), args.workers, log)
    print(f"intake serve --workers {args.workers} up in {service.start():.1f} s (log: {log})")
    (tmp / "queues").mkdir()
    try:
        return run_load(service, tokens, plan, tmp / "queues", args.kill, args.seed)
    finally:
        service.stop()


def _load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _summary(args: argparse.Namespace, run: Run, checks: list[Check],
             counts: dict[str, int]) -> dict[str, Any]:  # fmt: skip
    tally = run.tally
    latencies, waits = sorted(tally.latencies_ms), sorted(tally.waits_ms)
    replayed = {a.key for a in tally.answers if a.replayed}
    return {
        "backend": "PostgreSQL" if args.pg or (args.url or "").startswith("postgres") else "SQLite",
        "workers": args.workers, "stations": args.stations, "cartons": args.cartons,
        "seed": args.seed, "kills_asked": args.kill,
        "scans_sent": len(tally.sent), "answers": len(tally.answers),
        "seconds": round(run.seconds, 1),
        "scans_per_second": round(len(tally.answers) / run.seconds, 1),
        "p50_ms": round(common.percentile(latencies, 0.50), 1),
        "p90_ms": round(common.percentile(latencies, 0.90), 1),
        "p99_ms": round(common.percentile(latencies, 0.99), 1),
        "max_ms": round(latencies[-1], 1),
        "queued_to_answered_p99_ms": round(common.percentile(waits, 0.99), 1),
        "queued_to_answered_max_ms": round(waits[-1], 1),
        "statuses": {str(s): n for s, n in sorted(tally.statuses.items())},
        "refused": tally.refused,
        "cut_off": len(tally.unanswered),
        "replayed": len(replayed),
        "cut_off_committed": len(tally.unanswered & replayed),
        "cut_off_not_committed": len(tally.unanswered - replayed),
        "kills": [asdict(k) for k in run.kills],
        "cpu_seconds": {k: round(v, 1) for k, v in sorted(run.cpu.items())},
        "load_average_after": _load_average(),
        "counts": counts,
        "checks": [asdict(c) for c in checks],
    }  # fmt: skip


def _print(summary: dict[str, Any], run: Run) -> None:
    s = summary
    print(
        f"\n{s['backend']}, intake serve --workers {s['workers']}, {s['stations']} stations, "
        f"{s['kills_asked']} kill(s); the load generator runs on the same 2 cores"
    )
    print(
        f"{s['answers']:,} scans answered in {s['seconds']} s: {s['scans_per_second']} scans/s; "
        f"latency p50 {s['p50_ms']} ms, p90 {s['p90_ms']} ms, p99 {s['p99_ms']} ms, "
        f"max {s['max_ms']} ms; from queued to answered (retries, time offline included) "
        f"p99 {s['queued_to_answered_p99_ms']} ms, max {s['queued_to_answered_max_ms']} ms"
    )
    print(
        f"answers by status {s['statuses']}; attempts refused (server down) {s['refused']}, "
        f"cut off mid-request {s['cut_off']}"
    )
    for i, kill in enumerate(s["kills"], 1):
        print(
            f"kill {i}: after {kill['after_answers']:,} answers, {kill['in_flight']} requests in "
            f"flight, {kill['queued']} scans queued; down {kill['down_seconds']} s"
        )
    if s["kills"]:
        print(
            f"cut-off scans sent again: {s['cut_off_committed']} had been committed (answered "
            f"`replayed`, their first decision), {s['cut_off_not_committed']} had not (decided "
            f"on the resend); `replayed` answers in all: {s['replayed']}"
        )
    cpu = ", ".join(f"{k} {v:.0f} s" for k, v in sorted(s["cpu_seconds"].items(),
                                                         key=lambda kv: -kv[1]))  # fmt: skip
    print(
        f"CPU used during the run (core-seconds of {2 * run.seconds:.0f} on 2 cores): {cpu}; "
        f"load average after: {s['load_average_after']}"
    )
    print(f"final counts: {s['counts']}")
    if s["pg_deadlocks"] is not None:
        print(f"deadlocks PostgreSQL broke between the workers' groups: {s['pg_deadlocks']}")
    for c in s["checks"]:
        print(f"  {'ok    ' if c['ok'] else 'FAILED'} {c['name']}: {c['detail']}")


def _record(args: argparse.Namespace, summary: dict[str, Any], run: Run,
            book: list[Carton]) -> None:  # fmt: skip
    """The summary under bench/out/ (and compared with the same run without kills); --json: the
    summary with every scan sent and every answer."""
    if not args.url:
        name = f"load-{summary['backend']}-{args.stations}x{args.cartons}-seed{args.seed}"
        path = common.OUT / f"{name}-w{args.workers}-k{args.kill}.json"
        path.write_text(json.dumps(summary, indent=1))
        calm = sorted(common.OUT.glob(f"{name}-w*-k0.json"))
        if args.kill and calm:
            same = json.loads(calm[-1].read_text())["counts"] == summary["counts"]
            print(f"final counts {'equal' if same else 'DIFFER from'} those of {calm[-1].name}")
    if args.json:
        detail = {"waybills": [c.waybill for c in book],
                  "sent": [[station, key] for key, station in run.tally.sent.items()],
                  "answered": [asdict(a) for a in run.tally.answers]}  # fmt: skip
        args.json.write_text(json.dumps(summary | detail))


if __name__ == "__main__":
    main()
