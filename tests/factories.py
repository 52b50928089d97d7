"""Plain factory functions for test data: order-book rows and files."""

import codecs
import csv
import io
import itertools
import json
from pathlib import Path
from typing import Any

from intake.orderbook import COLUMNS, RawRow

_serial = itertools.count(1)


def order_row(**overrides: Any) -> dict[str, str]:
    """One valid order-book row; every field can be overridden."""
    n = next(_serial)
    row = {
        "order_no": f"5764{n:014d}",
        "supplier_id": "SUP-SZ-001",
        "supplier_name": "深圳市华强电子科技有限公司",
        "supplier_address": "广东省深圳市福田区华强北路1002号",
        "buyer_name": "Emily Johnson",
        "buyer_address": "12 Maple Street, Springfield, IL",
        "buyer_postcode": "62704",
        "buyer_country": "US",
        "carrier": "SF",
        "domestic_tracking_no": f"SF{n:013d}",
        "packages": "1",
        "ordered_at": "2026-11-20T10:00:00+08:00",
        "ready_to_ship_at": "2026-11-21T09:00:00+08:00",
    }
    row.update({k: str(v) for k, v in overrides.items()})
    return row


def write_csv(
    path: Path, rows: list[dict[str, str]], *, columns: tuple[str, ...] = COLUMNS, bom: bool = False
) -> Path:
    """An order-book CSV file with the given columns."""
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(c, "") for c in columns])
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    """An order-book JSON Lines file."""
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def count_rows(engine: Any, table: str) -> int:
    """How many rows a table holds."""
    with engine.connect() as connection:
        return int(connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())


def raw_record(*, line: int = 2, **overrides: Any) -> RawRow:
    """One valid order-book record as read from a file, before validation."""
    return RawRow(line, order_row(**overrides))


def csv_bytes(
    rows: list[dict[str, str]], *, columns: tuple[str, ...] = COLUMNS, bom: bool = False
) -> bytes:
    """The bytes of an order-book CSV file with the given columns, as an upload carries them."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    data = text.getvalue().encode("utf-8")
    return codecs.BOM_UTF8 + data if bom else data


def jsonl_bytes(rows: list[dict[str, Any]]) -> bytes:
    """The bytes of an order-book JSON Lines file."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")
