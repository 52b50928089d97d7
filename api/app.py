"""The HTTP service: FastAPI app, its database engine, errors as JSON, authentication by token.

Built by `create_app()`; `intake serve` runs it under uvicorn. The engine is made in the lifespan,
never at import. Each request gets one session that commits when the handler returns and rolls
back on any error. Every route but /healthz (and the station page's static shell, which holds no
data) needs a bearer token whose role allows it (`intake tokens create`).
"""

import asyncio
import gc
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

from anyio import to_thread
from fastapi import Depends, FastAPI, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from api.metrics import Metrics
from intake import db
from intake.errors import (
    DatabaseNotReady,
    ImportRejected,
    IntakeError,
    InvalidInput,
    NotFound,
    Purged,
    StoreUnavailable,
)
from intake.settings import Settings, get_settings
from intake.tokens import Permission, TokenChecks, TokenInfo
from scanner.images import ImageRejected, LoadedImage, load_image

log = logging.getLogger("intake.api")

T = TypeVar("T")
_HANDLER_THREADS = 8
# What each kind of problem answers: status and a stable code a client can act on.
_IMAGE_STATUS = {"not_image": 415, "too_large": 413, "damaged": 422, "unusable": 422}


class ApiError(Exception):
    """An error the API answers with a status, a stable code and a human detail."""

    def __init__(self, status: int, error: str, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status, self.error, self.detail, self.headers = status, error, detail, headers


def error_body(error: str, detail: Any) -> dict[str, Any]:
    """The JSON every error answers with."""
    return {"error": error, "detail": detail}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app on the configured database (checked at start: `intake db upgrade` first)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = db.create_db_engine(settings.effective_database_url)
        db.check_schema(engine)
        app.state.engine = engine
        # Scans are committed in groups, by one thread per worker process (see GroupCommit).
        app.state.group_commit = db.GroupCommit(engine)
        # Look-ups and token checks read beside the writer instead of queueing behind it.
        app.state.read_engine = db.create_db_engine(settings.effective_database_url,
                                                    read_only=True)  # fmt: skip
        # Reports read one snapshot, however long they take, without the write lock.
        app.state.report_engine = db.create_db_engine(settings.effective_database_url,
                                                      read_only=True, snapshot=True)  # fmt: skip
        # Token checks on the read engine (no write lock), kept until a revocation.
        app.state.tokens = TokenChecks(app.state.read_engine)
        # Few threads for the blocking handlers: more only fight over one core and one writer.
        to_thread.current_default_thread_limiter().total_tokens = _HANDLER_THREADS
        # The OCR models take seconds to load: load them now, beside serving, not on the first
        # photo a station sends.
        threading.Thread(target=_warm_up, args=(settings,), daemon=True).start()
        try:
            yield
        finally:
            app.state.group_commit.close()
            app.state.tokens.close()
            engine.dispose()
            app.state.read_engine.dispose()
            app.state.report_engine.dispose()

    app = FastAPI(
        title="Parcel intake station",
        version="1.0",
        description="Receiving cartons, checking their labels, looking orders up.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    _install_error_handlers(app)
    app.add_middleware(_Timed)
    from api import report_routes, routes, station

    app.include_router(routes.router)
    app.include_router(report_routes.router)
    app.include_router(station.router)
    return app


class _Timed:
    """The metrics' request timer as middleware (added by class, as Starlette expects)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.timed: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.timed is None:
            self.timed = scope["app"].state.metrics.asgi(self.app)
        await self.timed(scope, receive, send)


def _warm_up(settings: Settings) -> None:
    from api.inspecting import ocr_threads
    from scanner.ocr import text_reader

    try:
        text_reader(ocr_threads(settings))
    except Exception:  # the first photo will try again and report it
        log.exception("could not load the OCR models")
    # What start-up made (the app, the OCR models: some 170,000 objects) lives as long as the
    # process. Out of the garbage collector's sight, a full collection takes well under a
    # millisecond instead of some 70 ms, a pause every request in flight would wait through.
    gc.collect()
    gc.freeze()


def _install_error_handlers(app: FastAPI) -> None:
    def answer(
        status: int, error: str, detail: Any, headers: dict[str, str] | None = None
    ) -> JSONResponse:
        return JSONResponse(error_body(error, detail), status_code=status, headers=headers)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return answer(exc.status, exc.error, exc.detail, exc.headers)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> JSONResponse:
        return answer(404, "not_found", str(exc))

    @app.exception_handler(Purged)
    async def purged(request: Request, exc: Purged) -> JSONResponse:
        # Not a wrong id: the photo existed and the retention removed it, for good.
        return answer(410, "photo_purged", str(exc))

    @app.exception_handler(ImportRejected)
    async def import_rejected(request: Request, exc: ImportRejected) -> JSONResponse:
        problems = [str(p) for p in exc.problems[:100]]
        return answer(422, "import_rejected", {"message": str(exc), "problems": problems})

    @app.exception_handler(InvalidInput)
    async def invalid(request: Request, exc: InvalidInput) -> JSONResponse:
        return answer(422, "invalid_input", str(exc))

    @app.exception_handler(DatabaseNotReady)
    async def not_ready(request: Request, exc: DatabaseNotReady) -> JSONResponse:
        return answer(503, "database_not_ready", str(exc))

    @app.exception_handler(StoreUnavailable)
    async def store_unavailable(request: Request, exc: StoreUnavailable) -> JSONResponse:
        return answer(503, "photo_store_unavailable", str(exc))

    @app.exception_handler(IntakeError)
    async def intake_error(request: Request, exc: IntakeError) -> JSONResponse:
        return answer(422, "invalid_input", str(exc))

    @app.exception_handler(ImageRejected)
    async def image_rejected(request: Request, exc: ImageRejected) -> JSONResponse:
        status = _IMAGE_STATUS.get(exc.kind, 422)
        return answer(status, f"image_{exc.kind}", str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
            for e in exc.errors()[:20]
        ]
        return answer(422, "invalid_request", problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}
        return answer(exc.status_code, codes.get(exc.status_code, "http_error"), exc.detail)


# --- dependencies --------------------------------------------------------------------------------


# The dependencies that only read app.state are coroutines: FastAPI runs a plain function
# dependency on a worker thread, and each such hop costs more than the work.


async def get_settings_dep(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> Engine:
    """The app's database engine."""
    engine: Engine = request.app.state.engine
    return engine


async def get_read_engine(request: Request) -> Engine:
    """The engine for look-ups (on SQLite: no write lock)."""
    engine: Engine = request.app.state.read_engine
    return engine


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "a bearer token is needed (Authorization: Bearer …)",
                       {"WWW-Authenticate": "Bearer"})  # fmt: skip
    return token.strip()


async def authenticated(request: Request) -> TokenInfo:
    """The token's holder, whatever its role; 401 for a missing, unknown or revoked token."""
    token = _bearer(request)
    tokens: TokenChecks = request.app.state.tokens
    # Checked lately and nothing revoked since: no database read, no trip to a thread.
    return _live(tokens.known(token) or await run_in_threadpool(tokens.check, token))


def authenticated_in_thread(request: Request) -> TokenInfo:
    """`authenticated` for a plain `def` route, which already runs in a worker thread."""
    token = _bearer(request)
    tokens: TokenChecks = request.app.state.tokens
    return _live(tokens.known(token) or tokens.check(token))


def _live(who: TokenInfo | None) -> TokenInfo:
    if who is None:
        raise ApiError(401, "unauthorized", "unknown or revoked token",
                       {"WWW-Authenticate": "Bearer"})  # fmt: skip
    return who


def require(permission: Permission) -> Callable[..., Awaitable[TokenInfo]]:
    """A dependency that lets through only tokens whose role has the permission."""

    async def check(who: Annotated[TokenInfo, Depends(authenticated)]) -> TokenInfo:
        if not who.may(permission):
            raise ApiError(403, "forbidden",
                           f"a {who.role} token may not do this (needs {permission})")  # fmt: skip
        return who

    return check


async def write(request: Request, work: Callable[[Session], T]) -> T:
    """Run `work` in a write transaction and return what it returned, once committed."""
    group_commit: db.GroupCommit = request.app.state.group_commit
    return await asyncio.wrap_future(group_commit.submit(work))


def read_image_upload(
    upload: UploadFile, settings: Settings, what: str
) -> tuple[bytes, LoadedImage]:
    """An uploaded photo's bytes and pixels, within the byte and pixel limits (413 beyond them;
    415/422 through ImageRejected for what is no usable image)."""
    data = upload.file.read(settings.max_image_bytes + 1)
    if len(data) > settings.max_image_bytes:
        limit = settings.max_image_bytes
        raise ApiError(413, "image_too_large", f"the {what} is over the limit of {limit:,} bytes")
    return data, load_image(data, max_pixels=settings.max_image_pixels)


async def get_report_engine(request: Request) -> Engine:
    """The engine for reports: one snapshot per transaction, no write lock."""
    engine: Engine = request.app.state.report_engine
    return engine


# Handlers open their sessions themselves (`db.session_scope(engine)` to write,
# `Session(read_engine)` to look up), never in a dependency: FastAPI ends a dependency on another
# pool thread after the handler, and a SQLite write turn held until then would wait for a thread
# the next writers hold; each of those thread hops also costs more than a look-up.
WriteEngine = Annotated[Engine, Depends(get_engine)]
ReadEngine = Annotated[Engine, Depends(get_read_engine)]
ReportEngine = Annotated[Engine, Depends(get_report_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
