"""API tokens: created with a role, shown once, stored only as a hash, revoked at once."""

import hashlib
import json
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from intake import db
from intake.models import ApiToken
from intake.tokens import ROLE_PERMISSIONS, Permission, Role, TokenInfo, authenticate
from tests.conftest import Cli, CliResult
from tests.factories import count_rows

TOKEN = re.compile(r"itk_[0-9]+_[A-Za-z0-9_-]+")


def _create(cli: Cli, role: str = "station", name: str = "Dock 3") -> dict[str, Any]:
    result = cli("tokens", "create", "--role", role, "--name", name, "--json")
    assert result.exit_code == 0, result.stderr
    created: dict[str, Any] = json.loads(result.stdout)
    return created


def _authenticate(engine: Engine, token: str) -> TokenInfo | None:
    with db.session_scope(engine) as session:
        return authenticate(session.connection(), token=token)


def _one_error_line(result: CliResult) -> str:
    assert result.exit_code == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_roles_grant_what_the_issue_says() -> None:
    granted = {role: set(permissions) for role, permissions in ROLE_PERMISSIONS.items()}

    assert granted == {
        Role.station: {Permission.scan},
        Role.viewer: {Permission.look_up},
        Role.billing: {Permission.look_up, Permission.bill},
        Role.admin: set(Permission),
    }


def test_a_created_token_is_shown_once_and_authenticates_with_its_role(
    cli: Cli, engine: Engine
) -> None:
    shown = cli("tokens", "create", "--role", "station", "--name", "Dock 3")
    billing = _create(cli, role="billing", name="账务 Finance")

    assert shown.exit_code == 0, shown.stderr
    assert "cannot be shown again" in shown.stdout
    station_token = TOKEN.search(shown.stdout)
    assert station_token is not None
    station = _authenticate(engine, station_token[0])
    assert station is not None
    assert (station.name, station.role, station.revoked_at) == ("Dock 3", Role.station, None)
    assert station.may(Permission.scan) and not station.may(Permission.look_up)
    assert set(billing) == {"id", "name", "role", "token"}
    found = _authenticate(engine, billing["token"])
    assert found is not None
    assert (found.id, found.name, found.role) == (billing["id"], "账务 Finance", Role.billing)
    assert found.may(Permission.bill) and not found.may(Permission.import_orders)


def test_wrong_malformed_and_hostile_tokens_are_refused(cli: Cli, engine: Engine) -> None:
    token = _create(cli)["token"]
    other = _create(cli, role="admin", name="boss")["token"]
    _, token_id, secret = token.split("_", 2)
    flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")

    refused = [
        f"itk_{token_id}_{flipped}",  # wrong secret
        f"itk_{int(token_id) + 1}_{secret}",  # another token's id with this secret
        f"itk_{other.split('_', 2)[1]}_{secret}",
        f"itk_999_{secret}",  # no such id
        f"itk_99999999999_{secret}",  # beyond PostgreSQL's integer
        f"itk_0{token_id}_{secret}",
        "",
        "itk_",
        f"itk_{token_id}",
        f"itk_{token_id}_",
        secret,
        f"Bearer {token}",
        f" {token}",
        f"{token}\n",
        token[:-1],
        token.upper(),
        f"{token}\x00",
        f"itk_{token_id}_{secret[:20]}\x00{secret[21:]}",
        token + "A" * 10_000,
        "itk_1_" + "A" * 10_000,
        "\x00" * 10_000,
        f"itk_{token_id}_{'令牌' * 21}令",
        f"itk_١_{secret}",  # an Arabic-Indic digit one
        "令牌" * 5_000,
    ]

    assert [_authenticate(engine, t) for t in refused] == [None] * len(refused)
    assert _authenticate(engine, token) is not None  # and the real one still works


def test_a_revoked_token_stops_working_at_once(cli: Cli, engine: Engine) -> None:
    created = _create(cli)
    with db.session_scope(engine) as session:
        before = authenticate(session.connection(), token=created["token"])
        held = session.get(ApiToken, created["id"])  # kept in the session's identity map
        session.commit()  # not locked any more, yet held is not expired (expire_on_commit=False)
        revoked = cli("tokens", "revoke", str(created["id"]))
        # the same session and connection: no cache
        after = authenticate(session.connection(), token=created["token"])
    again = cli("tokens", "revoke", str(created["id"]))
    unknown = cli("tokens", "revoke", "999")

    assert before is not None and before.may(Permission.scan)
    assert revoked.exit_code == 0, revoked.stderr
    assert f"API token {created['id']} (Dock 3, station) revoked" in revoked.stdout
    assert after is None and held is not None
    assert _authenticate(engine, created["token"]) is None
    assert "already revoked at" in _one_error_line(again)
    assert _one_error_line(unknown) == "error: no API token 999"
    listed = json.loads(cli("tokens", "list", "--json").stdout)["tokens"]
    assert listed[0]["revoked_at"] is not None


def test_the_database_never_holds_the_plain_token(cli: Cli, engine: Engine) -> None:
    tokens = [_create(cli, role=r.value, name=f"{r} 1")["token"] for r in Role]

    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT * FROM api_tokens ORDER BY id")).mappings().all()
    stored = " ".join(str(value) for row in rows for value in row.values())

    assert len(rows) == len(Role)
    for token, row in zip(tokens, rows, strict=True):
        secret = token.split("_", 2)[2]
        assert secret not in stored and secret[:16] not in stored
        assert row["secret_sha256"] == hashlib.sha256(secret.encode()).hexdigest()


def test_list_never_shows_a_secret_or_its_hash(cli: Cli, engine: Engine) -> None:
    assert "no API tokens" in cli("tokens", "list").stdout
    created = [_create(cli, role="viewer", name="ERP [look-ups]"), _create(cli, role="admin")]
    with engine.connect() as c:
        hashes = c.execute(sa.text("SELECT secret_sha256 FROM api_tokens")).scalars().all()

    text = cli("tokens", "list")
    as_json = cli("tokens", "list", "--json")

    assert text.exit_code == as_json.exit_code == 0
    assert "ERP [look-ups]" in text.stdout and "admin" in text.stdout
    listed = json.loads(as_json.stdout)["tokens"]
    assert [(t["id"], t["name"], t["role"]) for t in listed] == [
        (c["id"], c["name"], c["role"]) for c in created
    ]
    assert set(listed[0]) == {"id", "name", "role", "created_at", "revoked_at"}
    for shown in (text.stdout, as_json.stdout):
        for secret in [c["token"].split("_", 2)[2] for c in created] + list(hashes):
            assert secret not in shown and secret[:12] not in shown


def test_bad_role_or_name_is_one_line_and_creates_nothing(cli: Cli, engine: Engine) -> None:
    def create(role: str, name: str) -> str:
        return _one_error_line(cli("tokens", "create", "--role", role, "--name", name))

    assert create("root", "Dock 3") == (
        "error: 'root' is no role: station, viewer, billing or admin"
    )
    assert create("station", "") == "error: token name is empty"
    assert create("station", "   ") == "error: token name is empty"
    assert create("station", "D" * 65) == "error: token name is 65 characters long, over 64"
    assert create("station", "Dock\x1b3") == "error: token name contains control characters"
    assert count_rows(engine, "api_tokens") == 0
    assert _create(cli, name="D" * 64)["name"] == "D" * 64
