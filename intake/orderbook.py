"""Reading an order-book export (CSV or JSON Lines) and validating its rows (pure, no database)."""

import codecs
import csv
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from intake.codes import normalise
from intake.countries import ISO_ALPHA2
from intake.errors import RowProblem, has_control_characters

COLUMNS = (
    "order_no",
    "supplier_id",
    "supplier_name",
    "supplier_address",
    "buyer_name",
    "buyer_address",
    "buyer_postcode",
    "buyer_country",
    "carrier",
    "domestic_tracking_no",
    "packages",
    "ordered_at",
    "ready_to_ship_at",
)
OPTIONAL_COLUMNS = frozenset({"carrier", "domestic_tracking_no", "packages", "ready_to_ship_at"})
REQUIRED_COLUMNS = tuple(c for c in COLUMNS if c not in OPTIONAL_COLUMNS)
MAX_PACKAGES = 999
# Longest text a cell may hold, per column (the database's column sizes).
MAX_LENGTH = {
    "order_no": 32,
    "supplier_id": 64,
    "supplier_name": 200,
    "supplier_address": 500,
    "buyer_name": 200,
    "buyer_address": 500,
    "buyer_postcode": 16,
    "carrier": 32,
}
_ORDER_NO = re.compile(r"^[0-9]{6,32}$")  # ASCII: scans are narrowed to ASCII
_POSTCODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]*$")
# A tracking number that normalise() would return unchanged (letters upper-cased, no separators).
_NORMAL_TRACKING_NO = re.compile(r"[A-Z0-9]{1,40}")
# No real order has a cell this long; csv's own limit would otherwise allow 128 KiB per cell.
_MAX_CELL = 4096
# A spreadsheet runs a cell that starts with one of these as a formula (`=cmd|' /C calc'!A0`).
# In a CSV file we write, such a cell gets a leading apostrophe, which Excel and LibreOffice show
# as plain text; an order book read back (a fixed rejects file) loses that apostrophe again.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """The text as a CSV cell that a spreadsheet shows and never runs."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _as_written(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(_FORMULA_STARTS) else cell


_MAX_LINE = 64 * 1024


@dataclass(frozen=True, slots=True)
class OrderRow:
    """One valid order of the order book, ready to store."""

    line: int
    order_no: str
    supplier_id: str
    supplier_name: str
    supplier_address: str
    buyer_name: str
    buyer_address: str
    buyer_postcode: str
    buyer_country: str
    carrier: str | None
    tracking_numbers: tuple[str, ...]
    packages: int
    ordered_at: datetime
    ready_to_ship_at: datetime | None


@dataclass(frozen=True, slots=True)
class RawRow:
    """A record as read from the file: its line, its cells as text, or why it has none."""

    line: int
    cells: dict[str, str]
    problem: str | None = None  # the record is malformed as a whole (cell count, bad JSON)


