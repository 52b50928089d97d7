"""The HTTP routes: parse, call one intake (or scanner) function, answer. No rules live here."""

import io
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlmodel import Session

from api import schemas
from api.app import (
    ApiError,
    ReadEngine,
    SettingsDep,
    WriteEngine,
    authenticated,
    authenticated_in_thread,
    read_image_upload,
    require,
    write,
)
from api.inspecting import PhotoRequest, inspect_photo
from api.photolinks import link_is_valid
from intake import db
from intake.importing import import_orders
from intake.lookup import get_order_view, list_orders
from intake.mislabels import list_mislabels, resolve_defect
from intake.orderbook import FileProblem, read_records
from intake.photos import get_photo, photo_store
from intake.receiving import ScanDecision, receive_scan
from intake.settings import rules_from
from intake.tokens import Permission, TokenInfo
from scanner.images import thumbnail_jpeg

router = APIRouter()

Scanner = Annotated[TokenInfo, Depends(require(Permission.scan))]
Viewer = Annotated[TokenInfo, Depends(require(Permission.look_up))]
Billing = Annotated[TokenInfo, Depends(require(Permission.bill))]
Admin = Annotated[TokenInfo, Depends(require(Permission.import_orders))]

# A scanned code longer than this is not read at all (receive_scan refuses anything over 128
# characters as a code but journals it, escaped and capped: this only bounds the request).
_MAX_SCAN_TEXT = 20_000
_MAX_IMPORT_BYTES = 512 * 1024 * 1024


class ScanIn(BaseModel):
    """A code from a handheld scanner or the station page's camera."""

    code: str = Field(max_length=_MAX_SCAN_TEXT, description="The code as the scanner sent it.")
    operator: str = Field(min_length=1, max_length=64, description="Who is scanning.")
    station: str | None = Field(
        default=None, max_length=64, description="Station id; default: the token's name."
    )


class ResolveIn(BaseModel):
    """How a mislabel defect was dealt with."""

    resolution: str = Field(description="relabeled, returned, disposed or waived")
    by: str = Field(min_length=1, max_length=64, description="Who dealt with the carton.")


@router.get("/healthz", tags=["service"], response_model=schemas.Health)
def healthz(engine: WriteEngine) -> dict[str, str]:
    """Whether the service and its database answer (no token needed, no data given)."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}


@router.get(
    "/whoami", tags=["service"], response_model=schemas.WhoAmI, responses=schemas.errors(401)
)
def whoami(who: Annotated[TokenInfo, Depends(authenticated)]) -> dict[str, Any]:
    """The token's name and role, and what it may do (the station page checks a token with it)."""
    return {
        "name": who.name,
        "role": str(who.role),
        "may": sorted(str(p) for p in Permission if who.may(p)),
    }


@router.get(
    "/metrics",
    tags=["service"],
    response_class=Response,
    responses=schemas.text_content("Prometheus text format") | schemas.errors(401, 403),
)
def metrics(request: Request, who: Viewer) -> Response:
    """Prometheus metrics: scans by outcome, photo reading and request latency."""
    body = request.app.state.metrics.render()
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")


@router.post(
    "/scans",
    tags=["scanning"],
    responses=schemas.described(schemas.ScanAnswer) | schemas.errors(400, 401, 403, 422),
)
async def post_scan(
    scan: ScanIn,
    who: Scanner,
    settings: SettingsDep,
    request: Request,
    idempotency_key: Annotated[str | None, Header(max_length=64)] = None,
) -> Response:
    """Receive the carton behind one scanned code: received, already_received, unknown or
    invalid, with the order, its carton count and SLA flags. A scan sent again with the same
    `Idempotency-Key` header (a station replaying its queue) gets its first answer back
    (`"replayed": true`) and is recorded once."""
    rules = rules_from(settings)

    def receive(session: Session) -> ScanDecision:
        return receive_scan(session, raw_code=scan.code, station=scan.station or who.name,
                            operator=scan.operator, rules=rules,
                            idempotency_key=idempotency_key)  # fmt: skip

    decision = await write(request, receive)
    request.app.state.metrics.scans.labels(str(decision.outcome)).inc()
    return schemas.json_answer(decision.as_dict())


