"""GET /reports/mislabels and GET /reports/sla: the reports of `intake report`, over HTTP."""

import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from typing import Annotated, BinaryIO, TypeVar, cast

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from api import schemas
from api.app import ApiError, ReportEngine, SettingsDep, require
from api.reports import Format, report_photos, write_mislabels, write_sla
from intake.errors import NotFound
from intake.reports import mislabel_report, sla_report
from intake.settings import rules_from
from intake.tokens import Permission, TokenInfo

T = TypeVar("T")
router = APIRouter(tags=["reports"])
Billing = Annotated[TokenInfo, Depends(require(Permission.bill))]
_IN_MEMORY_BYTES = 8 * 1024 * 1024  # a bigger report is spooled to a temporary file
_CHUNK = 64 * 1024


@router.get(
    "/reports/mislabels",
    response_class=StreamingResponse,
    responses=schemas.report_content(schemas.MislabelReport) | schemas.errors(401, 403, 422),
)
def get_mislabel_report(
    request: Request,
    who: Billing,
    engine: ReportEngine,
    settings: SettingsDep,
    day: Annotated[date, Query(alias="date", description="The warehouse's local day.")],
    supplier: Annotated[str | None, Query(max_length=64)] = None,
    fmt: Annotated[Format, Query(alias="format")] = Format.json,
) -> StreamingResponse:
    """Every mislabeled carton of one local day by supplier: defects, fees, evidence photos
    (linked under this service: /photos/{id}, with a token), as CSV, JSON, HTML or PDF."""
    photos = report_photos(settings, str(request.base_url))
    with Session(engine) as session:
        report = _known_supplier(
            lambda: mislabel_report(
                session,
                day=day,
                zone=settings.zone,
                supplier_id=supplier,
                summarize=fmt.summarized,
                count_defects=not fmt.defects_from_lines,
            )
        )
        name = f"mislabels-{day}{f'-{supplier}' if supplier else ''}.{fmt}"
        return _answer(fmt, name, lambda out: write_mislabels(out, session, report, fmt, photos))


@router.get(
    "/reports/sla",
    response_class=StreamingResponse,
    responses=schemas.report_content(schemas.SlaReport) | schemas.errors(401, 403, 422),
)
def get_sla_report(
    request: Request,
    who: Billing,
    engine: ReportEngine,
    settings: SettingsDep,
    first: Annotated[date, Query(alias="from", description="First local day.")],
    last: Annotated[date, Query(alias="to", description="Last local day (included).")],
    supplier: Annotated[str | None, Query(max_length=64)] = None,
    fmt: Annotated[Format, Query(alias="format")] = Format.json,
) -> StreamingResponse:
    """Orders ready to ship late, cartons the carrier delayed (complaint evidence), orders
    ready to ship but never received, for local days `from` to `to`."""
    with Session(engine) as session:
        report = _known_supplier(lambda: sla_report(session, first=first, last=last,
                                                    zone=settings.zone,
                                                    hours=rules_from(settings).sla,
                                                    supplier_id=supplier))  # fmt: skip
        name = f"sla-{first}-{last}{f'-{supplier}' if supplier else ''}.{fmt}"
        return _answer(fmt, name, lambda out: write_sla(out, session, report, fmt))


def _known_supplier(make: Callable[[], T]) -> T:
    # A report for a supplier nobody knows is a bad request (422), not a missing resource.
    try:
        return make()
    except NotFound as exc:
        raise ApiError(422, "unknown_supplier", str(exc)) from exc


def _answer(fmt: Format, name: str, write: Callable[[BinaryIO], None]) -> StreamingResponse:
    """The whole report written first (a failure is an error answer, not half a file), kept in
    memory up to a few megabytes and on disk beyond, then sent in chunks."""
    # Closed by _chunks once sent (or here on failure): it outlives this function.
    spool = cast(BinaryIO, tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY_BYTES))  # noqa: SIM115
    try:
        write(spool)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    disposition = "inline" if fmt in (Format.html, Format.json) else "attachment"
    headers = {"Content-Disposition": f'{disposition}; filename="{name}"'}
    return StreamingResponse(_chunks(spool), media_type=fmt.media_type, headers=headers)


def _chunks(spool: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := spool.read(_CHUNK):
            yield chunk
    finally:
        spool.close()
