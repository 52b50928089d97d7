"""Running the app under uvicorn: one process, or several each with its own listening socket.

uvicorn's own `--workers` shares one listening socket between its processes, and whichever
process is quickest to accept takes a burst of new connections: with 32 stations connecting at
once, one worker was seen holding three quarters of them at 87 % CPU while the other idled, and
the busy one's queue set everyone's latency. Here each worker binds its own socket with
SO_REUSEPORT (Linux), and the kernel spreads the connections over them by a hash of their
addresses. The parent only starts the workers, restarts one that dies, and stops them all on
SIGTERM or Ctrl-C.
"""

import logging
import multiprocessing
import multiprocessing.context
import multiprocessing.process
import signal
import socket
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn

log = logging.getLogger("uvicorn.error")
_RESTART_PAUSE_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Tls:
    """A certificate and its key (PEM files), for serving https."""

    certfile: Path
    keyfile: Path

    def check(self) -> None:
        """Raise ServeError unless the files hold a certificate and its matching key."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            context.load_cert_chain(self.certfile, self.keyfile)
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
            raise ServeError(
                f"cannot use {self.certfile} and {self.keyfile} for https: {reason}"
            ) from exc


class ServeError(Exception):
    """The server cannot start as asked (a port in use, an unusable certificate)."""


def serve(*, host: str, port: int, workers: int, access_log: bool, tls: Tls | None = None) -> None:
    """Serve until stopped; `workers` processes (each with the whole app) when more than one."""
    if tls is not None:
        tls.check()
    options = _uvicorn_options(host, port, access_log)
    if tls is not None:
        options |= {"ssl_certfile": str(tls.certfile), "ssl_keyfile": str(tls.keyfile)}
    # The port is tried alone first: a port in use (by another intake serve too) is one clear
    # error (OSError), instead of uvicorn's log lines or, with SO_REUSEPORT, a second server
    # silently sharing the port with the first.
    try:
        _bound_socket(host, port, shared=False).close()
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    if workers == 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(**options, workers=workers)
        return
    _supervise(options, workers)


def _uvicorn_options(host: str, port: int, access_log: bool) -> dict[str, Any]:
    return {
        "app": "api.app:create_app",
        "factory": True,
        "host": host,
        "port": port,
        "log_level": "info",
        "access_log": access_log,
        "proxy_headers": True,
    }


def _bound_socket(host: str, port: int, *, shared: bool) -> socket.socket:
    family, kind, proto, _name, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


def _worker(options: dict[str, Any]) -> None:
    sock = _bound_socket(options["host"], options["port"], shared=True)
    sock.listen(2048)
    server = uvicorn.Server(uvicorn.Config(**options))
    server.run(sockets=[sock])


def _supervise(options: dict[str, Any], workers: int) -> None:
    uvicorn.Config(**options)  # sets up uvicorn's logging, for this process's own lines
    context = multiprocessing.get_context("spawn")
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    processes = [_start(context, options) for _ in range(workers)]
    log.info("serving on %s:%s with %d worker processes", options["host"], options["port"],
             workers)  # fmt: skip
    try:
        while not stopping:
            time.sleep(0.2)
            for i, process in enumerate(processes):
                if not process.is_alive() and not stopping:
                    log.warning("worker %s ended (exit %s): starting another", process.pid,
                                process.exitcode)  # fmt: skip
                    time.sleep(_RESTART_PAUSE_SECONDS)
                    processes[i] = _start(context, options)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # uvicorn finishes the requests in hand on SIGTERM
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()


def _start(
    context: multiprocessing.context.SpawnContext, options: dict[str, Any]
) -> multiprocessing.process.BaseProcess:
    process = context.Process(target=_worker, args=(options,), name="intake-worker")
    process.start()
    return process
