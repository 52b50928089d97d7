"""The station page (/station) and what it calls besides /scans: reading codes off camera frames."""

from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse

from api import schemas
from api.app import SettingsDep, read_image_upload, require
from api.scanning import parcel_check
from intake.tokens import Permission, TokenInfo
from scanner.pipeline import decode

router = APIRouter()
Scanner = Annotated[TokenInfo, Depends(require(Permission.scan))]


@router.get("/station", response_class=HTMLResponse, include_in_schema=False)
def station_page() -> HTMLResponse:
    """The station's page: only its code (it holds no data; everything it shows needs a token)."""
    page = resources.files("api") / "static" / "station.html"
    return HTMLResponse(page.read_text(encoding="utf-8"), headers={"Cache-Control": "no-cache"})


@router.post(
    "/frames",
    tags=["scanning"],
    response_model=schemas.FrameAnswer,
    responses=schemas.errors(400, 401, 403, 413, 415, 422),
)
def post_frame(
    request: Request,
    who: Scanner,
    settings: SettingsDep,
    frame: Annotated[UploadFile, File(description="One camera frame, JPEG or PNG.")],
) -> dict[str, Any]:
    """The codes on one camera frame, with their corners, within the video time budget. Nothing
    is recorded: the page confirms a code on two frames, then sends the frame to /scans/photo."""
    _data, image = read_image_upload(frame, settings, "frame")
    budget = settings.frame_budget_ms or None
    with request.app.state.metrics.decode_seconds.labels("frame").time():
        codes = decode(image.pixels, check=parcel_check, budget_ms=budget)
    height, width = image.pixels.shape[:2]
    return {"width": width, "height": height, "barcodes": [c.as_dict() for c in codes]}
