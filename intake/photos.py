"""The evidence photo store, and how long it keeps what.

A photo's id is the SHA-256 of its bytes, so the same photo sent twice is stored once, a stored
photo can be checked against its name, and ids cannot be guessed from one another. Only a
64-hex-digit id ever becomes a file name or an object key: nothing a caller sends can point
outside the store. The bytes live in a folder (the default) or in an S3-compatible object store,
in both as ab/cd/<sha256>.<ext>; the database keeps each photo's row, also once it is purged.
"""

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from intake import db
from intake.errors import InvalidInput, NotFound, Purged, StoreUnavailable
from intake.models import Defect, DefectState, Inspection, Photo, table_of, utcnow
from intake.settings import Settings

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# The file suffix by media type: the store serves the bytes back with the type they came with.
_SUFFIXES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp",
             "image/tiff": ".tif", "image/bmp": ".bmp", "image/gif": ".gif"}  # fmt: skip
_PHOTOS, _INSPECTIONS, _DEFECTS = (table_of(model) for model in (Photo, Inspection, Defect))
_S3_DELETE_KEYS = 1000  # the most keys one DeleteObjects request takes


class PhotoStore(Protocol):
    """Where the bytes of evidence photos live. Objects are immutable and named by their content,
    so writing one twice changes nothing; one that is not there reads as NotFound."""

    def put(self, data: bytes, media_type: str) -> str:
        """Store the bytes (once) and return their id."""
        ...

    def read(self, sha256: str, media_type: str) -> bytes:
        """The stored bytes of a photo; NotFound when they are not there."""
        ...

    def exists(self, sha256: str, media_type: str) -> bool:
        """Whether the photo's bytes are there."""
        ...

    def delete(self, photos: Sequence[tuple[str, str]]) -> None:
        """Remove these photos (id, media type); one already gone is no error."""
        ...


def photo_name(sha256: str, media_type: str) -> str:
    """A photo's name in the store, ab/cd/<sha256>.<ext> (the id is checked: never a path from
    outside). Two levels of fan-out keep a folder's entries few."""
    if not _SHA256.match(sha256):
        raise InvalidInput("a photo id is 64 lowercase hexadecimal digits")
    suffix = _SUFFIXES.get(media_type, ".bin")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}{suffix}"


