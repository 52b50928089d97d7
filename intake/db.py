"""Engines, sessions and the schema check. Nothing here runs at import time."""

import fcntl
import functools
import os
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from intake.errors import DatabaseNotReady

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
T = TypeVar("T")


def create_db_engine(
    url: str, *, create_dir: bool = False, read_only: bool = False, snapshot: bool = False
) -> Engine:
    """An engine for the URL; SQLite gets WAL, a busy timeout and early-locking transactions.

    `read_only` (SQLite): an engine for look-ups only. Its transactions begin deferred and take
    no write lock: in WAL mode readers never wait for the writer, nor the writer for them.
    `snapshot` (with read_only): every transaction reads one snapshot of the database, for
    reports whose summary and rows must agree (on SQLite any read transaction does).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return _server_engine(url, read_only=read_only, snapshot=snapshot)
    if parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        if create_dir:
            path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        connect_args={"timeout": 30, "check_same_thread": False},
        pool_size=10,
        max_overflow=30,
    )
    if read_only:
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_read_begin)
        return engine
    turn = _WriterTurn(beside_database(parsed, ".writer-lock"))
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", turn.begin)
    event.listen(engine, "commit", turn.commit)
    event.listen(engine, "rollback", turn.rollback)
    event.listen(engine, "savepoint", turn.savepoint)
    return engine


def beside_database(url: sa.URL, suffix: str) -> Path | None:
    """A file next to a SQLite database file, named after it plus the suffix: what the server
    processes on that file share (its writer's turn, token revocations). None for an in-memory
    database or a database server."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(f"{url.database}{suffix}")


def is_sqlite(bind: Engine | sa.Connection) -> bool:
    """Whether the engine (or connection) is on SQLite (one writer at a time)."""
    return bind.dialect.name == "sqlite"


_IDLE_BEFORE_PING_SECONDS = 10.0


def _server_engine(url: str, *, read_only: bool, snapshot: bool) -> Engine:
    """PostgreSQL: a pool whose connections are checked only after they sat idle.

    SQLAlchemy's pool_pre_ping asks the server once per checkout, a round trip per request that
    cost more than the look-up itself. A connection used in the last few seconds is alive; one
    that sat idle (across a database restart, say) is pinged first and replaced if dead.

    `read_only`: look-ups and token checks run each statement in its own implicit transaction
    (autocommit): no BEGIN and ROLLBACK round trips around a token check. A look-up's few
    statements then see the data as of each statement, not one snapshot.
    """
    options: dict[str, Any] = {"pool_size": 10, "max_overflow": 20}
    if read_only:
        options["isolation_level"] = "REPEATABLE READ" if snapshot else "AUTOCOMMIT"
    if snapshot:
        # A report's row query over a day of a million cartons is costed above PostgreSQL's JIT
        # threshold, and compiling it took longer than running it (bench/reports.py: 0.8 s to
        # 1.9 s). A report looks up each of the day's defects' cartons by primary key; costed
        # with the default random_page_cost of 4 (disks that seek), the planner read all the
        # cartons instead: 0.49 s against 0.14 s at 1.1, the usual value for SSD storage.
        options["connect_args"] = {"options": "-c jit=off -c random_page_cost=1.1"}
    engine = sa.create_engine(url, **options)
    event.listen(engine, "checkin", _note_idle_since)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


def _note_idle_since(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < _IDLE_BEFORE_PING_SECONDS:
        return
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not dbapi_connection.autocommit:
            dbapi_connection.rollback()
    except Exception as exc:
        # The pool drops this connection and checks out a new one.
        raise sa.exc.DisconnectionError(f"an idle connection was dead: {exc}") from exc


class _WriterTurn:
    """One SQLite write transaction at a time, handed straight to the next thread or process.

    SQLite lets one writer in at a time anyway; left to its busy handler, the waiting threads
    and processes sleep and retry in steps of up to 100 ms, and a request waits far longer than
    the few milliseconds the transaction ahead of it took. A thread lock, then an advisory lock
    on a file beside the database (shared by every process: server workers, the CLI), wake the
    next writer at once. The kernel drops a dead process's file lock by itself.
    """

    _WAIT_SECONDS = 30.0

    def __init__(self, lock_file: Path | None) -> None:
        self._lock = threading.Lock()  # any thread may release it: a web framework may end a
        self._holder: sa.Connection | None = None  # transaction on another thread than began it
        self._lock_file = lock_file
        self._fd: int | None = None

    def begin(self, conn: sa.Connection) -> None:
        if not self._lock.acquire(timeout=self._WAIT_SECONDS):
            raise DatabaseNotReady("the database stayed busy for 30 s: try again")
        self._holder = conn
        try:
            self._lock_other_processes()
            _sqlite_on_begin(conn)
        except BaseException:
            self.end(conn)
            raise

    # SQLAlchemy tells of a commit or rollback before it asks the driver for it: ended here, the
    # turn would pass on while SQLite still holds its lock, and the next writer's BEGIN IMMEDIATE
    # would meet SQLITE_BUSY and sleep in the busy handler. So the transaction ends here, on the
    # driver's connection, and the turn passes after it; the driver's own commit or rollback
    # then finds no transaction open and does nothing.

    def commit(self, conn: sa.Connection) -> None:
        self._finish(conn, "COMMIT")

    def rollback(self, conn: sa.Connection) -> None:
        self._finish(conn, "ROLLBACK")

    # SQLite rolls a whole transaction back by itself on some errors (a full disk, an I/O
    # error), and the driver then runs each later statement in a transaction of its own. A
    # COMMIT or a SAVEPOINT that finds no transaction open must fail: passed over, the work done
    # before the error would be reported as committed (a group of scans answered, not stored),
    # and the group's later pieces committed one by one (then done again when it is retried).

    def savepoint(self, conn: sa.Connection, _name: str) -> None:
        driver = conn.connection.dbapi_connection
        if driver is None or not driver.in_transaction:
            raise _transaction_lost()

    def _finish(self, conn: sa.Connection, statement: str) -> None:
        try:
            driver = conn.connection.dbapi_connection
            if driver is not None and driver.in_transaction:
                driver.execute(statement)
            elif statement == "COMMIT":
                raise _transaction_lost()
        finally:
            self.end(conn)

    def end(self, conn: sa.Connection) -> None:
        if self._holder is conn:
            self._holder = None
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            self._lock.release()

    def _lock_other_processes(self) -> None:
        if self._lock_file is None:
            return
        if self._fd is None:
            self._fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        # Blocks until the holder lets go: a transaction takes milliseconds, and a process that
        # dies holding the lock loses it with its file descriptor.
        fcntl.flock(self._fd, fcntl.LOCK_EX)


def _transaction_lost() -> DatabaseNotReady:
    return DatabaseNotReady(
        "SQLite rolled the transaction back (the disk is full, or an I/O error): nothing of "
        "it was stored; try again"
    )


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see _sqlite_on_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_on_begin(conn: sa.Connection) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so two stations racing for the same carton
    # wait for each other instead of failing with "database is locked" half-way through.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_read_begin(conn: sa.Connection) -> None:
    # A snapshot for the whole look-up, without the write lock.
    conn.exec_driver_sql("BEGIN")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


class GroupCommit:
    """Many small write transactions run as one, by one thread: a group commit.

    SQLite lets one writer in at a time. With each request in its own transaction, the writer's
    turn also holds every wait for Python's GIL among the server's threads, the BEGIN and COMMIT,
    and the hand-over to the next writer; under load the turns, not the work, set the pace. On
    PostgreSQL each COMMIT waits for its WAL flush, and each request's own transaction costs a
    thread hop and three more round trips. Here `submit` queues a piece of work and one thread
    runs what is queued in one transaction, then commits once and answers them all. Nobody is
    answered before the commit. A piece that fails undoes the whole group (no savepoint per
    piece: on PostgreSQL those were two of a scan's seven round trips): the others run again as
    a group, once, and the failed piece runs again alone, so its error is its own, not a
    conflict with a piece of another worker's group (alone, a piece may retry by itself). If
    the group fails again, or its COMMIT does, each piece runs again alone. A piece alone that
    conflicts with another writer (a unique key taken meanwhile, a deadlock) runs again, a few
    times at most. So a piece never needs a savepoint of its own to retry: its session has
    RUNS_AGAIN set in `info` (on PostgreSQL a savepoint costs two round trips).
    """

    def __init__(self, engine: Engine, *, max_batch: int = 64) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Work[Any] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="group-commit", daemon=True)
        self._thread.start()

    def submit(self, work: Callable[[Session], T]) -> Future[T]:
        """Queue the work; its future holds what it returned once that is committed."""
        item = _Work(work, Future())
        self._queue.put(item)
        return item.future

    def close(self) -> None:
        """Finish what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join()

    def _serve(self) -> None:
        while True:
            batch = [self._queue.get()]
            while batch[-1] is not None and len(batch) < self._max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            work = [item for item in batch if item is not None]
            if work:
                self._run(work)
            if batch[-1] is None:
                return

    def _run(self, batch: list["_Work[Any]"]) -> None:
        self._group([item for item in batch if item.future.set_running_or_notify_cancel()])

    def _group(self, batch: list["_Work[Any]"], *, again: bool = True) -> None:
        if len(batch) <= 1:
            self._settle(batch)
            return
        try:
            outcomes = self._transaction(batch)
        except _PieceFailed as failed:
            # Nothing of the group was stored. The others run again as a group (once: a second
            # failure means something more than one bad piece), the failed piece alone.
            others = [item for item in batch if item is not failed.item]
            if again:
                self._group(others, again=False)
            else:
                for item in others:
                    self._settle([item])
            self._settle([failed.item])
            return
        except Exception:
            # The COMMIT failed (a lost connection, SQLite's disk full): none of it was
            # stored. Each piece runs again alone, so only a piece that fails by itself answers
            # with an error.
            for item in batch:
                self._settle([item])
            return
        _answer(outcomes)

    def _settle(self, batch: list["_Work[Any]"]) -> None:
        if not batch:
            return
        for attempt in range(1, _GIVE_WAY_ATTEMPTS + 1):
            try:
                outcomes = self._transaction(batch)
            except Exception as exc:
                error = exc.error if isinstance(exc, _PieceFailed) else exc
                if _conflicted(error) and attempt < _GIVE_WAY_ATTEMPTS:
                    continue
                outcomes = [(item, None, error) for item in batch]
            break
        _answer(outcomes)

    def _transaction(self, batch: list["_Work[Any]"]) -> list["_Outcome"]:
        outcomes: list[_Outcome] = []
        with Session(self._engine, expire_on_commit=False) as session:
            session.info[RUNS_AGAIN] = True
            for item in batch:
                try:
                    outcomes.append((item, item.work(session), None))
                except Exception as exc:  # the session's close rolls the group back
                    raise _PieceFailed(item, exc) from exc
            session.commit()
        return outcomes


# In Session.info: whoever runs the session runs its work again after a conflict with another
# writer, so the work needs no savepoint of its own to retry.
RUNS_AGAIN = "intake.runs_again"


class _PieceFailed(Exception):
    """One piece of a group raised: the group is undone."""

    def __init__(self, item: "_Work[Any]", error: Exception) -> None:
        super().__init__(str(error))
        self.item, self.error = item, error


# PostgreSQL's SQLSTATEs for a transaction chosen to give way to another: deadlock detected,
# serialization failure.
_GIVE_WAY = frozenset({"40P01", "40001"})
_GIVE_WAY_ATTEMPTS = 5


def _conflicted(exc: Exception) -> bool:
    """Whether a piece alone failed for another writer's sake: it gave way in a deadlock, or a
    unique key it was about to take (a carton's code) was taken meanwhile. Run again, it decides
    anew from what is stored; a real duplicate fails the same way each time."""
    return _gave_way(exc) or isinstance(exc, IntegrityError)


def _gave_way(exc: Exception) -> bool:
    """Whether a piece failed because its transaction deadlocked with another process's (two
    worker processes' groups receiving the same cartons in opposite orders). The piece did
    nothing wrong: in a group, the group is rolled back (what the other waits for in it is
    released at once) and the piece runs again alone; alone, it runs again, a few times at
    most."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in _GIVE_WAY


def _answer(outcomes: list["_Outcome"]) -> None:
    for item, result, error in outcomes:
        if error is None:
            item.future.set_result(result)
        else:
            item.future.set_exception(error)


@dataclass(frozen=True, slots=True)
class _Work(Generic[T]):
    work: Callable[[Session], T]
    future: Future[T]


_Outcome = tuple[_Work[Any], Any, Exception | None]  # the piece, what it returned, or its error


# Alembic is imported only by `intake db upgrade`: every other command checks the schema's
# revision with one SELECT, and importing Alembic took 0.1-0.2 s of each command's start-up.
def alembic_config(url: str) -> "Config":
    """Alembic's configuration for this package's migrations, pointed at the URL."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> tuple[str | None, str]:
    """Bring the database at URL to the newest schema; returns (revision before, revision after)."""
    engine = create_db_engine(url, create_dir=True)
    try:
        before = current_revision(engine)
        from alembic import command

        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        return before, head_revision()
    finally:
        engine.dispose()


_REVISION = re.compile(r'^(down_revision|revision): str(?: \| None)? = "(\w+)"', re.MULTILINE)


@functools.cache
def head_revision() -> str:
    """The newest schema revision this code knows: the one no migration revises."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for kind, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            (revisions if kind == "revision" else revised).add(str(value))
    heads = revisions - revised
    assert len(heads) == 1, f"the migrations have {len(heads)} heads: {sorted(heads)}"
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision, or None when it has none."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        versions = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
        current = versions.scalar()
        return None if current is None else str(current)


def check_schema(engine: Engine) -> None:
    """Raise DatabaseNotReady unless the database exists and is at the code's schema revision."""
    url = engine.url
    is_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if is_file and not Path(str(url.database)).exists():
        raise DatabaseNotReady(
            f"no database at {url.database}: run `intake db upgrade` to create it"
        )
    try:
        current = current_revision(engine)
    except sa.exc.OperationalError as exc:
        raise DatabaseNotReady(
            f"cannot open the database ({_first_line(exc)}): check INTAKE_DATABASE_URL, "
            "then run `intake db upgrade`"
        ) from exc
    head = head_revision()
    if current is None:
        raise DatabaseNotReady("the database has no schema yet: run `intake db upgrade`")
    if current != head:
        raise DatabaseNotReady(
            f"the database schema is at revision {current}, the code needs {head}: "
            "run `intake db upgrade`"
        )


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", exc)) or type(exc).__name__
    return text.strip().splitlines()[0]


def display_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)
