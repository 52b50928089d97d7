"""The desktop station's offline queue: scans kept in a local SQLite file until the server has them.

Every scan is written here first, with its own idempotency key, then sent in order. A scan leaves
the queue only once the server answered it (2xx, or a 4xx that resending cannot change); while the
server cannot be reached the scans wait, survive a restart of the station, and go out in the order
they were made. The key makes a resend after a lost answer one scan at the server, not two.
"""

import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    code TEXT NOT NULL,
    photo BLOB,
    made_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
)
"""


@dataclass(frozen=True, slots=True)
class PendingScan:
    """One scan waiting to be sent."""

    seq: int
    key: str
    code: str
    photo: bytes | None
    made_at: float
    attempts: int


class Outbox:
    """A FIFO of scans in a SQLite file, safe to use from the reader and the sender thread."""

    def __init__(self, path: Path, *, durable: bool = True) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a queued scan survives a power cut (an fsync a scan). NORMAL (`durable=False`):
        # only a crash of the station program, for simulated stations that share one disk
        # with the server they load (bench/load.py).
        self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()
        self._added = threading.Condition(self._lock)

    def put(self, code: str, photo: bytes | None) -> PendingScan:
        """Keep a new scan (committed before this returns) with a fresh idempotency key."""
        key = str(uuid.uuid4())
        made_at = time.time()
        with self._added:
            cursor = self._db.execute(
                "INSERT INTO pending (key, code, photo, made_at) VALUES (?, ?, ?, ?)",
                (key, code, photo, made_at),
            )
            self._added.notify_all()
        return PendingScan(int(cursor.lastrowid or 0), key, code, photo, made_at, 0)

    def oldest(self, timeout: float = 0.5) -> PendingScan | None:
        """The scan to send next, waiting up to `timeout` for one."""
        with self._added:
            row = self._first()
            if row is None:
                self._added.wait(timeout)
                row = self._first()
        return PendingScan(*row) if row else None

    def _first(self) -> tuple[int, str, str, bytes | None, float, int] | None:
        row = self._db.execute(
            "SELECT seq, key, code, photo, made_at, attempts FROM pending ORDER BY seq LIMIT 1"
        ).fetchone()
        return tuple(row) if row else None

    def done(self, scan: PendingScan) -> None:
        """The server has it: drop it."""
        with self._lock:
            self._db.execute("DELETE FROM pending WHERE seq = ?", (scan.seq,))

    def failed(self, scan: PendingScan, error: str) -> None:
        """Not sent this time: count the attempt, keep it first in line."""
        with self._lock:
            self._db.execute(
                "UPDATE pending SET attempts = attempts + 1, last_error = ? WHERE seq = ?",
                (error[:300], scan.seq),
            )

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM pending").fetchone()[0])

    def close(self) -> None:
        """Close the file (the queue stays in it)."""
        with self._lock:
            self._db.close()