@dataclass(frozen=True, slots=True)
class FolderPhotoStore:
    """A folder of evidence photos, one file per distinct photo."""

    root: Path

    def path_of(self, sha256: str, media_type: str) -> Path:
        """Where the photo with this id lives."""
        return self.root / photo_name(sha256, media_type)

    def put(self, data: bytes, media_type: str) -> str:
        """Store the bytes (once) and return their id."""
        sha256 = hashlib.sha256(data).hexdigest()
        path = self.path_of(sha256, media_type)
        if path.exists() and path.stat().st_size == len(data):
            return sha256
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written under a temporary name and renamed: a reader never sees half a photo.
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".part") as part:
            part.write(data)
            part.flush()
            os.fsync(part.fileno())
        os.replace(part.name, path)
        return sha256

    def read(self, sha256: str, media_type: str) -> bytes:
        """The stored bytes of a photo."""
        try:
            return self.path_of(sha256, media_type).read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(f"photo {sha256} is recorded but its file is missing") from exc

    def exists(self, sha256: str, media_type: str) -> bool:
        """Whether the photo's file is there."""
        return self.path_of(sha256, media_type).is_file()

    def delete(self, photos: Sequence[tuple[str, str]]) -> None:
        """Remove these photos' files."""
        for sha256, media_type in photos:
            self.path_of(sha256, media_type).unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class S3PhotoStore:
    """Evidence photos as objects of an S3-compatible store, named as the folder's files are:
    a folder moves to a bucket by a plain copy (`aws s3 sync var/photos s3://bucket/prefix`)."""

    bucket: str
    prefix: str  # "" or "some/prefix/"
    client: Any  # a boto3 S3 client (safe to share between threads)

    def key_of(self, sha256: str, media_type: str) -> str:
        """The photo's object key."""
        return self.prefix + photo_name(sha256, media_type)

    def put(self, data: bytes, media_type: str) -> str:
        """Store the bytes and return their id."""
        sha256 = hashlib.sha256(data).hexdigest()
        # An object is written whole or not at all, and the same bytes under the same key again
        # change nothing: no need to ask first (a round trip, for the rare photo sent twice).
        with _reachable():
            self.client.put_object(Bucket=self.bucket, Key=self.key_of(sha256, media_type),
                                   Body=data, ContentType=media_type)  # fmt: skip
        return sha256

    def read(self, sha256: str, media_type: str) -> bytes:
        """The stored bytes of a photo."""
        with _reachable():
            try:
                key = self.key_of(sha256, media_type)
                answer = self.client.get_object(Bucket=self.bucket, Key=key)
            except self.client.exceptions.ClientError as exc:
                if _missing(exc):
                    raise NotFound(f"photo {sha256} is recorded but its object is missing") from exc
                raise
            return bytes(answer["Body"].read())

    def exists(self, sha256: str, media_type: str) -> bool:
        """Whether the photo's object is there."""
        with _reachable():
            try:
                self.client.head_object(Bucket=self.bucket, Key=self.key_of(sha256, media_type))
            except self.client.exceptions.ClientError as exc:
                if _missing(exc):
                    return False
                raise
            return True

    def delete(self, photos: Sequence[tuple[str, str]]) -> None:
        """Remove these photos' objects, a thousand to a request."""
        keys = [self.key_of(sha256, media_type) for sha256, media_type in photos]
        for start in range(0, len(keys), _S3_DELETE_KEYS):
            chunk = [{"Key": key} for key in keys[start : start + _S3_DELETE_KEYS]]
            with _reachable():
                answer = self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": chunk, "Quiet": True}
                )
            failed = [e for e in answer.get("Errors", []) if e.get("Code") != "NoSuchKey"]
            if failed:
                error = failed[0]
                raise OSError(f"the photo store did not delete {error.get('Key')}: "
                              f"{error.get('Code')} {error.get('Message')}")  # fmt: skip


@contextmanager
def _reachable() -> Iterator[None]:
    """The store's own failures (unreachable, bad credentials, no such bucket) as one error
    that says so: the service answers 503, the CLI one line, never a traceback."""
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise StoreUnavailable(f"the photo store cannot be used: {exc}") from exc


def _missing(exc: Any) -> bool:
    """Whether an S3 error says the object is not there (HEAD answers a bare 404)."""
    return exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "NotFound", "404")


def photo_store(settings: Settings) -> PhotoStore:
    """The photo store the settings name: the folder (default) or an S3-compatible store."""
    if not settings.photo_store:
        return FolderPhotoStore(settings.effective_photo_dir)
    return _s3_store(settings.photo_store, settings.s3_endpoint_url)


@lru_cache(maxsize=8)
def _s3_store(url: str, endpoint_url: str | None) -> S3PhotoStore:
    # One client per process and place: making one reads the AWS configuration (tens of
    # milliseconds), and one client serves every thread with its own connection pool.
    import boto3  # type: ignore[import-untyped]  # only a deployment on an object store loads it
    from botocore.config import Config  # type: ignore[import-untyped]

    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    options: dict[str, Any] = {
        "connect_timeout": 5,
        "read_timeout": 30,
        "retries": {"mode": "standard", "max_attempts": 4},
        "max_pool_connections": 16,  # the service's 8 handler threads, and reports beside them
    }
    if endpoint_url:
        # MinIO, Ceph and the others answer path-style requests (http://host/bucket/key), where
        # a host name per bucket would need DNS set up; and some of them refuse the CRC checksum
        # headers that boto3 sends by default where the API does not ask for one.
        options["s3"] = {"addressing_style": "path"}
        options["request_checksum_calculation"] = "when_required"
        options["response_checksum_validation"] = "when_required"
    client = boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url, config=Config(**options)
    )
    prefix = prefix.strip("/")
    return S3PhotoStore(bucket, f"{prefix}/" if prefix else "", client)


