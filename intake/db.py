"""Engines, sessions and the schema check. Nothing here runs at import time."""

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from intake.errors import DatabaseNotReady

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_db_engine(url: str, *, create_dir: bool = False, read_only: bool = False) -> Engine:
    """An engine for the URL; SQLite gets WAL, a busy timeout and early-locking transactions.

    `read_only` (SQLite): an engine for look-ups only. Its transactions begin deferred and take
    no write lock: in WAL mode readers never wait for the writer, nor the writer for them.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
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
    lock_file = None
    if parsed.database and parsed.database != ":memory:":
        lock_file = Path(f"{parsed.database}.writer-lock")
    turn = _WriterTurn(lock_file)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", turn.begin)
    event.listen(engine, "commit", turn.end)
    event.listen(engine, "rollback", turn.end)
    return engine


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


def alembic_config(url: str) -> Config:
    """Alembic's configuration for this package's migrations, pointed at the URL."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> tuple[str | None, str]:
    """Bring the database at URL to the newest schema; returns (revision before, revision after)."""
    engine = create_db_engine(url, create_dir=True)
    try:
        before = current_revision(engine)
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        return before, head_revision()
    finally:
        engine.dispose()


def head_revision() -> str:
    """The newest schema revision this code knows."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, "no migrations shipped"
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision, or None when it has none."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


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
