"""One busy local day for the mislabel report, written straight into a migrated database.

fill_day() bulk-inserts (SQLAlchemy Core, executemany in chunks, one transaction per chunk) the
suppliers, one-carton orders with their waybills, the cartons received over the local day, and
the defects and inspections of the mislabeled ones; plus a few cartons just before and just after
the day, which the day's report must not count. The same arguments always give the same rows.

Nothing goes through intake's receiving or inspection code: a million cartons that way would
take hours, and the benchmark is about reading them back.
"""

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from intake.db import create_db_engine
from intake.models import Carton, Defect, Inspection, Order, Supplier, Waybill, table_of

CHUNK = 20_000  # rows per executemany and per transaction
EDGE_CARTONS = 20  # received on each neighbouring day (a quarter mislabeled: see fill_day)
FEE_VERSION = "bench"
CURRENCY = "CNY"
# Action and fee per defect; a carton's defects share its action, as the station decides once.
ACTIONS = (("relabel", Decimal("15.00")), ("hold_return", Decimal("40.00")))
HOLD_SHARE = 0.1
STATIONS = tuple(f"DOCK-{n}" for n in range(1, 13))
OPERATORS = (
    "王芳", "李强", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周婷", "吴斌", "徐丽", "孙浩",
    "Nguyen Van An", "Maria Santos",
)  # fmt: skip
CARRIERS = ("SF", "ZTO", "YTO", "J&T")
DEFECT_DETAILS = {
    "missing_postcode": "no postal code on the label",
    "buyer_mismatch": "buyer name on the label differs from the order",
    "forbidden_qr": "QR code linking to a shop on the label",
    "forbidden_contact": "WeChat ID on the label",
    "missing_buyer_name": "no buyer name on the label",
    "postcode_mismatch": "postal code on the label differs from the order",
    "missing_address": "no address on the label",
    "forbidden_link": "URL on the label",
}
_CITIES = (
    ("深圳", "Shenzhen"), ("义乌", "Yiwu"), ("广州", "Guangzhou"), ("杭州", "Hangzhou"),
    ("东莞", "Dongguan"), ("厦门", "Xiamen"), ("宁波", "Ningbo"), ("泉州", "Quanzhou"),
    ("佛山", "Foshan"), ("苏州", "Suzhou"), ("汕头", "Shantou"),
)  # fmt: skip
_TRADES = ("电子科技", "小商品进出口", "皮具制品", "服饰", "五金制品", "茶业", "家居用品", "文具")
# Names a report must escape: a comma and quotes for CSV, markup and an ampersand for HTML.
_AWKWARD_NAMES = ('Yiwu "Happy Home" Trading, Ltd.', "A&B <Bright> Electronics Co.")
_BUYERS = (
    ("US", "Emily Johnson", "12 Maple Street Apt 4, Springfield, IL", "62701"),
    ("GB", "Oliver Smith", "221 Baker Street, Flat 2, London", "NW1 6XE"),
    ("MY", "Tan Wei Ming", "No. 8, Jalan Bukit Bintang, Kuala Lumpur", "55100"),
    ("VN", "Nguyễn Thị Hoa", "Số 5 Đường Lê Lợi, Quận 1, TP. Hồ Chí Minh", "700000"),
    ("PH", "Maria Santos", "45 Rizal Avenue, Quezon City", "1100"),
)


@dataclass(frozen=True, slots=True)
class _Carton:
    """One carton to write: its id, its serial in the day's numbering, when it came in."""

    id: int
    serial: int
    received_at: datetime  # UTC


Row = dict[str, Any]