def store_photo(
    session: Session, *, store: PhotoStore, data: bytes, media_type: str, width: int, height: int
) -> Photo:
    """Keep an evidence photo: its bytes in the store, its row in the database (once each)."""
    # The bytes first, before any lock: a new photo, the usual case, holds up no other writer
    # while they are written.
    sha256 = store.put(data, media_type)
    # Locked: a prune run deciding on this very photo is waited for.
    photo = session.get(Photo, sha256, with_for_update=True)
    if photo is None:
        return _new_photo(session, sha256=sha256, media_type=media_type, size=len(data),
                          width=width, height=height)  # fmt: skip
    # The same photo again (a station resending it, one picture of two cartons): it is evidence
    # again from now on, so its retention starts over (which also makes a prune run that read
    # the row before look again), and if a prune run took the bytes meanwhile they go back.
    if not store.exists(sha256, media_type):
        store.put(data, media_type)
    photo.stored_at, photo.purged_at = utcnow(), None
    session.add(photo)
    session.flush()
    return photo


def _new_photo(
    session: Session, *, sha256: str, media_type: str, size: int, width: int, height: int
) -> Photo:
    photo = Photo(sha256=sha256, media_type=media_type, size=size, width=width, height=height,
                  stored_at=utcnow())  # fmt: skip
    try:
        with session.begin_nested():  # the same photo may be sent by two stations at once
            session.add(photo)
            session.flush()
    except IntegrityError:
        stored = session.get(Photo, sha256)
        assert stored is not None
        return stored
    return photo


def get_photo(session: Session, *, store: PhotoStore, sha256: str) -> tuple[Photo, bytes]:
    """A stored photo's record and bytes; NotFound for an id that is not in the database,
    Purged for a photo that the retention removed."""
    sha256 = sha256.lower()
    if not _SHA256.match(sha256):
        raise InvalidInput("a photo id is 64 lowercase hexadecimal digits")
    photo = session.get(Photo, sha256)
    if photo is None:
        raise NotFound(f"no photo {sha256}")
    if photo.purged_at is not None:
        raise Purged(f"photo {sha256} was removed on {photo.purged_at:%Y-%m-%d} (UTC), "
                     "after its retention period")  # fmt: skip
    return photo, store.read(sha256, photo.media_type)


def purged_photos_of_defects(session: Session, *, start: datetime, end: datetime) -> set[str]:
    """The purged photos among the evidence of the defects found from `start` to `end`."""
    query = (
        sa.select(_PHOTOS.c.sha256)
        .distinct()
        .select_from(
            _DEFECTS.join(_INSPECTIONS, _INSPECTIONS.c.id == _DEFECTS.c.inspection_id).join(
                _PHOTOS, _PHOTOS.c.sha256 == _INSPECTIONS.c.photo_sha256
            )
        )
        .where(_DEFECTS.c.created_at >= start, _DEFECTS.c.created_at < end)
        .where(_PHOTOS.c.purged_at.is_not(None))
    )
    return set(session.scalars(query))


# --- retention ---------------------------------------------------------------------------------

_MAX_DAYS = 36_500
_PRUNE_BATCH = 500  # photos decided on, and removed, per transaction


