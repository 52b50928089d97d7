"""What the HTTP API answers, as pydantic models: they make the OpenAPI description say what every
2xx answer and every JSON error holds. Field order is the order of the answers' keys.

Each model forbids keys it does not declare, so a key added to an answer without its description
fails the tests (the schema says `additionalProperties: false`) instead of going unannounced.
"""

from typing import Annotated, Any

from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from intake.models import CodeKind, DefectState, OrderStatus, ScanOutcome
from intake.tokens import Permission, Role

# Timestamps are ISO 8601 text as the intake layer wrote them (UTC, "+00:00"), passed through
# untouched: a datetime field would re-render them ("Z", other precision).
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Day = Annotated[str, Field(json_schema_extra={"format": "date"})]
Money = Annotated[str, Field(pattern=r"^-?\d+\.\d+$", examples=["12.50"])]
Box = Annotated[list[int], Field(description="x, y, width, height in the photo's pixels")]


class Answer(BaseModel):
    """A JSON object of an answer: every key declared."""

    model_config = ConfigDict(extra="forbid")


# --- errors --------------------------------------------------------------------------------------


class FieldProblem(Answer):
    """One bad field of a request."""

    field: str = Field(description="Where: body.code, query.limit...")
    problem: str


class RejectedFile(Answer):
    """Why an order-book file was refused whole."""

    message: str
    problems: list[str] = Field(description="The first 100 bad rows: line, column, reason.")


class ErrorBody(Answer):
    """Every error answer: a stable code a client can act on, and words for a person."""

    error: str = Field(examples=["not_found"], description="A stable code.")
    detail: str | list[FieldProblem] | RejectedFile