def fill_day(
    url: str,
    *,
    day: date,
    zone: ZoneInfo,
    cartons: int,
    mislabels: int,
    suppliers: int = 200,
    seed: int = 7,
) -> None:
    """Write `cartons` cartons received on local `day`, `mislabels` of them mislabeled.

    The database must be migrated; it may already hold other days filled with another `day`
    (numbers never clash), but not the same day twice."""
    if not 0 <= mislabels <= cartons:
        raise ValueError(f"mislabels ({mislabels}) must be between 0 and cartons ({cartons})")
    rng = random.Random(f"{seed}-{day}")
    start, end = day_bounds(day, zone)
    # Serials: the day's cartons, then the neighbouring days' (the two nearest the boundary and
    # every fifth are mislabeled too, on their own days).
    chosen = set(rng.sample(range(cartons), mislabels))
    chosen |= set(range(cartons, cartons + 2 * EDGE_CARTONS, 5))
    chosen |= {cartons + EDGE_CARTONS - 1, cartons + EDGE_CARTONS}
    engine = create_db_engine(url)
    try:
        supplier_ids = _fill_suppliers(engine, suppliers)
        first_id = _next_id(engine, table_of(Carton))
        edges = _edges(first_id + cartons, cartons, start, end, rng)
        every = itertools.chain(_spread(first_id, cartons, start, end, rng), edges)
        mislabeled = _fill_cartons(engine, every, day, supplier_ids, chosen, rng)
        _fill_defects(engine, mislabeled, day, zone, rng)
        if engine.dialect.name == "postgresql":
            _advance_sequences(engine)
            _vacuum_analyze(engine)
    finally:
        engine.dispose()


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The local day as [start, end) in UTC: midnight to midnight, 23 to 25 hours with DST."""
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    return start, datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)


def _fill_suppliers(engine: Engine, count: int) -> list[str]:
    """SUP0001... with Chinese and romanised names; those already there are kept as they are."""
    table = table_of(Supplier)
    ids = [f"SUP{n:04d}" for n in range(1, count + 1)]
    with engine.begin() as connection:
        existing = set(connection.scalars(sa.select(table.c.supplier_id)))
        rows = [_supplier_row(i, sid) for i, sid in enumerate(ids) if sid not in existing]
        if rows:
            connection.execute(table.insert(), rows)
    return ids


def _supplier_row(index: int, supplier_id: str) -> Row:
    (city, pinyin), trade = _CITIES[index % len(_CITIES)], _TRADES[index // 11 % len(_TRADES)]
    if index < len(_AWKWARD_NAMES):
        name = _AWKWARD_NAMES[index]
    elif index % 3 == 2:
        name = f"{pinyin} No. {index + 1} Trading Co., Ltd."
    else:
        name = f"{city}市{trade}有限公司"
    return {"supplier_id": supplier_id, "name": name, "address": f"{city}市工业园区{index + 1}号"}


def _next_id(engine: Engine, table: sa.Table) -> int:
    # Explicit ids let defects point at their cartons without reading a million ids back.
    with engine.connect() as connection:
        return int(connection.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1


def _spread(
    first_id: int, count: int, start: datetime, end: datetime, rng: random.Random
) -> Iterator[_Carton]:
    """`count` cartons over [start, end) in time order, evenly with jitter: the first at the
    day's first instant, the last at its last microsecond (the report's interval is half-open)."""
    step = (end - start).total_seconds() / max(count, 1)
    for i in range(count):
        if i == 0:
            at = start
        elif i == count - 1:
            at = end - timedelta(microseconds=1)
        else:
            at = start + timedelta(seconds=(i + rng.random()) * step)
        yield _Carton(first_id + i, i, at)


def _edges(
    first_id: int, first_serial: int, start: datetime, end: datetime, rng: random.Random
) -> list[_Carton]:
    """Cartons of the evening before and the morning after, one on each side of each boundary."""
    hours = 6 * 3600
    before = [start - timedelta(microseconds=1)]
    before += [start - timedelta(seconds=rng.uniform(1, hours)) for _ in range(EDGE_CARTONS - 1)]
    after = [end] + [
        end + timedelta(seconds=rng.uniform(1, hours)) for _ in range(EDGE_CARTONS - 1)
    ]
    times = sorted(before) + sorted(after)
    return [_Carton(first_id + i, first_serial + i, at) for i, at in enumerate(times)]


def _fill_cartons(
    engine: Engine,
    cartons: Iterator[_Carton],
    day: date,
    supplier_ids: list[str],
    chosen: set[int],
    rng: random.Random,
) -> list[_Carton]:
    """Orders, waybills and cartons, CHUNK at a time, each chunk its own transaction; returns
    the cartons whose serial was chosen to be mislabeled."""
    orders, waybills, table = table_of(Order), table_of(Waybill), table_of(Carton)
    mislabeled: list[_Carton] = []
    while chunk := list(itertools.islice(cartons, CHUNK)):
        rows = [_carton_rows(c, day, supplier_ids, rng) for c in chunk]
        with engine.begin() as connection:
            connection.execute(orders.insert(), [r[0] for r in rows])
            connection.execute(waybills.insert(), [r[1] for r in rows])
            connection.execute(table.insert(), [r[2] for r in rows])
        mislabeled += [c for c in chunk if c.serial in chosen]
    return mislabeled


def _carton_rows(
    carton: _Carton, day: date, supplier_ids: list[str], rng: random.Random
) -> tuple[Row, Row, Row]:
    """The order, waybill and carton rows of one carton (one carton per order)."""
    order_no = order_number(day, carton.serial)
    carrier = CARRIERS[carton.serial % len(CARRIERS)]
    tracking_no = tracking_number(carrier, day, carton.serial)
    # Squared: a few big suppliers send most cartons, as at the warehouse.
    supplier_id = supplier_ids[int(len(supplier_ids) * rng.random() ** 2)]
    country, buyer, address, postcode = _BUYERS[carton.serial % len(_BUYERS)]
    ready = carton.received_at - timedelta(hours=20 + 40 * rng.random())
    order = {
        "order_no": order_no, "supplier_id": supplier_id, "buyer_name": buyer,
        "buyer_address": address, "buyer_postcode": postcode, "buyer_country": country,
        "carrier": carrier, "packages": 1, "ordered_at": ready - timedelta(hours=6),
        "ready_to_ship_at": ready, "status": "received", "received_at": carton.received_at,
    }  # fmt: skip
    waybill = {"tracking_no": tracking_no, "order_no": order_no, "carrier": carrier}
    row = {
        "id": carton.id, "code": tracking_no, "code_kind": "tracking_no", "order_no": order_no,
        "supplier_id": supplier_id, "seq": 1, "state": "received",
        "received_at": carton.received_at,
        "station": STATIONS[carton.serial % len(STATIONS)], "operator": rng.choice(OPERATORS),
        "late_ready_to_ship": False, "carrier_delay": False,
    }  # fmt: skip
    return order, waybill, row


def order_number(day: date, serial: int) -> str:
    """18 digits: the fill's day, then the serial; fills of different days never clash."""
    return f"{day:%y%m%d}{serial:012d}"