@router.post(
    "/scans/photo",
    tags=["scanning"],
    response_model=schemas.PhotoAnswer,
    responses=schemas.errors(400, 401, 403, 413, 415, 422, 503),
)
def post_scan_photo(
    request: Request,
    who: Scanner,
    settings: SettingsDep,
    engine: WriteEngine,
    photo: Annotated[UploadFile, File(description="A photo of the carton: JPEG, PNG, WebP...")],
    operator: Annotated[str, Form(min_length=1, max_length=64)],
    station: Annotated[str | None, Form(max_length=64)] = None,
    dry_run: Annotated[bool, Form()] = False,
    code: Annotated[str | None, Form(max_length=128)] = None,
    idempotency_key: Annotated[str | None, Header(max_length=64)] = None,
) -> dict[str, Any]:
    """Receive the photographed carton, check its label and record its defects: the decision,
    the defects with their fees, the verdict and the stored evidence photo's id. `code` is the
    code the station read on the carton, if it read one (else the photo's waybill decides)."""
    data, image = read_image_upload(photo, settings, "photo")
    metrics = request.app.state.metrics
    result = inspect_photo(
        data,
        image,
        file=photo.filename or "photo",
        engine=engine,
        settings=settings,
        request=PhotoRequest(station or who.name, operator, dry_run, code, idempotency_key),
    )
    timings: dict[str, float] = result["timings_ms"]  # type: ignore[assignment]
    for stage, ms in timings.items():
        metrics.decode_seconds.labels(stage).observe(ms / 1000)
    metrics.inspections.labels(result["verdict"]).inc()
    metrics.scans.labels(result["outcome"]).inc()
    return result


@router.get(
    "/orders/{order_no}",
    tags=["orders"],
    responses=schemas.described(schemas.OrderAnswer) | schemas.errors(401, 403, 404, 422),
)
def get_order(order_no: str, who: Viewer, engine: ReadEngine,
              settings: SettingsDep) -> Response:  # fmt: skip
    """The order: status, cartons, every scan, inspections, defects with state and fee, SLA."""
    with Session(engine) as session:
        view = get_order_view(session, order_no=order_no, rules=rules_from(settings))
    return schemas.json_answer(view.as_dict())


