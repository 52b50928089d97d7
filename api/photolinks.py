"""Evidence-photo links that open without a token: for a report sent to a supplier, or opened
in a browser (an <img> sends no bearer token). Each link names one photo and one size, expires,
and is signed with HMAC-SHA256 under the service's link secret; anything else needs a token."""

import hashlib
import hmac
import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

from intake.settings import Settings

LINK_DAYS = 60  # long enough for a supplier to dispute a fee


def link_query(settings: Settings, sha256: str, *, width: int, now: datetime | None = None) -> str:
    """The query string that lets /photos/{sha256} answer without a token, until it expires."""
    expires = int(((now or datetime.now(UTC)) + timedelta(days=LINK_DAYS)).timestamp())
    return f"width={width}&expires={expires}&sig={_signature(settings, sha256, width, expires)}"


def link_is_valid(
    settings: Settings, sha256: str, *, width: int | None, expires: int, sig: str
) -> bool:
    """Whether a link was signed here for this photo and size, and has not expired."""
    if expires < datetime.now(UTC).timestamp():
        return False
    # As bytes: compare_digest refuses a str with non-ASCII letters (a 500 for a mangled link).
    return hmac.compare_digest(sig.encode(), _signature(settings, sha256, width, expires).encode())


def _signature(settings: Settings, sha256: str, width: int | None, expires: int) -> str:
    message = f"{sha256}:{width or 0}:{expires}".encode()
    return hmac.new(_secret(settings), message, hashlib.sha256).hexdigest()


def _secret(settings: Settings) -> bytes:
    if settings.link_secret is not None:
        return settings.link_secret.get_secret_value().encode()
    path = settings.data_dir / "link-secret"
    if not path.exists():
        _create_secret(path)
    return path.read_bytes()


def _create_secret(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # O_EXCL: two processes starting at once keep the first one's secret
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as f:
        f.write(secrets.token_hex(32).encode())