# What each error status means, for the routes' `responses=`.
_ERRORS = {
    400: "http_error: a body that cannot be parsed (not UTF-8, broken multipart)",
    401: "unauthorized: no bearer token, or an unknown or revoked one",
    403: "forbidden: the token's role may not do this (link_invalid: a bad or expired photo link)",
    404: "not_found: nothing by that id or number",
    413: "image_too_large / too_large: over the byte or pixel limit (checked before decoding)",
    410: "photo_purged: the photo existed; the retention period removed it",
    415: "image_not_image: not a PNG, JPEG, WebP, BMP or TIFF image",
    422: "invalid_request (a bad field), invalid_input, image_damaged, import_rejected...",
    503: "photo_store_unavailable / database_not_ready: try again once it is back",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route that can answer these error statuses."""
    return {status: {"model": ErrorBody, "description": _ERRORS[status]} for status in statuses}


# --- service -------------------------------------------------------------------------------------


class Health(Answer):
    """The service and its database answer."""

    status: str
    database: str


class WhoAmI(Answer):
    """A token's name, role and rights."""

    name: str
    role: Role
    may: list[Permission]


# --- scanning ------------------------------------------------------------------------------------


class SlaFlags(Answer):
    """Whether the supplier shipped late, and whether the carrier took too long."""

    late_ready_to_ship: bool
    carrier_delay: bool
    hours_late_ready_to_ship: float | None
    hours_carrier_over: float | None


class ScanAnswer(Answer):
    """The decision on one scanned code, as the station shows it."""

    outcome: ScanOutcome
    message: str
    scan_id: int
    scanned_at: Timestamp
    raw_code: str = Field(description="The code as sent: control characters escaped, capped.")
    code: str | None = Field(description="The code normalised; null when invalid.")
    code_kind: CodeKind
    carrier_hint: str | None
    order_no: str | None
    supplier_id: str | None
    supplier_name: str | None
    carton_id: int | None
    carton_seq: int | None
    cartons_received: int | None
    packages: int | None
    order_status: OrderStatus | None
    first_received_at: Timestamp | None
    first_received_station: str | None
    sla: SlaFlags | None
    replayed: bool = Field(description="The station sent this scan before: its first answer.")


class ReadField(Answer):
    """A label field as read: its text, how sure the reader was, where it is."""

    text: str
    confidence: float
    box: Box | None


class CodeSeen(Answer):
    """A code printed on the label."""

    text: str
    box: Box | None


class LabelReading(Answer):
    """The shipping label's fields as read from the photo."""

    found: bool
    order_no: ReadField | None
    order_no_barcodes: list[str]
    buyer_name: ReadField | None
    address: ReadField | None
    postcode: ReadField | None
    country: ReadField | None
    supplier: ReadField | None
    qr_codes: list[CodeSeen]
    barcodes: list[CodeSeen]
    confidence: float


class WaybillReading(Answer):
    """The domestic waybill as read from the photo."""

    found: bool
    tracking_no: str | None
    carrier: str | None
    source: str | None = Field(description="barcode or text")
    box: Box | None
    masked_phones: list[str]


class InspectedDefect(Answer):
    """A mislabel defect found on the photo, with its action and fee."""

    id: int | None = Field(description="null on a dry run")
    code: str = Field(examples=["forbidden_link"])
    evidence: str
    box: Box | None
    confidence: float
    action: str
    fee: Money
    currency: str
    state: DefectState


class PhotoAnswer(Answer):
    """The inspection of a photographed carton: the receipt, the label, defects and verdict."""

    file: str
    outcome: ScanOutcome
    replayed: bool
    order_no: str | None
    carton_seq: int | None
    cartons_received: int | None
    packages: int | None
    carton_id: int | None
    inspection_id: int | None
    repeat: bool = Field(description="The carton was inspected before: its first verdict.")
    waybill: WaybillReading
    label: LabelReading
    defects: list[InspectedDefect]
    verdict: str = Field(examples=["relabel"])
    message: str
    photo: str | None = Field(description="The evidence photo's id (GET /photos/{id}).")
    dry_run: bool
    timings_ms: dict[str, float]
    ms: float


class FrameCode(Answer):
    """A code found on a camera frame."""

    format: str
    text: str
    polygon: list[list[int]] = Field(description="The corners, [x, y] in the frame's pixels.")
    found_by: str


class FrameAnswer(Answer):
    """The codes on one camera frame."""

    width: int
    height: int
    barcodes: list[FrameCode]


# --- orders --------------------------------------------------------------------------------------


class Supplier(Answer):
    """The seller that packs and labels the order's cartons."""

    supplier_id: str
    name: str
    address: str


class Buyer(Answer):
    """Who ordered, and where the order goes."""

    name: str
    address: str
    postcode: str
    country: str


class Carton(Answer):
    """A carton received (or held) at a station."""

    id: int
    code: str
    code_kind: CodeKind
    order_no: str | None
    seq: int | None
    state: str = Field(description="received or held")
    supplier_id: str | None
    received_at: Timestamp
    station: str
    operator: str
    late_ready_to_ship: bool
    carrier_delay: bool


class ScanEvent(Answer):
    """One scan of the journal, whatever its outcome."""

    id: int
    scanned_at: Timestamp
    station: str
    operator: str
    raw_code: str
    code: str | None
    code_kind: CodeKind
    carrier_hint: str | None
    outcome: ScanOutcome
    order_no: str | None
    carton_id: int | None
    message: str
    idempotency_key: str | None


class Defect(Answer):
    """A mislabel defect of one of the order's cartons."""

    id: int
    carton_id: int
    code: str
    detail: str
    state: DefectState
    created_at: Timestamp
    confidence: float
    action: str
    fee_amount: Money
    fee_currency: str
    fee_schedule_version: str
    resolved_by: str | None
    resolved_at: Timestamp | None
    inspection_id: int | None
    box: Box | None


class Inspection(Answer):
    """The label check of one carton: verdict and evidence photo."""

    id: int
    carton_id: int
    photo_sha256: str | None
    inspected_at: Timestamp
    station: str
    operator: str
    verdict: str
    order_no: str | None
    label_order_no: str | None
    tracking_no: str | None


class OrderAnswer(Answer):
    """Everything known about one order at the warehouse."""

    order_no: str
    status: OrderStatus
    supplier: Supplier
    buyer: Buyer
    carrier: str | None
    tracking_numbers: list[str]
    packages: int
    cartons_received: int
    ordered_at: Timestamp
    ready_to_ship_at: Timestamp | None
    received_at: Timestamp | None
    sla: SlaFlags | None
    cartons: list[Carton]
    scans: list[ScanEvent]
    defects: list[Defect]
    inspections: list[Inspection]


class OrderSummary(Answer):
    """One order of a page."""

    order_no: str
    status: OrderStatus
    supplier_id: str
    packages: int
    buyer_country: str
    ordered_at: Timestamp
    received_at: Timestamp | None


class OrderPage(Answer):
    """A page of orders; `next_after` is the `after` of the next page (null on the last)."""

    orders: list[OrderSummary]
    next_after: str | None


class ImportProblem(Answer):
    """One bad cell of an imported file."""

    line: int
    column: str
    reason: str


class ImportAnswer(Answer):
    """What an import read, wrote and refused."""

    rows_read: int
    inserted: int
    updated: int
    rejected: int
    problems_total: int
    problems: list[ImportProblem]


# --- mislabels -----------------------------------------------------------------------------------


class Mislabel(Answer):
    """One mislabel defect with the carton, order and supplier it is charged to."""

    id: int
    code: str
    state: DefectState
    evidence: str
    box: Box | None
    confidence: float
    action: str
    fee: Money
    currency: str
    fee_schedule_version: str
    found_at: Timestamp
    resolved_by: str | None
    resolved_at: Timestamp | None
    carton_id: int
    carton_code: str
    station: str
    operator: str
    order_no: str | None
    supplier_id: str | None
    supplier_name: str | None
    photo: str | None


class MislabelPage(Answer):
    """The defects of one local day, a page at a time."""

    date: Day
    mislabels: list[Mislabel]
    next_after_id: int | None


class Resolved(Answer):
    """A defect as closed."""

    id: int
    code: str
    state: DefectState
    resolved_by: str | None
    resolved_at: Timestamp | None


# --- reports (JSON; also CSV, HTML, PDF) ---------------------------------------------------------


class FeeByAction(Answer):
    """What one action costs a supplier in one currency."""

    action: str
    currency: str
    amount: Money


class SupplierDay(Answer):
    """One supplier's day (supplier_id null: cartons of orders nobody knows)."""

    supplier_id: str | None
    supplier_name: str | None
    cartons_received: int
    cartons_mislabeled: int
    mislabel_rate: float | None
    defects_by_code: dict[str, int]
    fees_by_action: list[FeeByAction]
    fee_totals: dict[str, Money]


class MislabeledCarton(Answer):
    """One row of the report: a mislabeled carton."""

    carton_id: int
    supplier_id: str | None
    supplier_name: str | None
    order_no: str | None
    tracking_no: str | None
    carrier: str | None
    defect_codes: list[str]
    station: str
    operator: str
    found_at: Timestamp
    local_time: str = Field(description="In the warehouse's time zone: YYYY-MM-DD HH:MM:SS")
    action: str
    state: str
    fee: Money
    currency: str
    photo_id: str | None
    photo_url: str | None = Field(description="A signed link that opens without a token.")


class MislabelReport(Answer):
    """The daily mislabel report."""

    report: str = Field(examples=["mislabels"])
    date: Day
    timezone: str
    supplier: str | None
    generated_at: Timestamp
    empty: bool
    suppliers: list[SupplierDay]
    totals: SupplierDay
    mislabels: list[MislabeledCarton]


class Allowances(Answer):
    """The SLA allowances, in hours."""

    ready_to_ship: float
    pickup: float
    transit: float


class LateOrder(Answer):
    """An order marked ready to ship after the allowance (or never)."""

    order_no: str
    supplier_id: str
    supplier_name: str
    ordered_at: Timestamp
    ready_to_ship_at: Timestamp | None
    hours_late: float


class CarrierDelay(Answer):
    """A carton received later than pickup and transit allow: complaint evidence."""

    order_no: str
    supplier_id: str
    supplier_name: str
    carrier: str | None
    tracking_no: str | None
    ready_to_ship_at: Timestamp
    received_at: Timestamp
    hours_over: float


class NeverReceived(Answer):
    """An order ready to ship whose cartons never arrived, although the allowances ran out."""

    order_no: str
    supplier_id: str
    supplier_name: str
    carrier: str | None
    tracking_numbers: str
    ready_to_ship_at: Timestamp
    hours_overdue: float


class SlaReport(Answer):
    """The SLA evidence report."""

    model_config = ConfigDict(populate_by_name=True)

    report: str = Field(examples=["sla"])
    first: Day = Field(alias="from")
    last: Day = Field(alias="to")
    timezone: str
    supplier: str | None
    generated_at: Timestamp
    allowance_hours: Allowances
    late_ready_to_ship: list[LateOrder]
    carrier_delays: list[CarrierDelay]
    never_received: list[NeverReceived]


def described(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """The 200 answer of a hot route, described by the model but not checked against it on each
    request (validating costs a scan or a look-up 2-3 times its serialisation): the route answers
    with `json_answer`, and the tests check real answers against the model."""
    return {200: {"model": model, "description": "Successful Response"}}


_ANY_OBJECT = TypeAdapter(dict[str, Any])


def json_answer(data: dict[str, Any]) -> Response:
    """A hot route's JSON answer, byte for byte what FastAPI writes for a dict (pydantic's
    serialiser), without a response model's validation or, for a plain `def` route, the extra
    trip to a worker thread that it takes."""
    return Response(_ANY_OBJECT.dump_json(data), media_type="application/json")


def report_content(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """The 200 answer of a report route: the model as JSON, or a CSV, HTML or PDF file."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    text = {"schema": {"type": "string"}}
    return {
        200: {
            "model": model,
            "description": "The report, in the format asked for.",
            "content": {"text/csv": text, "text/html": text, "application/pdf": binary},
        }
    }


def text_content(description: str) -> dict[int | str, dict[str, Any]]:
    """The 200 answer of a route that answers plain text (with a route class of no media type:
    its JSON errors stay application/json)."""
    return {
        200: {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}
    }


def image_content() -> dict[int | str, dict[str, Any]]:
    """The 200 answer of a route that serves an image file."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    types = ("image/jpeg", "image/png", "image/webp", "image/bmp", "image/tiff")
    return {200: {"description": "The image file.", "content": dict.fromkeys(types, binary)}}
