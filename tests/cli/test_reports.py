"""`intake report mislabels` and `intake report sla`: totals checked against an independent count
over the raw rows of a generated day (many suppliers, defects, resolutions, a fee-schedule
change), local days in the warehouse's time zone, and bad input refused in one line."""

import csv
import io
import json
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from intake import db
from intake.fees import FeeSchedule, load_fee_schedule, money
from intake.labelrules import Defect as FoundDefect
from intake.labelrules import DefectCode
from intake.mislabels import record_defects, resolve_defect
from intake.models import Inspection
from intake.receiving import receive_scan
from intake.reports import mislabel_report
from intake.settings import Settings, rules_from
from tests.conftest import Cli
from tests.factories import order_row, write_csv

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 20)
CODES = [
    DefectCode.missing_postcode,
    DefectCode.buyer_mismatch,
    DefectCode.forbidden_qr,
    DefectCode.forbidden_contact,
    DefectCode.missing_buyer_name,
    DefectCode.postcode_mismatch,
]


def _schedule(tmp_path: Path, version: str, relabel_fee: str) -> FeeSchedule:
    """The shipped schedule with another version and relabel fees (a schedule change)."""
    text = (Path(__file__).parents[2] / "intake" / "data" / "fee_schedule.toml").read_text()
    text = text.replace('version = "2026-01"', f'version = "{version}"')
    text = text.replace('fee = "15.00"', f'fee = "{relabel_fee}"')
    path = tmp_path / f"fees-{version}.toml"
    path.write_text(text)
    return load_fee_schedule(path)


@dataclass
class Day:
    """What was generated: the local day and its UTC bounds."""

    day: date
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime(self.day.year, self.day.month, self.day.day, tzinfo=self.zone).astimezone(
            UTC
        )

    @property
    def end(self) -> datetime:
        nxt = self.day + timedelta(days=1)
        return datetime(nxt.year, nxt.month, nxt.day, tzinfo=self.zone).astimezone(UTC)


def _generate(
    cli: Cli, tmp_path: Path, engine: Engine, day: Day, seed: int = 11
) -> list[dict[str, str]]:
    """A day of intake: 8 suppliers, 160 orders, cartons received from an hour before the day
    to an hour after it, defects on a third of them priced by two schedules, some resolved,
    a few held cartons of unknown orders, one held duplicate under another carton's label."""
    rng = random.Random(seed)
    rows = []
    for i in range(160):
        supplier = i % 8
        rows.append(order_row(supplier_id=f"SUP{supplier:03d}", supplier_name=f"供应商{supplier}号",
                              packages=str(1 + (i % 5 == 0))))  # fmt: skip
    assert cli("orders", "import", str(write_csv(tmp_path / "day.csv", rows))).exit_code == 0
    old, new = _schedule(tmp_path, "2026-01", "15.00"), _schedule(tmp_path, "2026-11", "18.00")
    rules = rules_from(Settings(timezone=day.zone.key))
    span = (day.end - day.start) + timedelta(hours=2)
    change_at = day.start + span / 2 - timedelta(hours=1)
    for n, row in enumerate(rows):
        at = day.start - timedelta(hours=1) + span * rng.random()
        if n == 0:
            at = day.end - timedelta(seconds=30)  # 23:59:30 local: still this day
        if n == 1:
            at = day.end + timedelta(seconds=30)  # 00:00:30 local: the next day
        with db.session_scope(engine) as session:
            decision = receive_scan(session, raw_code=row["domestic_tracking_no"],
                                    station=f"DOCK-{n % 4}", operator=f"op{n % 3}", rules=rules,
                                    now=at)  # fmt: skip
            if rng.random() < 0.35:
                found = [
                    FoundDefect(code, "seen", None, 1.0 if rng.random() < 0.9 else 0.3)
                    for code in rng.sample(CODES, rng.randint(1, 3))
                ]
                defects = record_defects(
                    session,
                    carton_id=decision.carton_id or 0,
                    found=found,
                    schedule=old if at < change_at else new,
                    consignee_known=True,
                    at=at + timedelta(seconds=5),
                )
                for d in defects:
                    if d.action == "review":
                        continue
                    pick = rng.random()
                    if pick < 0.2:
                        resolve_defect(
                            session, defect_id=d.id or 0, resolution="waived", by="billing"
                        )
                    elif pick < 0.5:
                        resolve_defect(
                            session, defect_id=d.id or 0, resolution="relabeled", by="dock"
                        )
    for k in range(5):  # cartons of orders nobody knows: held, fees charged to no supplier
        at = day.start + timedelta(hours=3 + k)
        with db.session_scope(engine) as session:
            decision = receive_scan(session, raw_code=f"SF99900000{k:04d}", station="DOCK-9",
                                    operator="op9", rules=rules, now=at)  # fmt: skip
            unknown = [FoundDefect(DefectCode.unknown_order, "no such order", None, 1.0)]
            record_defects(session, carton_id=decision.carton_id or 0, found=unknown, schedule=new,
                           consignee_known=False, at=at)  # fmt: skip
    # A second carton under a copy of order 3's label: held without an order of its own, its
    # inspection names the order, so its duplicate fee is the order's supplier's.
    at = day.start + timedelta(hours=12)
    with db.session_scope(engine) as session:
        decision = receive_scan(session, raw_code="YT8888888888888", station="DOCK-2",
                                operator="op2", rules=rules, now=at)  # fmt: skip
        inspection = Inspection(carton_id=decision.carton_id or 0, inspected_at=at,
                                station="DOCK-2", operator="op2", verdict="hold",
                                order_no=rows[3]["order_no"], reading={})  # fmt: skip
        session.add(inspection)
        session.flush()
        record_defects(session, carton_id=decision.carton_id or 0, schedule=new,
                       found=[FoundDefect(DefectCode.duplicate, "label seen", None, 1.0)],
                       consignee_known=True, at=at, inspection_id=inspection.id)  # fmt: skip
    return rows


