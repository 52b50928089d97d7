"""Prometheus metrics of the service: scans by outcome, decoding and request latency."""

import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Seconds: a scan answers in milliseconds, a photo inspection in about a second.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """One registry per app (tests start several apps in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.scans = Counter("intake_scans", "Scans decided, by outcome", ["outcome"],
                             registry=self.registry)  # fmt: skip
        self.inspections = Counter("intake_inspections", "Carton photos inspected, by verdict",
                                   ["verdict"], registry=self.registry)  # fmt: skip
        self.decode_seconds = Histogram("intake_decode_seconds",
                                        "Reading one photo: codes and text", ["stage"],
                                        buckets=_BUCKETS, registry=self.registry)  # fmt: skip
        self.request_seconds = Histogram("intake_request_seconds", "HTTP requests, by route",
                                         ["method", "route", "status"], buckets=_BUCKETS,
                                         registry=self.registry)  # fmt: skip

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)

    def asgi(self, app: ASGIApp) -> ASGIApp:
        """Wrap the app: time every request under its route's template (never the raw path: no
        order numbers as label values). Plain ASGI: Starlette's BaseHTTPMiddleware costs a
        streamed copy of every response."""

        async def timed(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            started = time.perf_counter()
            status = 500

            async def sending(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await app(scope, receive, sending)
            finally:
                template = getattr(scope.get("route"), "path", "unmatched")
                self.request_seconds.labels(scope["method"], template, str(status)).observe(
                    time.perf_counter() - started
                )

        return timed