class FileProblem(Exception):
    """The file itself cannot be read further (bad encoding, broken CSV, missing columns)."""

    def __init__(self, problem: RowProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def read_records(stream: IO[bytes], *, name: str = "") -> Iterator[RawRow]:
    """The records of a CSV or JSON Lines file (told apart by name or first character)."""
    lines = _decoded_lines(stream)
    first = next(lines, None)
    if first is None:
        raise FileProblem(RowProblem(1, "-", "the file is empty: a header row is expected"))
    lines = itertools.chain([first], lines)
    if name.lower().endswith((".jsonl", ".ndjson", ".json")) or first.lstrip().startswith("{"):
        yield from _read_jsonl(lines)
    else:
        yield from _read_csv(lines)


def _decoded_lines(stream: IO[bytes]) -> Iterator[str]:
    """The file's physical lines as text, so that a bad byte is reported on its own line."""
    number = 0
    while raw := stream.readline(_MAX_LINE):
        number += 1
        if len(raw) >= _MAX_LINE and not raw.endswith(b"\n"):
            raise FileProblem(RowProblem(number, "-", "line too long for an order record"))
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileProblem(RowProblem(number, "-", f"not UTF-8 text ({exc.reason})")) from exc


def _read_csv(lines: Iterator[str]) -> Iterator[RawRow]:
    csv.field_size_limit(_MAX_CELL)
    reader = csv.reader(lines)
    header = _next_csv_record(reader)
    if header is None:
        raise FileProblem(RowProblem(1, "-", "the file is empty: a header row is expected"))
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise FileProblem(RowProblem(1, ",".join(missing), "missing column(s) in the header"))
    while (record := _next_csv_record(reader)) is not None:
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(names):
            yield RawRow(reader.line_num, {}, f"{len(record)} cells, header has {len(names)}")
            continue
        cells = (_as_written(cell) for cell in record)
        yield RawRow(reader.line_num, dict(zip(names, cells, strict=True)))


def _next_csv_record(reader: Any) -> list[str] | None:  # csv.reader's type is private
    try:
        record: list[str] = next(reader)
        return record
    except StopIteration:
        return None
    except csv.Error as exc:
        raise FileProblem(RowProblem(reader.line_num, "-", f"broken CSV: {exc}")) from exc


def _read_jsonl(lines: Iterator[str]) -> Iterator[RawRow]:
    for number, raw in enumerate(lines, start=1):
        if raw.strip():
            yield _jsonl_record(number, raw)


def _jsonl_record(line: int, raw: str) -> RawRow:
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        return RawRow(line, {}, f"not valid JSON ({exc.msg})")
    if not isinstance(obj, dict):
        return RawRow(line, {}, "a JSON object is expected on each line")
    cells: dict[str, str] = {}
    for key, value in obj.items():
        if isinstance(value, dict | list):
            return RawRow(line, {}, f"{key}: a plain value is expected")
        cells[str(key).lower()] = "" if value is None else str(value)
    return RawRow(line, cells)


def validate(record: RawRow) -> tuple[OrderRow | None, list[RowProblem]]:
    """An OrderRow, or every problem of the record with its column."""
    if record.problem is not None:
        return None, [RowProblem(record.line, "-", record.problem)]
    problems: list[RowProblem] = []
    cell = _Cells(record, problems)
    order_no = cell.text("order_no")
    if order_no and not _ORDER_NO.match(order_no):
        cell.problem("order_no", f"{order_no!r} is not an order number (6 to 32 digits)")
    values = {
        c: cell.text(c)
        for c in (
            "supplier_id",
            "supplier_name",
            "supplier_address",
            "buyer_name",
            "buyer_address",
            "buyer_postcode",
        )
    }
    if values["buyer_postcode"] and not _POSTCODE.match(values["buyer_postcode"]):
        cell.problem("buyer_postcode", f"{values['buyer_postcode']!r} is not a postal code")
    country = cell.text("buyer_country").upper()
    if country and country not in ISO_ALPHA2:
        cell.problem("buyer_country", f"unknown country {country!r} (ISO 3166 alpha-2 expected)")
    packages = cell.packages()
    ordered_at = cell.timestamp("ordered_at", required=True)
    ready_at = cell.timestamp("ready_to_ship_at", required=False)
    if ordered_at and ready_at and ready_at < ordered_at:
        cell.problem("ready_to_ship_at", "ready to ship before the order was placed")
    tracking = cell.tracking_numbers(packages)
    carrier = cell.optional("carrier")
    if problems:
        return None, problems
    assert ordered_at is not None and packages is not None
    return OrderRow(
        line=record.line,
        order_no=order_no,
        buyer_country=country,
        carrier=carrier,
        tracking_numbers=tracking,
        packages=packages,
        ordered_at=ordered_at,
        ready_to_ship_at=ready_at,
        **values,
    ), problems


class _Cells:
    """Reads one record's cells, collecting a problem per bad cell."""

    def __init__(self, record: RawRow, problems: list[RowProblem]) -> None:
        self.record = record
        self.problems = problems

    def problem(self, column: str, reason: str) -> None:
        self.problems.append(RowProblem(self.record.line, column, reason))

    def optional(self, column: str) -> str | None:
        value = self.record.cells.get(column, "").strip()
        limit = MAX_LENGTH.get(column, _MAX_CELL)
        if len(value) > limit:
            self.problem(column, f"too long ({len(value)} characters, at most {limit})")
        elif has_control_characters(value):
            self.problem(column, "contains control characters")
        return value or None

    def text(self, column: str) -> str:
        value = self.optional(column)
        if value is None:
            self.problem(column, "empty")
            return ""
        return value

    def packages(self) -> int | None:
        value = self.record.cells.get("packages", "").strip()
        if not value:
            return 1
        try:
            count = int(value)
        except ValueError:
            self.problem("packages", f"{value[:20]!r} is not a whole number")
            return None
        if not 1 <= count <= MAX_PACKAGES:
            self.problem("packages", f"{count} packages: 1 to {MAX_PACKAGES} expected")
            return None
        return count

    def timestamp(self, column: str, *, required: bool) -> datetime | None:
        value = self.record.cells.get(column, "").strip()
        if not value:
            if required:
                self.problem(column, "empty")
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.problem(column, f"{value[:40]!r} is not an ISO 8601 timestamp")
            return None
        if parsed.tzinfo is None:
            self.problem(column, f"{value[:40]!r} has no UTC offset (e.g. +08:00)")
            return None
        return parsed

    def tracking_numbers(self, packages: int | None) -> tuple[str, ...]:
        value = self.record.cells.get("domestic_tracking_no", "")
        numbers: list[str] = []
        for part in value.split(";"):
            if not part.strip():
                continue
            code: str | None = part
            problem = None
            if not _NORMAL_TRACKING_NO.fullmatch(part):  # the usual case needs no normalising
                scanned = normalise(part)
                code, problem = scanned.code, scanned.problem
            if code is None or len(code) > 40:
                self.problem(
                    "domestic_tracking_no", f"{part.strip()[:40]!r}: {problem or 'longer than 40'}"
                )
            elif code in numbers:
                self.problem("domestic_tracking_no", f"{code} listed twice")
            else:
                numbers.append(code)
        if packages is not None and len(numbers) > packages:  # None: already a problem
            self.problem(
                "domestic_tracking_no", f"{len(numbers)} tracking numbers for {packages} package(s)"
            )
        return tuple(numbers)
