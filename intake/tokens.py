"""API tokens for the HTTP service: who may call it, and with which role. Only hashes are stored."""

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from intake.errors import InvalidInput, NotFound
from intake.models import ApiToken, table_of, utcnow
from intake.receiving import check_station_name
from intake.revocations import announce_revocation, watch

PREFIX = "itk_"
# itk_<id>_<secret>: the id has no leading zero and fits PostgreSQL's integer; the secret is what
# secrets.token_urlsafe(32) makes (43 URL-safe characters). ASCII only, so a hostile string (NUL,
# non-ASCII digits, megabytes) is turned away before it reaches the database.
_TOKEN = re.compile(r"itk_([1-9][0-9]{0,9})_([A-Za-z0-9_-]{43})", re.ASCII)
_MAX_ID = 2**31 - 1
_SECRET_BYTES = 32


class Role(StrEnum):
    """What a token's holder is."""

    station = "station"
    viewer = "viewer"
    billing = "billing"
    admin = "admin"


class Permission(StrEnum):
    """What a token's holder may do."""

    scan = "scan"
    look_up = "look_up"
    bill = "bill"  # read the mislabel reports and resolve mislabels
    import_orders = "import_orders"


# Stations scan; viewers look orders up; billing looks up, reads reports and resolves mislabels;
# admins do everything.
ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType(
    {
        Role.station: frozenset({Permission.scan}),
        Role.viewer: frozenset({Permission.look_up}),
        Role.billing: frozenset({Permission.look_up, Permission.bill}),
        Role.admin: frozenset(Permission),
    }
)
_ROLES = frozenset(Role)


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as the service sees it: never its secret."""

    id: int
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None

    def may(self, permission: Permission) -> bool:
        """Whether this token's role grants the permission (a revoked token grants nothing)."""
        return self.revoked_at is None and permission in ROLE_PERMISSIONS[self.role]


def create_token(session: Session, *, name: str, role: str) -> tuple[TokenInfo, str]:
    """A new token; returns it with its plain text, which is shown once and never stored."""
    try:
        checked_role = Role(role)
    except ValueError:
        roles = ", ".join(list(Role)[:-1]) + f" or {list(Role)[-1]}"
        raise InvalidInput(f"{role!r} is no role: {roles}") from None
    name = check_station_name(name, "token name")
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    row = ApiToken(name=name, role=checked_role, secret_sha256=_sha256(secret), created_at=utcnow())
    session.add(row)
    session.flush()
    return _info(row), f"{PREFIX}{row.id}_{secret}"


_TOKENS = table_of(ApiToken)
_TOKEN_BY_ID = sa.select(_TOKENS).where(_TOKENS.c.id == sa.bindparam("id"))


def authenticate(connection: sa.Connection, *, token: str) -> TokenInfo | None:
    """The live token behind a presented one; None if malformed, unknown, wrong or revoked.
    One plain statement on a connection (no ORM session); a server keeps what it found in
    TokenChecks."""
    match = _TOKEN.fullmatch(token) if isinstance(token, str) else None
    if match is None or int(match[1]) > _MAX_ID:
        return None
    row = connection.execute(_TOKEN_BY_ID, {"id": int(match[1])}).first()
    if row is None or row.revoked_at is not None or row.role not in _ROLES:
        return None
    # Constant time, so the answer's timing tells nothing about how much of the hash matched.
    if not hmac.compare_digest(_sha256(match[2]), row.secret_sha256):
        return None
    return _info(row)


class TokenChecks:
    """The token checks of one server process. A live token is read from the database once,
    then recognised from memory, with no database read, while no token has been revoked since
    (intake.revocations: every process learns of a revocation at once) and for at most
    KEEP_SECONDS (a revocation written into the table by hand). Unknown, wrong and revoked
    tokens are never kept: each try reads the database."""

    KEEP_SECONDS = 60.0
    _MAX_KEPT = 10_000  # live tokens number in the hundreds; this only bounds the memory

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._watch = watch(engine)
        self._lock = threading.Lock()
        self._kept_under: object | None = None  # the mark the kept tokens were read under
        self._kept: dict[str, tuple[TokenInfo, float]] = {}

    def known(self, token: str) -> TokenInfo | None:
        """The token's holder if it was checked lately and no token was revoked since; None
        means: check it (`check`). Never blocks."""
        mark = self._watch.mark()
        if mark is None or mark != self._kept_under:
            return None
        kept = self._kept.get(token)
        if kept is None or time.monotonic() - kept[1] > self.KEEP_SECONDS:
            return None
        return kept[0]

    def check(self, token: str) -> TokenInfo | None:
        """Read the token from the database (blocking) and keep it when it is live."""
        mark = self._watch.mark()  # before the read: a revocation after it changes the mark
        with self._engine.connect() as connection:
            who = authenticate(connection, token=token)
        if who is not None and mark is not None:
            with self._lock:
                if mark != self._kept_under or len(self._kept) >= self._MAX_KEPT:
                    self._kept = {}
                    self._kept_under = mark
                self._kept[token] = (who, time.monotonic())
        return who

    def close(self) -> None:
        """Stop watching for revocations."""
        self._watch.close()


def revoke_token(session: Session, *, token_id: int) -> TokenInfo:
    """Stop a token from working, at once."""
    row = session.get(ApiToken, token_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no API token {token_id}")
    if row.revoked_at is not None:
        raise InvalidInput(
            f"API token {token_id} ({row.name}) was already revoked at "
            f"{row.revoked_at:%Y-%m-%d %H:%M:%S} UTC"
        )
    row.revoked_at = utcnow()
    session.add(row)
    session.flush()
    announce_revocation(session)  # server processes forget the tokens they had checked
    return _info(row)


def list_tokens(session: Session) -> list[TokenInfo]:
    """Every token, revoked ones too, oldest first."""
    rows = session.exec(select(ApiToken).order_by(ApiToken.id))  # type: ignore[arg-type]
    return [_info(row) for row in rows]


def _sha256(secret: str) -> str:
    # The secret is 256 random bits, not a password: nothing can be guessed by brute force, so a
    # fast hash is right (a slow one such as bcrypt would only slow every request down).
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _info(row: ApiToken | sa.Row[Any]) -> TokenInfo:
    assert row.id is not None, "a token row is flushed before it is shown"
    return TokenInfo(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