def _independent_count(engine: Engine, day: Day) -> dict[str | None, dict[str, object]]:
    """Per supplier, from the raw tables in plain SQL and Python: what the report must say."""
    with engine.connect() as c:
        orders = dict(c.execute(sa.text("SELECT order_no, supplier_id FROM orders")).all())
        inspected = dict(c.execute(sa.text("SELECT carton_id, order_no FROM inspections")).all())
        cartons = c.execute(sa.text("SELECT id, order_no, received_at FROM cartons")).all()
        defects = c.execute(sa.text(
            "SELECT carton_id, code, state, action, fee_amount, fee_currency, created_at "
            "FROM defects")).all()  # fmt: skip

    def utc(value: object) -> datetime:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)

    def supplier_of(carton_id: int, order_no: str | None) -> str | None:
        order = order_no or inspected.get(carton_id)
        return orders.get(order) if order else None

    carton_order = {cid: order_no for cid, order_no, _at in cartons}
    figures: dict[str | None, dict[str, object]] = defaultdict(
        lambda: {
            "received": 0,
            "mislabeled": set(),
            "codes": Counter(),
            "fees": defaultdict(Decimal),
        }
    )
    for cid, order_no, at in cartons:
        if day.start <= utc(at) < day.end:
            figures[supplier_of(cid, order_no)]["received"] += 1  # type: ignore[operator]
    for cid, code, state, action, amount, currency, at in defects:
        if not day.start <= utc(at) < day.end:
            continue
        f = figures[supplier_of(cid, carton_order[cid])]
        f["mislabeled"].add(cid)  # type: ignore[attr-defined]
        f["codes"][code] += 1  # type: ignore[index]
        owed = Decimal(0) if state == "waived" else Decimal(str(amount)).quantize(Decimal("0.001"))
        f["fees"][(action, currency)] += owed  # type: ignore[index]
    return figures


