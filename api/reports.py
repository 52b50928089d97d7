"""The reports as files: CSV and JSON here, HTML and PDF in api/reporthtml.py and reportpdf.py.

One function per report writes any format to a stream, for the CLI (`intake report`) and the
HTTP routes (`GET /reports/...`) alike. Rows are written as they come from the database.
"""

import csv
import io
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from sqlmodel import Session

from api.photolinks import link_query
from intake.errors import InvalidInput, NotFound
from intake.fees import money
from intake.orderbook import spreadsheet_safe
from intake.photos import photo_store, purged_photos_of_defects
from intake.reports import (
    DefectTally,
    MislabelLine,
    MislabelReport,
    SlaReport,
    SupplierSummary,
    carrier_delays,
    late_ready_to_ship,
    mislabel_lines,
    mislabel_trend,
    never_received,
)
from intake.settings import Settings

_JSON = json.JSONEncoder(ensure_ascii=False)  # one encoder: json.dumps(...) makes one per call


class Format(StrEnum):
    """What a report can be written as."""

    csv = "csv"
    json = "json"
    html = "html"
    pdf = "pdf"

    @property
    def summarized(self) -> bool:
        """Whether it shows the summary per supplier (a CSV is the rows alone)."""
        return self is not Format.csv

    @property
    def defects_from_lines(self) -> bool:
        """Whether its writer adds the day's defects up from the rows it writes (JSON spools
        the rows, then writes the summary above them), so the report needs not read them."""
        return self is Format.json

    @property
    def media_type(self) -> str:
        """Its HTTP content type."""
        return {
            "csv": "text/csv; charset=utf-8",
            "json": "application/json",
            "html": "text/html; charset=utf-8",
            "pdf": "application/pdf",
        }[self.value]


@dataclass(frozen=True, slots=True)
class Photos:
    """How a report points at evidence photos: a URL for a browser, bytes for a PDF."""

    url: Callable[[str], str | None]
    thumbnail: Callable[[str], bytes | None]

    def without(self, purged: set[str]) -> "Photos":
        """The same, but neither a link nor a thumbnail for these photos (the retention removed
        them: a link would answer 410)."""
        if not purged:
            return self
        return Photos(
            lambda sha256: None if sha256 in purged else self.url(sha256),
            lambda sha256: None if sha256 in purged else self.thumbnail(sha256),
        )


THUMBNAIL_WIDTH = 240

# Stable columns: tools downstream read them by name; new ones are only ever added at the end.
MISLABEL_COLUMNS = (
    "date",
    "supplier_id",
    "supplier_name",
    "order_no",
    "tracking_no",
    "carrier",
    "defect_codes",
    "station",
    "operator",
    "local_time",
    "action",
    "state",
    "fee",
    "currency",
    "photo_id",
    "photo_url",
)
SLA_COLUMNS = (
    "section",
    "order_no",
    "supplier_id",
    "supplier_name",
    "carrier",
    "tracking_no",
    "ordered_at",
    "ready_to_ship_at",
    "received_at",
    "hours",
)


def write_mislabels(
    out: BinaryIO, session: Session, report: MislabelReport, fmt: Format, photos: Photos
) -> None:
    """The day's mislabel report in the format, rows streamed from the session."""
    photos = photos.without(purged_photos_of_defects(session, start=report.start, end=report.end))
    if fmt is Format.json:
        _write_mislabel_json(out, session, report, photos)
        return
    lines = mislabel_lines(session, report)
    if fmt is Format.csv:
        _write_text(out, _mislabel_csv(report, lines, photos), bom=True)
    elif fmt is Format.html:
        from api.reporthtml import write_mislabels_html

        trend = mislabel_trend(session, day=report.day, zone=report.zone,
                               supplier_id=report.supplier_id)  # fmt: skip
        with _text(out) as text:
            write_mislabels_html(text, report, lines, trend, photos.url)
    else:
        from api.reportpdf import write_mislabels_pdf

        trend = mislabel_trend(session, day=report.day, zone=report.zone,
                               supplier_id=report.supplier_id)  # fmt: skip
        write_mislabels_pdf(out, report, lines, trend, photos.thumbnail)


def write_sla(out: BinaryIO, session: Session, report: SlaReport, fmt: Format) -> None:
    """The SLA evidence report in the format, rows streamed from the session."""
    late = late_ready_to_ship(session, report)
    delays = carrier_delays(session, report)
    never = never_received(session, report)
    if fmt is Format.csv:
        _write_text(out, _sla_csv(report, late, delays, never), bom=True)
    elif fmt is Format.json:
        _write_text(out, _sla_json(report, late, delays, never))
    elif fmt is Format.html:
        from api.reporthtml import write_sla_html

        with _text(out) as text:
            write_sla_html(text, report, late, delays, never)
    else:
        from api.reportpdf import write_sla_pdf

        write_sla_pdf(out, report, late, delays, never)