@router.get(
    "/orders",
    tags=["orders"],
    response_model=schemas.OrderPage,
    responses=schemas.errors(401, 403, 422),
)
def get_orders(
    who: Viewer,
    engine: ReadEngine,
    status: str | None = None,
    supplier: str | None = None,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
    after: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Orders by status, supplier and time received, a page at a time: pass `next_after` back
    as `after` for the next page."""
    for name, value in (("received_from", received_from), ("received_to", received_to)):
        if value is not None and value.tzinfo is None:
            raise ApiError(422, "invalid_input", f"{name} needs a UTC offset (…Z or +08:00)")
    with Session(engine) as session:
        page = list_orders(session, status=status, supplier_id=supplier,
                           received_from=received_from, received_to=received_to, after=after,
                           limit=limit)  # fmt: skip
    return {
        "orders": [_order_summary(o) for o in page.orders],
        "next_after": page.next_after,
    }


def _order_summary(order: Any) -> dict[str, Any]:
    return {
        "order_no": order.order_no,
        "status": order.status,
        "supplier_id": order.supplier_id,
        "packages": order.packages,
        "buyer_country": order.buyer_country,
        "ordered_at": order.ordered_at.isoformat(),
        "received_at": order.received_at.isoformat() if order.received_at else None,
    }


@router.post(
    "/orders/import",
    tags=["orders"],
    response_model=schemas.ImportAnswer,
    responses=schemas.errors(400, 401, 403, 413, 422),
)
def post_orders_import(
    who: Admin,
    engine: WriteEngine,
    file: Annotated[UploadFile, File(description="Order-book export: CSV or JSON Lines, UTF-8.")],
) -> dict[str, Any]:
    """Import (upsert by order number) an order-book file; a file with a bad row is refused
    whole (422 with every problem), and nothing of it is written."""
    data = file.file.read(_MAX_IMPORT_BYTES + 1)
    if len(data) > _MAX_IMPORT_BYTES:
        raise ApiError(413, "too_large", f"the file is over {_MAX_IMPORT_BYTES:,} bytes")
    records = read_records(io.BytesIO(data), name=file.filename or "")
    try:
        with db.session_scope(engine) as session:
            report = import_orders(session, records=records)
    except FileProblem as exc:
        raise ApiError(422, "import_rejected", f"{exc.problem}; nothing was imported") from exc
    return report.as_dict()


@router.get(
    "/mislabels",
    tags=["mislabels"],
    response_model=schemas.MislabelPage,
    responses=schemas.errors(401, 403, 422),
)
def get_mislabels(
    who: Billing,
    engine: ReadEngine,
    settings: SettingsDep,
    day: Annotated[date, Query(alias="date", description="The warehouse's local day")],
    supplier: str | None = None,
    state: str | None = None,
    after_id: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """The mislabel defects found on one local day, oldest first, a page at a time."""
    with Session(engine) as session:
        rows = list_mislabels(session, day=day, zone=settings.zone, supplier_id=supplier,
                              state=state, after_id=after_id, limit=limit)  # fmt: skip
    return {
        "date": day.isoformat(),
        "mislabels": [r.as_dict() for r in rows],
        "next_after_id": rows[-1].defect.id if len(rows) == limit else None,
    }


@router.post(
    "/mislabels/{defect_id}/resolve",
    tags=["mislabels"],
    response_model=schemas.Resolved,
    responses=schemas.errors(400, 401, 403, 404, 422),
)
def post_resolve(defect_id: int, body: ResolveIn, who: Billing,
                 engine: WriteEngine) -> dict[str, Any]:  # fmt: skip
    """Close an open defect as relabeled, returned, disposed or waived, with who and when."""
    with db.session_scope(engine) as session:
        defect = resolve_defect(session, defect_id=defect_id, resolution=body.resolution,
                                by=body.by)  # fmt: skip
    return {
        "id": defect.id,
        "code": defect.code,
        "state": defect.state,
        "resolved_by": defect.resolved_by,
        "resolved_at": defect.resolved_at.isoformat() if defect.resolved_at else None,
    }


@router.get(
    "/photos/{photo_id}",
    tags=["mislabels"],
    response_class=Response,
    responses=schemas.image_content() | schemas.errors(401, 403, 404, 410, 422, 503),
)
def get_photo_file(
    photo_id: str,
    request: Request,
    engine: ReadEngine,
    settings: SettingsDep,
    width: Annotated[int | None, Query(ge=32, le=1600, description="A smaller copy.")] = None,
    expires: Annotated[int | None, Query(description="A report link's expiry.")] = None,
    sig: Annotated[
        str | None, Query(max_length=64, description="A report link's signature.")
    ] = None,
) -> Response:
    """An evidence photo, by the id an inspection gave (its SHA-256): with a viewer, billing or
    admin token, or through a signed, expiring link from a report (no token)."""
    if sig is None or expires is None:
        who = authenticated_in_thread(request)
        if not who.may(Permission.look_up):
            raise ApiError(403, "forbidden", f"a {who.role} token may not do this (needs look_up)")
    elif not link_is_valid(settings, photo_id, width=width, expires=expires, sig=sig):
        raise ApiError(403, "link_invalid", "this photo link is not valid or has expired")
    with Session(engine) as session:
        photo, data = get_photo(session, store=photo_store(settings), sha256=photo_id)
    media_type = photo.media_type
    if width is not None:
        data, media_type = thumbnail_jpeg(data, width=width), "image/jpeg"
    return Response(data, media_type=media_type,
                    headers={"Cache-Control": "private, max-age=86400"})  # fmt: skip
