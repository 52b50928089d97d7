"""The evidence photo store: each distinct photo once, as a file named by its SHA-256.

The id is the content's hash, so the same photo sent twice is stored once, a stored photo can be
checked against its name, and ids cannot be guessed from one another. Only a 64-hex-digit id ever
becomes a path: nothing a caller sends can point outside the store.
"""

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from intake.errors import InvalidInput, NotFound
from intake.models import Photo, utcnow

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# The file suffix by media type: the store serves the bytes back with the type they came with.
_SUFFIXES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp",
             "image/tiff": ".tif", "image/bmp": ".bmp", "image/gif": ".gif"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PhotoStore:
    """A folder of evidence photos, two levels of fan-out (ab/cd/abcd…) to keep folders small."""

    root: Path

    def path_of(self, sha256: str, media_type: str) -> Path:
        """Where the photo with this id lives (the id is checked: never a path from outside)."""
        if not _SHA256.match(sha256):
            raise InvalidInput("a photo id is 64 lowercase hexadecimal digits")
        suffix = _SUFFIXES.get(media_type, ".bin")
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}{suffix}"

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


def store_photo(
    session: Session, *, store: PhotoStore, data: bytes, media_type: str, width: int, height: int
) -> Photo:
    """Keep an evidence photo: its file in the store, its row in the database (once each)."""
    sha256 = store.put(data, media_type)
    photo = session.get(Photo, sha256)
    if photo is not None:
        return photo
    photo = Photo(sha256=sha256, media_type=media_type, size=len(data), width=width,
                  height=height, stored_at=utcnow())  # fmt: skip
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
    """A stored photo's record and bytes; NotFound for an id that is not in the database."""
    sha256 = sha256.lower()
    if not _SHA256.match(sha256):
        raise InvalidInput("a photo id is 64 lowercase hexadecimal digits")
    photo = session.get(Photo, sha256)
    if photo is None:
        raise NotFound(f"no photo {sha256}")
    return photo, store.read(sha256, photo.media_type)
