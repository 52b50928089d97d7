"""Token checks kept in a server process's memory: a revocation, from any process, ends them."""

import json
import time
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from intake import db
from intake.tokens import TokenChecks, TokenInfo
from tests.conftest import Cli


@pytest.fixture
def checks(database_url: str) -> Iterator[TokenChecks]:
    """The token checks a server process keeps, on the read engine it uses."""
    engine = db.create_db_engine(database_url, read_only=True)
    kept = TokenChecks(engine)
    yield kept
    kept.close()
    engine.dispose()


def _token(cli: Cli, name: str) -> tuple[str, str]:
    result = cli("tokens", "create", "--role", "viewer", "--name", name, "--json")
    created = json.loads(result.stdout)
    return str(created["id"]), str(created["token"])


def _soon(condition: Callable[[], bool], seconds: float = 2.0) -> bool:
    # PostgreSQL's notice reaches the listening connection a moment after the commit.
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _listening(checks: TokenChecks) -> bool:
    return checks._watch.mark() is not None


def test_a_checked_token_is_known_from_memory_until_any_revocation(
    cli: Cli, checks: TokenChecks
) -> None:
    _, desk4 = _token(cli, "Desk 4")
    desk5_id, desk5 = _token(cli, "Desk 5")
    assert _soon(lambda: _listening(checks))

    assert checks.known(desk4) is None  # never checked: the caller reads the database
    first = checks.check(desk4)
    assert isinstance(first, TokenInfo) and first.name == "Desk 4"
    assert checks.known(desk4) == first  # no database read now
    assert checks.check(desk5) is not None and checks.known(desk5) is not None

    assert cli("tokens", "revoke", desk5_id).exit_code == 0
    # Every kept token is forgotten, the revoked one and the others alike. (While the notice
    # waits unread, nothing is known either: wait until it is read, then check again.)
    assert _soon(
        lambda: checks.known(desk5) is None and checks.known(desk4) is None and _listening(checks)
    )
    assert checks.check(desk5) is None and checks.known(desk5) is None
    assert checks.check(desk4) == first and checks.known(desk4) == first


def test_unknown_and_wrong_tokens_are_never_kept(cli: Cli, checks: TokenChecks) -> None:
    token_id, token = _token(cli, "Desk 4")
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    for _ in range(2):
        assert checks.check(wrong) is None and checks.known(wrong) is None
        assert checks.check(f"itk_{int(token_id) + 1}_{token[-43:]}") is None
    assert checks.known(token) is None


def test_a_revocation_written_by_hand_counts_within_the_keeping_time(
    cli: Cli, checks: TokenChecks, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No signal comes from an UPDATE typed into the database: a kept token lasts KEEP_SECONDS.
    monkeypatch.setattr(TokenChecks, "KEEP_SECONDS", 0.3)
    token_id, token = _token(cli, "Desk 4")
    assert checks.check(token) is not None
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP WHERE id = :id"),
            {"id": int(token_id)},
        )
    assert checks.known(token) is not None
    time.sleep(0.35)
    assert checks.known(token) is None and checks.check(token) is None


def test_a_revocation_while_the_listening_connection_is_down_still_counts(
    backend: str, cli: Cli, checks: TokenChecks, engine: Engine
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite's stamp file has no connection to lose")
    token_id, token = _token(cli, "Desk 4")
    assert _soon(lambda: _listening(checks))
    assert checks.check(token) is not None
    with engine.begin() as connection:  # the database server drops the listening connection
        connection.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE query LIKE 'LISTEN %' AND datname = current_database()"
            )
        )
    assert cli("tokens", "revoke", token_id).exit_code == 0
    assert _soon(lambda: checks.known(token) is None)
    assert checks.check(token) is None
    # It listens again by itself, and keeps live tokens again.
    _, other = _token(cli, "Desk 5")
    assert _soon(lambda: _listening(checks), seconds=5)
    assert checks.check(other) is not None and checks.known(other) is not None