def _report(cli: Cli, *args: str) -> str:
    result = cli("report", "mislabels", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_the_report_agrees_with_an_independent_count_of_the_raw_rows(
    cli: Cli, tmp_path: Path, engine: Engine
) -> None:
    day = Day(DAY, SHANGHAI)
    rows = _generate(cli, tmp_path, engine, day)
    # An import moves two received orders to another supplier: their cartons follow them.
    moved = [dict(rows[n], supplier_id="SUP007", supplier_name="供应商7号") for n in (2, 4)]
    assert cli("orders", "import", str(write_csv(tmp_path / "moved.csv", moved))).exit_code == 0
    expected = _independent_count(engine, day)

    report = json.loads(_report(cli, "--date", str(DAY), "--format", "json"))
    csv_text = _report(cli, "--date", str(DAY), "--format", "csv")

    suppliers = {s["supplier_id"]: s for s in report["suppliers"]}
    assert set(suppliers) == set(expected)
    for supplier, want in expected.items():
        got = suppliers[supplier]
        assert got["cartons_received"] == want["received"], supplier
        assert got["cartons_mislabeled"] == len(want["mislabeled"]), supplier  # type: ignore[arg-type]
        assert got["defects_by_code"] == dict(want["codes"]), supplier  # type: ignore[call-overload]
        fees = {(f["action"], f["currency"]): Decimal(f["amount"]) for f in got["fees_by_action"]}
        assert fees == {k: v for k, v in want["fees"].items()}, supplier  # type: ignore[attr-defined]
    # The rows: one per mislabeled carton; their fees add up to the totals.
    rows = list(csv.DictReader(io.StringIO(csv_text.removeprefix("\ufeff"))))
    assert len(rows) == report["totals"]["cartons_mislabeled"] == len(report["mislabels"])
    by_currency: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        by_currency[row["currency"]] += Decimal(row["fee"])
    assert {k: Decimal(v) for k, v in report["totals"]["fee_totals"].items()} == by_currency
    # Two schedules priced the day (the count above used each defect's own stored fee).
    with engine.connect() as c:
        priced = c.execute(
            sa.text(
                "SELECT DISTINCT fee_schedule_version, fee_amount FROM defects "
                "WHERE code = 'missing_postcode' AND action = 'relabel'"
            )
        ).all()
    assert {(v, Decimal(str(a)).normalize()) for v, a in priced} == {
        ("2026-01", Decimal("15")),
        ("2026-11", Decimal("18")),
    }
    # The carton received at 23:59:30 local is in the day, the one at 00:00:30 is not.
    assert report["totals"]["cartons_received"] == sum(w["received"] for w in expected.values())  # type: ignore[misc]
    assert None in suppliers and suppliers[None]["defects_by_code"] == {"unknown_order": 5}
    # HTML and PDF add the defects up in a query of their own (JSON from the rows it writes):
    # the same figures.
    with Session(engine) as session:
        counted = mislabel_report(session, day=DAY, zone=SHANGHAI)
    assert [
        (s.supplier_id, s.cartons_received, s.cartons_mislabeled, s.defects_by_code,
         {f"{a}/{c}": money(v) for (a, c), v in s.fees_by_action.items()})
        for s in counted.summaries
    ] == [
        (s["supplier_id"], s["cartons_received"], s["cartons_mislabeled"], s["defects_by_code"],
         {f"{f['action']}/{f['currency']}": f["amount"] for f in s["fees_by_action"]})
        for s in report["suppliers"]
    ]  # fmt: skip


def test_csv_has_stable_columns_a_bom_and_neutralised_formulas(
    cli: Cli, tmp_path: Path, engine: Engine
) -> None:
    day = Day(DAY, SHANGHAI)
    _generate(cli, tmp_path, engine, day, seed=3)
    with engine.begin() as c:  # a hostile operator name, as a keyboard-wedge scanner could type
        c.execute(sa.text("UPDATE cartons SET operator = '=HYPERLINK(\"http://x\")'"))
    raw = cli.process("report", "mislabels", "--date", str(DAY), "--format", "csv",
                      "--out", str(tmp_path / "day.csv"))  # fmt: skip
    assert raw.exit_code == 0, raw.stderr
    data = (tmp_path / "day.csv").read_bytes()

    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "date,supplier_id,supplier_name,order_no,tracking_no,carrier,defect_codes,"
        "station,operator,local_time,action,state,fee,currency,photo_id,photo_url"
    )
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows and all(r["operator"].startswith("'=") for r in rows)
    assert any(r["supplier_name"].startswith("供应商") for r in rows)


def test_a_day_is_the_local_day_across_daylight_saving(
    cli: Cli, tmp_path: Path, engine: Engine
) -> None:
    # 2026-03-29 in Berlin has 23 hours (clocks go from 02:00 to 03:00).
    berlin = ZoneInfo("Europe/Berlin")
    day = Day(date(2026, 3, 29), berlin)
    assert day.end - day.start == timedelta(hours=23)
    _generate(cli, tmp_path, engine, day, seed=5)
    expected = _independent_count(engine, day)
    cli.env["INTAKE_TIMEZONE"] = "Europe/Berlin"

    report = json.loads(_report(cli, "--date", "2026-03-29", "--format", "json"))

    assert report["timezone"] == "Europe/Berlin"
    assert report["totals"]["cartons_received"] == sum(w["received"] for w in expected.values())  # type: ignore[misc]
    # In UTC+8 the same instants fall on other days: the zone really decides.
    cli.env["INTAKE_TIMEZONE"] = "Asia/Shanghai"
    shanghai = json.loads(_report(cli, "--date", "2026-03-29", "--format", "json"))
    assert shanghai["totals"]["cartons_received"] != report["totals"]["cartons_received"]