def tracking_number(carrier: str, day: date, serial: int) -> str:
    """A waybill number in the carrier's format (intake.codes), unique per day and serial."""
    digits = f"{day:%y%m%d}{serial:07d}"  # 13 digits
    if carrier == "ZTO":
        return f"75{digits[1:]}"  # 75 then 12 digits
    return {"SF": "SF", "YTO": "YT", "J&T": "JT"}[carrier] + digits


def _fill_defects(
    engine: Engine, mislabeled: list[_Carton], day: date, zone: ZoneInfo, rng: random.Random
) -> None:
    """An inspection per mislabeled carton and its 1 to 3 defects, recorded seconds later."""
    inspections, defects = table_of(Inspection), table_of(Defect)
    first_inspection, first_defect = _next_id(engine, inspections), _next_id(engine, defects)
    inspection_rows: list[Row] = []
    defect_rows: list[Row] = []
    for n, carton in enumerate(mislabeled):
        inspection = _inspection_row(first_inspection + n, carton, day, zone, rng)
        inspection_rows.append(inspection)
        defect_rows += _defect_rows(first_defect + len(defect_rows), inspection, rng)
    with engine.begin() as connection:
        _insert(connection, inspections, inspection_rows)
        _insert(connection, defects, defect_rows)


def _inspection_row(
    inspection_id: int, carton: _Carton, day: date, zone: ZoneInfo, rng: random.Random
) -> Row:
    # Seconds after the receipt, but on the carton's local day: the report counts a defect on
    # the day it was recorded, and each day's mislabels must be cartons received that day.
    at = carton.received_at + timedelta(seconds=2 + 28 * rng.random())
    _start, midnight = day_bounds(carton.received_at.astimezone(zone).date(), zone)
    if at >= midnight:
        at = carton.received_at + (midnight - carton.received_at) / 2
    order_no = order_number(day, carton.serial)
    return {
        "id": inspection_id, "carton_id": carton.id, "photo_sha256": None, "inspected_at": at,
        "station": STATIONS[carton.serial % len(STATIONS)], "operator": rng.choice(OPERATORS),
        "verdict": "relabel", "order_no": order_no, "label_order_no": order_no,
        "tracking_no": tracking_number(CARRIERS[carton.serial % len(CARRIERS)], day, carton.serial),
        "reading": {},
    }  # fmt: skip


def _defect_rows(first_id: int, inspection: Row, rng: random.Random) -> list[Row]:
    """1 to 3 different defects; one action per carton; mostly open, some resolved or waived."""
    codes = rng.sample(sorted(DEFECT_DETAILS), rng.choice((1, 1, 1, 2, 2, 3)))
    action, fee = ACTIONS[1] if rng.random() < HOLD_SHARE else ACTIONS[0]
    resolved = rng.random() < 0.15
    rows = []
    for k, code in enumerate(codes):
        state = "waived" if rng.random() < 0.04 else ("relabeled" if resolved else "open")
        if state == "relabeled" and action == "hold_return":
            state = "returned"
        done = state != "open"
        rows.append({
            "id": first_id + k, "carton_id": inspection["carton_id"], "code": code,
            "detail": DEFECT_DETAILS[code], "state": state,
            "created_at": inspection["inspected_at"], "confidence": 0.9 + 0.1 * rng.random(),
            "action": action, "fee_amount": fee, "fee_currency": CURRENCY,
            "fee_schedule_version": FEE_VERSION, "resolved_by": "bench" if done else None,
            "resolved_at": inspection["inspected_at"] + timedelta(hours=1) if done else None,
            "inspection_id": inspection["id"], "box": None,
        })  # fmt: skip
    return rows


def _advance_sequences(engine: Engine) -> None:
    # Rows written with explicit ids leave PostgreSQL's sequences behind: the service's next
    # carton, inspection or defect would take an id already used.
    with engine.begin() as connection:
        for table in ("cartons", "inspections", "defects"):
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )


def _vacuum_analyze(engine: Engine) -> None:
    # What autovacuum would do within minutes of a million inserts: done now, it neither runs
    # during the timed reports nor holds the database when the benchmark drops it.
    with engine.connect() as connection:
        autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
        for table in ("suppliers", "orders", "waybills", "cartons", "inspections", "defects"):
            autocommit.exec_driver_sql(f"VACUUM (ANALYZE) {table}")


def _insert(connection: Connection, table: sa.Table, rows: list[Row]) -> None:
    for i in range(0, len(rows), CHUNK):
        connection.execute(table.insert(), rows[i : i + CHUNK])
