"""Fixtures shared by every test: a migrated database per test, on SQLite and on PostgreSQL."""

import os
import pty
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from typer.testing import CliRunner

from api.cli import app
from intake import db
from intake.settings import get_settings

REPO = Path(__file__).resolve().parent.parent
INTAKE = str(Path(sys.executable).parent / "intake")
PG_URL_VAR = "INTAKE_TEST_PG_URL"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that uses a database runs once on SQLite and once on PostgreSQL."""
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", ["sqlite", "postgresql"], scope="session")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating each time would cost seconds)."""
    path = tmp_path_factory.mktemp("template") / "intake.db"
    db.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """The PostgreSQL server scripts/test.sh started; the suite refuses to run half of itself."""
    url = os.environ.get(PG_URL_VAR)
    if not url:
        pytest.fail(
            f"{PG_URL_VAR} is not set: run the tests with scripts/test.sh, which starts "
            "PostgreSQL (or deselect with -k sqlite)"
        )
    return url


@pytest.fixture(scope="session")
def pg_template(pg_admin_url: str) -> str:
    """A migrated PostgreSQL database used as the template of each test's database."""
    name = f"intake_tpl_{os.getpid()}"
    _pg_execute(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    db.upgrade(_with_database(pg_admin_url, name))
    yield name
    _drop_database(pg_admin_url, name)


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _pg_execute(url: str, *statements: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated, empty database for this test."""
    if backend == "sqlite":
        path = tmp_path / "intake.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    admin = request.getfixturevalue("pg_admin_url")
    template = request.getfixturevalue("pg_template")
    name = f"intake_t_{uuid.uuid4().hex[:12]}"
    _pg_execute(admin, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _with_database(admin, name)
    _drop_database(admin, name)


def _drop_database(admin_url: str, name: str) -> None:
    # An autovacuum worker (a superuser's process, which the test role may not end) can be in a
    # fresh database for a moment: it is gone within a second or two.
    for attempt in range(20):
        try:
            _pg_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except sa.exc.ProgrammingError:
            if attempt == 19:
                raise
            time.sleep(0.25)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on this test's database, for checking what was stored."""
    engine = db.create_db_engine(database_url)
    yield engine
    engine.dispose()


@dataclass
class CliResult:
    """What a user sees from one `intake` command."""

    exit_code: int
    stdout: str
    stderr: str


class Cli:
    """Runs `intake` commands against one database: in-process, or as a real process."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd

    def __call__(self, *args: str, input: str | None = None) -> CliResult:
        """In-process through the same Typer app the console script runs (fast)."""
        get_settings.cache_clear()
        old = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)
        try:
            result = CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            get_settings.cache_clear()
        return CliResult(result.exit_code, result.stdout, result.stderr)

    def process(self, *args: str, timeout: float = 120) -> CliResult:
        """As a separate `intake` process, exactly as a user or a cron job starts it."""
        done = subprocess.run(
            [INTAKE, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=os.environ | self.env,
            cwd=self.cwd,
        )
        return CliResult(done.returncode, done.stdout, done.stderr)

    def on_terminal(self, *args: str, timeout: float = 120) -> CliResult:
        """As a real process whose standard error is a terminal (standard output stays a pipe)."""
        controller, terminal = pty.openpty()
        process = subprocess.Popen(
            [INTAKE, *args],
            stdout=subprocess.PIPE,
            stderr=terminal,
            text=True,
            env=os.environ | self.env,
            cwd=self.cwd,
        )
        os.close(terminal)  # the child holds it; reading gets EIO once the child is gone
        chunks: list[bytes] = []

        def drain() -> None:
            while True:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                chunks.append(chunk)

        reader = threading.Thread(target=drain)
        reader.start()
        stdout, _ = process.communicate(timeout=timeout)
        reader.join(timeout=10)
        os.close(controller)
        return CliResult(process.returncode, stdout, b"".join(chunks).decode(errors="replace"))

    def popen(self, *args: str) -> subprocess.Popen[str]:
        """A started `intake` process, for races between stations."""
        return subprocess.Popen(
            [INTAKE, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ | self.env,
            cwd=self.cwd,
        )


@pytest.fixture
def cli(database_url: str, tmp_path: Path) -> Cli:
    """The `intake` command on this test's database."""
    return Cli(
        {"INTAKE_DATABASE_URL": database_url, "INTAKE_DATA_DIR": str(tmp_path / "data")}, tmp_path
    )