@dataclass(frozen=True, slots=True)
class PruneReport:
    """What a prune run removed (or, in a dry run, would remove) and what it kept as evidence."""

    older_than_days: int
    cutoff: datetime  # photos stored before this instant are past the retention period
    dry_run: bool
    purged: int
    purged_bytes: int
    kept: int  # past the period, but still the evidence of a defect

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly."""
        return {"older_than_days": self.older_than_days, "cutoff": self.cutoff.isoformat(),
                "dry_run": self.dry_run, "purged": self.purged,
                "purged_bytes": self.purged_bytes, "kept": self.kept}  # fmt: skip


def prune_photos(
    engine: Engine,
    *,
    store: PhotoStore,
    older_than_days: int,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PruneReport:
    """Remove from the store the photos stored more than `older_than_days` ago, except those
    still the evidence of a defect (see `_still_evidence`); each row stays, marked purged.

    It works in batches, each its own short transaction, so the service goes on scanning beside
    it, and a run cut short leaves whole batches done and the rest to the next run. Running it
    twice, or two at once, removes nothing twice.
    """
    if not 1 <= older_than_days <= _MAX_DAYS:
        raise InvalidInput(f"a retention period is 1 to {_MAX_DAYS:,} days, not {older_than_days}")
    now = now or utcnow()
    cutoff = now - timedelta(days=older_than_days)
    purged = purged_bytes = kept = 0
    after: tuple[datetime, str] | None = None
    while True:
        with db.session_scope(engine) as session:
            batch = _past_retention(session, cutoff=cutoff, after=after, lock=not dry_run)
            evidence = _still_evidence(session, [row.sha256 for row in batch], cutoff=cutoff)
            gone = [row for row in batch if row.sha256 not in evidence]
            if gone and not dry_run:
                _purge(session, store=store, photos=gone, at=now)
        if not batch:
            break
        purged, kept = purged + len(gone), kept + len(evidence)
        purged_bytes += sum(row.size for row in gone)
        after = (batch[-1].stored_at, batch[-1].sha256)
    return PruneReport(older_than_days, cutoff, dry_run, purged, purged_bytes, kept)


def _past_retention(
    session: Session, *, cutoff: datetime, after: tuple[datetime, str] | None, lock: bool
) -> list[sa.Row[Any]]:
    """The next photos stored before the cutoff and not purged, oldest first."""
    stored_at, sha256 = _PHOTOS.c.stored_at, _PHOTOS.c.sha256
    query = (
        sa.select(sha256, _PHOTOS.c.media_type, _PHOTOS.c.size, stored_at)
        .where(_PHOTOS.c.purged_at.is_(None), stored_at < cutoff)
        .order_by(stored_at, sha256)
        .limit(_PRUNE_BATCH)
    )
    if after is not None:
        query = query.where(stored_at >= after[0], sa.or_(stored_at > after[0], sha256 > after[1]))
    if lock:
        # PostgreSQL: the rows are this run's until it commits; a photo a station is storing
        # again right now is locked by that station and left for the next run. (SQLite: this
        # transaction holds the database's one write lock anyway.) A row changed meanwhile is
        # read again as committed, so a photo stored again is no longer past the cutoff.
        query = query.with_for_update(skip_locked=True)
    return list(session.execute(query).all())


# Which photos past the period billing still needs. The daily report (DOMAIN.md) shows each
# mislabeled carton's photo to billing and to its supplier as the evidence of the fee, and the
# warehouse's photos and timestamps are what a dispute is settled with. So a photo stays while
# any defect it shows
# - is open: the carton is not dealt with yet (relabel, return, disposal pending) or is held for
#   a person to review the photo; its fee is not final, and the photo is what decides it;
# - or was found within the period: the period is what the warehouse promises its suppliers,
#   counted from the fee, not from when a camera took the picture;
# - or was closed within the period: closing makes the charge final (relabelled, returned,
#   disposed of, or waived), and a supplier disputes the final charge, from then on.
# A photo that shows no defect (a correct label) is nobody's evidence once past the period.
def _still_evidence(session: Session, ids: list[str], *, cutoff: datetime) -> set[str]:
    """Which of these photos show a defect that is open, or was found or closed since cutoff."""
    if not ids:
        return set()
    query = (
        sa.select(_INSPECTIONS.c.photo_sha256)
        .distinct()
        .select_from(_INSPECTIONS.join(_DEFECTS, _DEFECTS.c.inspection_id == _INSPECTIONS.c.id))
        .where(_INSPECTIONS.c.photo_sha256.in_(ids))
        .where(
            sa.or_(
                _DEFECTS.c.state == DefectState.open,
                _DEFECTS.c.created_at >= cutoff,
                _DEFECTS.c.resolved_at >= cutoff,
            )
        )
    )
    return set(session.scalars(query))


def _purge(session: Session, *, store: PhotoStore, photos: list[sa.Row[Any]], at: datetime) -> None:
    # The bytes go while this transaction holds the rows (a station storing one of these photos
    # again waits, then finds it purged and puts the bytes back). If the commit then fails, the
    # rows are not marked and the next run removes the (absent) bytes again and marks them.
    store.delete([(row.sha256, row.media_type) for row in photos])
    ids = [row.sha256 for row in photos]
    session.execute(sa.update(_PHOTOS).where(_PHOTOS.c.sha256.in_(ids)).values(purged_at=at))
