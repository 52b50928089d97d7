"""Open-loop HTTP load: requests start on a fixed schedule, whatever pace the answers come at.

A closed-loop tool (wrk, a station that waits for each answer) sends its next request only
after the last answer, so when the server stalls it also stops sending, and the stall shows in
one request's latency instead of in every request scheduled during it ("coordinated omission").
Here request k is due at start + k / rate; its latency runs from when it was due to when its
answer was read, so time spent queued behind a slow answer counts (as wrk2 measures).

Used by bench/api_load.py; runs in its own process (asyncio on uvloop, plain HTTP/1.1
keep-alive over `connections` sockets) so it takes little of the server's CPU.
"""

import asyncio
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

import uvloop


@dataclass
class Load:
    """What one run sent and how the answers came back."""

    rate: float  # requests per second scheduled
    seconds: float
    connections: int
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    elapsed: float = 0.0

    def percentile(self, p: float) -> float:
        """The latency below which p % of the answers came (ms)."""
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

    @property
    def achieved(self) -> float:
        """Answers per second actually received."""
        return len(self.latencies_ms) / self.elapsed if self.elapsed else 0.0

    def summary(self) -> dict[str, float | int]:
        """The figures docs/benchmarks.md records."""
        non_2xx = sum(n for status, n in self.statuses.items() if not 200 <= status < 300)
        return {
            "rate": self.rate,
            "achieved": round(self.achieved, 1),
            "answers": len(self.latencies_ms),
            "p50_ms": round(self.percentile(50), 1),
            "p90_ms": round(self.percentile(90), 1),
            "p99_ms": round(self.percentile(99), 1),
            "max_ms": round(max(self.latencies_ms, default=float("nan")), 1),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 1) if self.latencies_ms else 0,
            "non_2xx": non_2xx,
            "errors": self.errors,
        }


def http_request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """One HTTP/1.1 keep-alive request as bytes."""
    lines = [f"{method} {path} HTTP/1.1", "Host: bench"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def run(
    host: str,
    port: int,
    request: Callable[[int], bytes],
    *,
    rate: float,
    seconds: float,
    connections: int,
) -> Load:
    """Send int(rate * seconds) requests, request(k) due at k / rate s after the start."""
    load = Load(rate, seconds, connections)
    uvloop.run(_run(host, port, request, load))
    return load


async def _run(host: str, port: int, request: Callable[[int], bytes], load: Load) -> None:
    loop = asyncio.get_running_loop()
    due: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
    sockets = [await asyncio.open_connection(host, port) for _ in range(load.connections)]
    workers = [asyncio.create_task(_connection(s, due, load)) for s in sockets]
    start = loop.time() + 0.05
    for k in range(int(load.rate * load.seconds)):
        at = start + k / load.rate
        wait = at - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        due.put_nowait((at, request(k)))
    for _ in workers:
        due.put_nowait(None)
    await asyncio.gather(*workers)
    load.elapsed = loop.time() - start


async def _connection(
    stream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    due: "asyncio.Queue[tuple[float, bytes] | None]",
    load: Load,
) -> None:
    reader, writer = stream
    loop = asyncio.get_running_loop()
    while (item := await due.get()) is not None:
        at, data = item
        try:
            writer.write(data)
            status = await _answer(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            load.errors += 1
            return
        load.latencies_ms.append((loop.time() - at) * 1000)
        load.statuses[status] = load.statuses.get(status, 0) + 1
    writer.close()


async def _answer(reader: asyncio.StreamReader) -> int:
    """Read one response (the server gives Content-Length); its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status