# --- CSV -----------------------------------------------------------------------------------


def _mislabel_csv(
    report: MislabelReport, lines: Iterable[MislabelLine], photos: Photos
) -> Iterator[str]:
    day = report.day.isoformat()
    yield _csv_row(MISLABEL_COLUMNS)
    for line in lines:
        yield _csv_row(
            (
                day,
                line.supplier_id,
                line.supplier_name,
                line.order_no,
                line.tracking_no,
                line.carrier,
                ";".join(line.codes),
                line.station,
                line.operator,
                _local(line.found_at, report.zone),
                line.action,
                line.state,
                money(line.fee),
                line.currency,
                line.photo_sha256,
                photos.url(line.photo_sha256) if line.photo_sha256 else None,
            )
        )


def _sla_csv(report: SlaReport, late: Iterable[Any], delays: Iterable[Any],
             never: Iterable[Any]) -> Iterator[str]:  # fmt: skip
    zone = report.zone
    yield _csv_row(SLA_COLUMNS)
    for o in late:
        yield _csv_row(("late_ready_to_ship", o.order_no, o.supplier_id, o.supplier_name, None,
                        None, _local(o.ordered_at, zone), _local(o.ready_to_ship_at, zone), None,
                        o.hours_late))  # fmt: skip
    for c in delays:
        yield _csv_row(("carrier_delay", c.order_no, c.supplier_id, c.supplier_name, c.carrier,
                        c.tracking_no, None, _local(c.ready_to_ship_at, zone),
                        _local(c.received_at, zone), c.hours_over))  # fmt: skip
    for n in never:
        yield _csv_row(("never_received", n.order_no, n.supplier_id, n.supplier_name, n.carrier,
                        n.tracking_numbers, None, _local(n.ready_to_ship_at, zone), None,
                        n.hours_overdue))  # fmt: skip


