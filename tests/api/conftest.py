"""The HTTP service as a real process, for every test under tests/api/.

`server` is `intake serve` on a free loopback port, on this test's database (SQLite and PostgreSQL:
it uses `database_url`, so each test runs on both), with the sample order book
(`sample_images/labels/orders.csv`) imported. `server.url` is its base URL, `server.token(role)`
makes a token, `server.client(role)` an httpx client that sends one, and `server.stop()` /
`server.start()` take it away and bring it back on the same port and database.
"""

import itertools
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import INTAKE, REPO, Cli

SAMPLE_ORDERS = REPO / "sample_images" / "labels" / "orders.csv"
_names = itertools.count(1)


def free_port() -> int:
    """A loopback port nobody listens on (as good as it gets without binding it ourselves)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """One `intake serve` process and the database it serves."""

    cli: Cli
    port: int
    log: Path
    workers: int = 1
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def token(self, role: str = "station", name: str | None = None) -> str:
        """A new API token of this role (`intake tokens create`), named `name` or `role N`."""
        name = name or f"{role} {next(_names)}"
        result = self.cli("tokens", "create", "--role", role, "--name", name, "--json")
        assert result.exit_code == 0, result.stderr
        return str(json.loads(result.stdout)["token"])

    def client(self, role: str = "station", name: str | None = None) -> httpx.Client:
        """An HTTP client on the server that sends a new token of this role (close it)."""
        headers = {"Authorization": f"Bearer {self.token(role, name)}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def start(self, timeout: float = 30) -> None:
        """Start the server and wait until /healthz answers."""
        assert self.process is None, "already running"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [INTAKE, "serve", "--port", str(self.port), "--workers", str(self.workers)],
                env=os.environ | self.cli.env,
                cwd=self.cli.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        tail = self.log.read_text(errors="replace")[-3000:]
        raise AssertionError(f"intake serve did not come up on port {self.port}:\n{tail}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 15 s)."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self.process = None


@pytest.fixture
def server(cli: Cli, tmp_path: Path) -> Iterator[Server]:
    """`intake serve` on this test's database, with the sample order book imported."""
    imported = cli("orders", "import", str(SAMPLE_ORDERS))
    assert imported.exit_code == 0, imported.stderr
    running = Server(cli, free_port(), tmp_path / "serve.log")
    running.start()
    yield running
    running.stop()
