"""How every server process learns, at once, that an API token was revoked.

Server processes keep the tokens they have checked in memory (intake.tokens.TokenChecks), so a
request costs no database read. A revocation therefore has to reach them all, whichever process
wrote it (`intake tokens revoke` is a process of its own):
- SQLite: a stamp file beside the database, rewritten once the revocation has committed; a
  process reads it (a few microseconds) before it trusts its memory.
- PostgreSQL: NOTIFY on a channel, sent only if the revocation commits; each server process
  LISTENs on a connection of its own, read by a thread.
Each watch gives a mark: the same mark means no revocation since; None means "cannot tell"
(the listening connection is down, a notice is waiting to be read): read the database.
"""

import logging
import os
import select
import threading
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from intake.db import beside_database, is_sqlite

log = logging.getLogger(__name__)

CHANNEL = "intake_token_revoked"
_STAMP_SUFFIX = ".token-revoked"  # the stamp file beside a SQLite database
_RETRY_SECONDS = 1.0  # between attempts to listen again after the connection was lost
_POLL_SECONDS = 1.0  # how long the listening thread waits for a notice before looking up


class Watch(Protocol):
    """What a server process watches for revocations."""

    def mark(self) -> object | None:
        """Equal marks: no revocation came between them. None: unknown, read the database."""

    def close(self) -> None:
        """Stop watching."""


def announce_revocation(session: Session) -> None:
    """Tell every server process, once this session's transaction commits, that a token was
    revoked (nothing is told if it rolls back)."""
    bind = session.get_bind()
    if not is_sqlite(bind):
        session.connection().exec_driver_sql(f"NOTIFY {CHANNEL}")
        return
    stamp = beside_database(bind.engine.url, _STAMP_SUFFIX)
    if stamp is not None:
        event.listen(session, "after_commit", lambda _s: _rewrite(stamp), once=True)


def watch(engine: Engine) -> Watch:
    """The watch for the engine's database."""
    if is_sqlite(engine):
        return _StampFile(beside_database(engine.url, _STAMP_SUFFIX))
    return _Notices(engine)


def _rewrite(stamp: Path) -> None:
    # New random content, written whole under another name then renamed over the stamp: a
    # reader sees the old content or the new, never a part (a time stamp could repeat).
    part = stamp.with_name(f"{stamp.name}.{os.getpid()}.part")
    part.write_bytes(os.urandom(16))
    os.replace(part, stamp)


class _StampFile:
    """SQLite: the stamp file's content is the mark."""

    def __init__(self, stamp: Path | None) -> None:
        self._stamp = stamp

    def mark(self) -> object | None:
        if self._stamp is None:
            return None  # in memory: one process, but nothing to watch; read every time
        try:
            return self._stamp.read_bytes()
        except FileNotFoundError:
            return b""  # nothing revoked yet
        except OSError:
            return None

    def close(self) -> None:
        pass


class _Notices:
    """PostgreSQL: a thread LISTENs; the count of notices (and of reconnections) is the mark."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._count = 0
        self._connection: Any = None  # the listening DBAPI connection, while it listens
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="token-revocations",
                                        daemon=True)  # fmt: skip
        self._thread.start()

    def mark(self) -> object | None:
        connection, count = self._connection, self._count
        if connection is None:
            return None
        # A notice that has arrived but that the thread has not read yet: do not wait for it.
        try:
            if select.select([connection.fileno()], [], [], 0)[0]:
                return None
        except (OSError, ValueError, self._engine.dialect.dbapi.Error):  # type: ignore[union-attr]
            return None  # closed meanwhile
        return count

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=_POLL_SECONDS + 1)

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen_once()
            except Exception as exc:  # a lost connection: trust nothing until listening again
                log.warning("not listening for token revocations (%s): retrying", exc)
            finally:
                self._connection = None
            self._stop.wait(_RETRY_SECONDS)

    def _listen_once(self) -> None:
        cargs, cparams = self._engine.dialect.create_connect_args(self._engine.url)
        connection = self._engine.dialect.dbapi.connect(*cargs, **cparams)  # type: ignore[union-attr]
        try:
            connection.autocommit = True
            connection.execute(f"LISTEN {CHANNEL}")
            self._count += 1  # revocations may have come while nobody listened
            self._connection = connection
            while not self._stop.is_set():
                for _notice in connection.notifies(timeout=_POLL_SECONDS):
                    self._count += 1
        finally:
            self._connection = None
            connection.close()