def _csv_row(values: Iterable[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([_cell(v) for v in values])
    return buffer.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    return spreadsheet_safe(value) if isinstance(value, str) else str(value)


# --- JSON ----------------------------------------------------------------------------------


def _write_mislabel_json(
    out: BinaryIO, session: Session, report: MislabelReport, photos: Photos
) -> None:
    # The summary comes first in the file but is added up from the rows as they pass: the
    # rows wait in a spool file meanwhile (megabytes, not memory), read from the database once.
    tally = DefectTally()
    with tempfile.TemporaryFile() as spool:
        for i, line in enumerate(mislabel_lines(session, report, tally)):
            item = _JSON.encode(_mislabel(line, report.zone, photos))
            spool.write(f"{',' if i else ''}\n{item}".encode())
        report = tally.summarized(report)
        head = {
            "report": "mislabels",
            "date": report.day.isoformat(),
            "timezone": report.zone.key,
            "supplier": report.supplier_id,
            "generated_at": report.generated_at.isoformat(),
            "empty": report.empty,
            "suppliers": [_summary(s) for s in report.summaries],
            "totals": _summary(report.totals()),
        }
        out.write((_JSON.encode(head)[:-1] + ', "mislabels": [').encode())
        spool.seek(0)
        shutil.copyfileobj(spool, out)
    out.write(b"\n]}\n")


def _summary(s: SupplierSummary) -> dict[str, Any]:
    rate = s.mislabel_rate
    return {
        "supplier_id": s.supplier_id,
        "supplier_name": s.supplier_name,
        "cartons_received": s.cartons_received,
        "cartons_mislabeled": s.cartons_mislabeled,
        "mislabel_rate": round(rate, 6) if rate is not None else None,
        "defects_by_code": s.defects_by_code,
        "fees_by_action": [
            {"action": action, "currency": currency, "amount": money(amount)}
            for (action, currency), amount in s.fees_by_action.items()
        ],
        "fee_totals": {currency: money(amount) for currency, amount in s.fee_totals.items()},
    }


def _mislabel(line: MislabelLine, zone: ZoneInfo, photos: Photos) -> dict[str, Any]:
    return {
        "carton_id": line.carton_id,
        "supplier_id": line.supplier_id,
        "supplier_name": line.supplier_name,
        "order_no": line.order_no,
        "tracking_no": line.tracking_no,
        "carrier": line.carrier,
        "defect_codes": list(line.codes),
        "station": line.station,
        "operator": line.operator,
        "found_at": line.found_at.isoformat(),
        "local_time": _local(line.found_at, zone),
        "action": line.action,
        "state": line.state,
        "fee": money(line.fee),
        "currency": line.currency,
        "photo_id": line.photo_sha256,
        "photo_url": photos.url(line.photo_sha256) if line.photo_sha256 else None,
    }


def _sla_json(report: SlaReport, late: Iterable[Any], delays: Iterable[Any],
              never: Iterable[Any]) -> Iterator[str]:  # fmt: skip
    head = {
        "report": "sla",
        "from": report.first.isoformat(),
        "to": report.last.isoformat(),
        "timezone": report.zone.key,
        "supplier": report.supplier_id,
        "generated_at": report.generated_at.isoformat(),
        "allowance_hours": {
            "ready_to_ship": report.hours.ready_to_ship,
            "pickup": report.hours.pickup,
            "transit": report.hours.transit,
        },
    }
    yield _JSON.encode(head)[:-1]
    for name, rows in (("late_ready_to_ship", late), ("carrier_delays", delays),
                       ("never_received", never)):  # fmt: skip
        yield f', "{name}": ['
        for i, row in enumerate(rows):
            yield ("," if i else "") + "\n" + _JSON.encode(_plain(row))
        yield "\n]"
    yield "}\n"


def _plain(row: Any) -> dict[str, Any]:
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in ((n, getattr(row, n)) for n in row.__slots__)
    }


# --- helpers -------------------------------------------------------------------------------


def _local(at: datetime | None, zone: ZoneInfo) -> str | None:
    # YYYY-MM-DD HH:MM:SS, the local wall time without its offset (the report names the zone)
    if at is None:
        return None
    return at.astimezone(zone).replace(tzinfo=None).isoformat(" ", "seconds")


def _write_text(out: BinaryIO, chunks: Iterable[str], *, bom: bool = False) -> None:
    # UTF-8 with a BOM: Excel then opens the CSV as UTF-8 (Chinese names intact).
    if bom:
        out.write("\ufeff".encode())
    for chunk in chunks:
        out.write(chunk.encode("utf-8"))


class _text:
    """A text view of a binary stream, detached (not closed) afterwards."""

    def __init__(self, out: BinaryIO) -> None:
        self._wrapper = io.TextIOWrapper(out, encoding="utf-8", newline="\n")

    def __enter__(self) -> io.TextIOWrapper:
        return self._wrapper

    def __exit__(self, *_exc: object) -> None:
        self._wrapper.flush()
        self._wrapper.detach()


def parse_day(text: str, option: str) -> date:
    """A local day given as YYYY-MM-DD; InvalidInput naming the option otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{option} must be a day as YYYY-MM-DD, not {text[:40]!r}") from None


def report_photos(settings: Settings, base_url: str | None) -> Photos:
    """Links to evidence photos under the service's URL (none without one), and thumbnails
    from the photo store for a PDF."""
    store = photo_store(settings)
    root = base_url.rstrip("/") if base_url else None

    def url(sha256: str) -> str | None:
        # Signed: the link opens in a browser or for a supplier without a token, until it expires.
        query = link_query(settings, sha256, width=THUMBNAIL_WIDTH)
        return f"{root}/photos/{sha256}?{query}" if root else None

    def thumbnail(sha256: str) -> bytes | None:
        from scanner.images import ImageRejected, thumbnail_jpeg  # only PDFs need the image stack

        for media_type in ("image/jpeg", "image/png", "image/webp"):
            try:
                return thumbnail_jpeg(store.read(sha256, media_type), width=THUMBNAIL_WIDTH)
            except NotFound:
                continue  # another type, or no bytes: the report names the photo instead
            except (InvalidInput, OSError, ImageRejected):
                return None
        return None

    return Photos(url, thumbnail)


def write_report(out: Path | None, fmt: Format, write: Callable[[BinaryIO], None]) -> None:
    """Write a report to the file (whole or not at all: under a temporary name, then renamed)
    or to standard output."""
    if out is None:
        if fmt is Format.pdf and sys.stdout.isatty():
            raise InvalidInput("a PDF goes to a file (--out FILE) or a pipe, not the terminal")
        write(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    part = out.with_name(f".{out.name}.part")
    try:
        with part.open("wb") as f:
            write(f)
        os.replace(part, out)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise InvalidInput(f"{out}: cannot write ({exc.strerror or exc})") from exc
    except BaseException:
        part.unlink(missing_ok=True)
        raise
