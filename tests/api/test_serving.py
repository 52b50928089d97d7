"""`intake serve --workers N`: worker processes that share the stations' connections, and a
worker that dies is replaced while the others go on answering."""

import os
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

import httpx

from tests.api.conftest import SAMPLE_ORDERS, Server, free_port
from tests.conftest import Cli


def _workers(server: Server) -> list[int]:
    """The worker processes under the server (the supervisor's children that serve)."""
    assert server.process is not None
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    pids = [int(p) for p in children.read_text().split()]
    return [p for p in pids if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]


def _connections_per_worker(server: Server) -> dict[int, int]:
    """How many of the server port's established TCP connections each worker holds."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == server.port and fields[3] == "01":  # ESTABLISHED
                inodes.add(fields[9])
    held = {}
    for pid in _workers(server):
        fds = Path(f"/proc/{pid}/fd")
        links = [os.readlink(fd) for fd in fds.iterdir() if fd.is_symlink()]
        held[pid] = sum(1 for link in links if link[8:-1] in inodes and link.startswith("socket:"))
    return held


def _get_with_retries(client: httpx.Client, path: str, attempts: int = 5) -> int:
    """A station's request: a connection lost with a worker is tried again on a new one."""
    for _ in range(attempts - 1):
        try:
            return client.get(path).status_code
        except httpx.TransportError:
            time.sleep(0.5)
    return client.get(path).status_code


def _wait_for_workers(server: Server, count: int, timeout: float = 60) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = _workers(server)
        if len(pids) == count:
            return pids
        time.sleep(0.2)
    raise AssertionError(f"expected {count} workers, have {_workers(server)}")


def test_workers_share_the_connections_and_a_dead_one_is_replaced(cli: Cli, tmp_path: Path) -> None:
    assert cli("orders", "import", str(SAMPLE_ORDERS)).exit_code == 0
    server = Server(cli, free_port(), tmp_path / "serve.log", workers=2)
    server.start()
    try:
        first = _wait_for_workers(server, 2)
        clients = [server.client("viewer") for _ in range(24)]
        for client in clients:  # 24 stations, each on its own kept-alive connection
            assert client.get("/orders/576470471153815409").status_code == 200
        spread = _connections_per_worker(server)

        os.kill(first[0], signal.SIGKILL)
        answers = []
        for client in clients:  # those that were on the dead worker connect again, as a station
            answers.append(_get_with_retries(client, "/orders/576470471153815409"))
        replaced = _wait_for_workers(server, 2)
        for client in clients:
            client.close()
    finally:
        server.stop()

    # The kernel spreads connections by a hash of their addresses: each worker gets some.
    assert sum(spread.values()) == 24, spread
    assert min(spread.values()) >= 4, spread
    assert answers == [200] * 24
    assert first[1] in replaced and first[0] not in replaced
    assert "starting another" in server.log.read_text()


def test_a_port_in_use_is_one_clear_error(cli: Cli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for workers in ("1", "2"):
            result = cli.process("serve", "--port", str(port), "--workers", workers, timeout=60)
            assert result.exit_code == 2, result.stderr
            lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
            assert lines == [f"error: cannot listen on 127.0.0.1:{port}: Address already in use"]


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    directory.mkdir(exist_ok=True)
    cert, key = directory / "station.crt", directory / "station.key"
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return cert, key


def test_https_for_station_pages_on_other_pcs(cli: Cli, tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    port = free_port()
    process = cli.popen("serve", "--port", str(port), "--ssl-certfile", str(cert),
                        "--ssl-keyfile", str(key))  # fmt: skip
    trusted = ssl.create_default_context(cafile=str(cert))
    try:
        deadline, answer = time.monotonic() + 60, None
        while time.monotonic() < deadline and answer is None:
            try:
                answer = httpx.get(f"https://127.0.0.1:{port}/station", verify=trusted)
            except httpx.TransportError:
                time.sleep(0.2)
        plain_http_refused = False
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        except httpx.TransportError:
            plain_http_refused = True
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert answer is not None and answer.status_code == 200
    assert "<video" in answer.text
    assert plain_http_refused


def test_a_bad_certificate_or_half_of_one_is_one_clear_error(cli: Cli, tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    other_cert, _other_key = _certificate(tmp_path / "other")
    half = cli("serve", "--ssl-certfile", str(cert))
    missing = cli("serve", "--ssl-certfile", str(cert), "--ssl-keyfile", str(tmp_path / "nope.key"))
    garbage = tmp_path / "garbage.key"
    garbage.write_text("not a key")
    unusable = cli("serve", "--ssl-certfile", str(cert), "--ssl-keyfile", str(garbage))
    mismatched = cli("serve", "--ssl-certfile", str(other_cert), "--ssl-keyfile", str(key))

    for result in (half, missing, unusable, mismatched):
        assert result.exit_code == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert half.stderr.strip() == "error: --ssl-certfile and --ssl-keyfile go together"
    assert "No such file or directory" in missing.stderr
    assert unusable.stderr.startswith(f"error: cannot use {cert} and {garbage} for https: ")
    assert "KEY_VALUES_MISMATCH" in mismatched.stderr or "mismatch" in mismatched.stderr.lower()