def test_an_empty_day_is_a_report_that_says_so(cli: Cli) -> None:
    report = json.loads(_report(cli, "--date", "2026-01-01", "--format", "json"))
    csv_text = _report(cli, "--date", "2026-01-01", "--format", "csv")

    assert report["empty"] is True and report["mislabels"] == [] and report["suppliers"] == []
    assert csv_text.removeprefix("\ufeff").splitlines() == [
        csv_text.removeprefix("\ufeff").splitlines()[0]
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--date", "2026-13-01"), "--date must be a day as YYYY-MM-DD, not '2026-13-01'"),
        (("--date", "yesterday"), "--date must be a day as YYYY-MM-DD, not 'yesterday'"),
        (("--date", "2026-11-20", "--supplier", "NOPE"), "no supplier 'NOPE' in the order book"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli: Cli, args: tuple[str, ...], message: str) -> None:
    result = cli.process("report", "mislabels", *args)
    assert result.exit_code == 2, result.stdout
    assert result.stderr.strip() == f"error: {message}"


def test_a_bad_format_or_an_unwritable_file_is_one_line_and_exit_2(
    cli: Cli, tmp_path: Path
) -> None:
    bad_format = cli.process("report", "mislabels", "--date", "2026-11-20", "--format", "xls")
    unwritable = cli.process("report", "mislabels", "--date", "2026-11-20",
                             "--out", str(tmp_path / "no" / "such" / "dir" / "r.csv"))  # fmt: skip
    for result in (bad_format, unwritable):
        assert result.exit_code == 2
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "xls" in bad_format.stderr
    assert "cannot write" in unwritable.stderr
    assert not list((tmp_path).glob("**/.r.csv.part"))


def test_sla_report_lists_late_delayed_and_missing_orders(
    cli: Cli, tmp_path: Path, engine: Engine
) -> None:
    ordered = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
    late = order_row(
        ordered_at=ordered.isoformat(), ready_to_ship_at=(ordered + timedelta(hours=80)).isoformat()
    )
    delayed = order_row(
        ordered_at=ordered.isoformat(), ready_to_ship_at=(ordered + timedelta(hours=10)).isoformat()
    )
    missing = order_row(
        ordered_at=ordered.isoformat(), ready_to_ship_at=(ordered + timedelta(hours=20)).isoformat()
    )
    on_time = order_row(
        ordered_at=ordered.isoformat(), ready_to_ship_at=(ordered + timedelta(hours=5)).isoformat()
    )
    assert (
        cli(
            "orders",
            "import",
            str(write_csv(tmp_path / "o.csv", [late, delayed, missing, on_time])),
        ).exit_code
        == 0
    )
    rules = rules_from(Settings())
    with db.session_scope(engine) as session:
        # Ready at +10 h; pickup 48 h + transit 72 h: due by +130 h; received at +140 h.
        receive_scan(session, raw_code=delayed["domestic_tracking_no"], station="D1", operator="o",
                     rules=rules, now=ordered + timedelta(hours=140))  # fmt: skip
        receive_scan(session, raw_code=on_time["domestic_tracking_no"], station="D1", operator="o",
                     rules=rules, now=ordered + timedelta(hours=30))  # fmt: skip
        receive_scan(session, raw_code=late["domestic_tracking_no"], station="D1", operator="o",
                     rules=rules, now=ordered + timedelta(hours=100))  # fmt: skip

    result = cli("report", "sla", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)

    assert [o["order_no"] for o in report["late_ready_to_ship"]] == [late["order_no"]]
    assert report["late_ready_to_ship"][0]["hours_late"] == 8.0
    assert [c["order_no"] for c in report["carrier_delays"]] == [delayed["order_no"]]
    assert report["carrier_delays"][0]["hours_over"] == 10.0
    assert report["carrier_delays"][0]["tracking_no"] == delayed["domestic_tracking_no"]
    assert [o["order_no"] for o in report["never_received"]] == [missing["order_no"]]
    bad = cli.process("report", "sla", "--from", "2026-11-30", "--to", "2026-11-01")
    assert (
        bad.exit_code == 2
        and bad.stderr.strip()
        == "error: the period ends (2026-11-01) before it starts (2026-11-30)"
    )


def test_one_file_per_supplier_holds_only_its_own_orders(
    cli: Cli, tmp_path: Path, engine: Engine
) -> None:
    day = Day(DAY, SHANGHAI)
    _generate(cli, tmp_path, engine, day, seed=8)
    with engine.connect() as c:
        supplier_of = dict(c.execute(sa.text("SELECT order_no, supplier_id FROM orders")).all())
    out = tmp_path / "to-suppliers"

    result = cli("report", "mislabels", "--date", str(DAY), "--format", "csv",
                 "--per-supplier", "--out", str(out))  # fmt: skip

    assert result.exit_code == 0, result.stderr
    files = sorted(out.iterdir())
    assert [f.name for f in files] == [f"mislabels-{DAY}-SUP{i:03d}.csv" for i in range(8)]
    for f in files:
        supplier = f.stem.rsplit("-", 1)[1]
        rows = list(csv.DictReader(io.StringIO(f.read_text(encoding="utf-8-sig"))))
        assert {r["supplier_id"] for r in rows} <= {supplier}
        assert all(supplier_of[r["order_no"]] == supplier for r in rows)
    # Cartons of unknown orders go to no supplier.
    assert not any("SF999" in f.read_text(encoding="utf-8-sig") for f in files)
