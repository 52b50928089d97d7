"""Mislabel defects: priced by the schedule in force when found, closed with who and when."""

import json
from decimal import Decimal
from pathlib import Path

from sqlalchemy.engine import Engine

from intake import db
from intake.defects import DefectCode
from intake.fees import load_fee_schedule, parse_fee_schedule
from intake.labelrules import Defect as FoundDefect
from intake.mislabels import record_defects
from tests.conftest import Cli
from tests.factories import order_row, write_csv


def _received_carton(cli: Cli, tmp_path: Path) -> tuple[int, str]:
    row = order_row()
    cli("orders", "import", str(write_csv(tmp_path / "b.csv", [row])))
    decision = json.loads(
        cli(
            "scan", row["domestic_tracking_no"], "--station", "D1", "--operator", "li", "--json"
        ).stdout
    )
    return int(decision["carton_id"]), row["order_no"]


def _found(*codes: DefectCode) -> list[FoundDefect]:
    return [FoundDefect(code, f"{code} seen on the label", None, 0.95) for code in codes]


def _record(
    engine: Engine, carton_id: int, codes: list[FoundDefect], schedule=None, known: bool = True
) -> list[int]:
    with db.session_scope(engine) as session:
        rows = record_defects(
            session,
            carton_id=carton_id,
            found=codes,
            schedule=schedule or load_fee_schedule(),
            consignee_known=known,
        )
        return [int(r.id) for r in rows if r.id is not None]


def test_defects_are_priced_and_shown_with_the_order(
    cli: Cli, tmp_path: Path, engine: Engine
) -> None:
    carton_id, order_no = _received_carton(cli, tmp_path)

    _record(engine, carton_id, _found(DefectCode.missing_postcode, DefectCode.forbidden_qr))

    shown = json.loads(cli("orders", "show", order_no, "--json").stdout)
    priced = [
        (d["code"], d["action"], Decimal(d["fee_amount"]), d["fee_currency"], d["state"])
        for d in shown["defects"]
    ]
    assert priced == [
        ("missing_postcode", "relabel", Decimal("15.00"), "CNY", "open"),
        ("forbidden_qr", "relabel", Decimal("12.50"), "CNY", "open"),
    ]
    assert sum(p[2] for p in priced) == Decimal("27.50")


def test_a_schedule_change_applies_to_new_defects_only(
    cli: Cli, tmp_path: Path, engine: Engine
) -> None:
    carton_id, order_no = _received_carton(cli, tmp_path)
    _record(engine, carton_id, _found(DefectCode.missing_postcode))
    default = (Path(__file__).parents[2] / "intake" / "data" / "fee_schedule.toml").read_text()
    dearer = default.replace('version = "2026-01"', 'version = "2026-12"').replace(
        'missing_postcode     = { known = { action = "relabel", fee = "15.00" }',
        'missing_postcode     = { known = { action = "relabel", fee = "18.40" }',
    )
    _record(
        engine,
        carton_id,
        _found(DefectCode.missing_postcode),
        schedule=parse_fee_schedule(dearer.encode(), source="dearer.toml"),
    )

    shown = json.loads(cli("orders", "show", order_no, "--json").stdout)

    fees = [(Decimal(d["fee_amount"]), d["fee_schedule_version"]) for d in shown["defects"]]
    assert fees == [(Decimal("15.00"), "2026-01"), (Decimal("18.40"), "2026-12")]


def test_resolve_records_who_and_when(cli: Cli, tmp_path: Path, engine: Engine) -> None:
    carton_id, _ = _received_carton(cli, tmp_path)
    [relabel] = _record(engine, carton_id, _found(DefectCode.buyer_mismatch))
    [held] = _record(engine, carton_id, _found(DefectCode.unknown_order), known=False)

    done = cli("mislabels", "resolve", str(relabel), "--as", "relabeled", "--by", "wang", "--json")
    returned = cli("mislabels", "resolve", str(held), "--as", "returned", "--by", "zhao")

    assert done.exit_code == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["state"], data["resolved_by"]) == ("relabeled", "wang")
    assert data["resolved_at"] is not None
    assert returned.exit_code == 0, returned.stderr
    assert "returned by zhao" in returned.stdout and "hold_return CNY 30.00" in returned.stdout


def test_bad_resolutions_are_refused_and_change_nothing(
    cli: Cli, tmp_path: Path, engine: Engine
) -> None:
    carton_id, order_no = _received_carton(cli, tmp_path)
    [relabel] = _record(engine, carton_id, _found(DefectCode.missing_supplier))
    [held] = _record(engine, carton_id, _found(DefectCode.no_label), known=False)
    cli("mislabels", "resolve", str(relabel), "--as", "waived", "--by", "boss")

    cases = {
        ("999999", "relabeled", "li"): "error: no mislabel defect 999999",
        (str(relabel), "relabeled", "li"): f"error: defect {relabel} is already waived (by boss",
        (str(held), "relabeled", "li"): "it can be closed as disposed, returned, waived",
        (str(held), "fixed", "li"): "error: 'fixed' is no resolution",
        (str(held), "returned", " "): "error: who resolved it is empty",
    }
    for (defect_id, resolution, by), expected in cases.items():
        result = cli("mislabels", "resolve", defect_id, "--as", resolution, "--by", by)
        assert result.exit_code == 2, (defect_id, resolution)
        assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr

    states = {
        d["id"]: (d["state"], d["resolved_by"])
        for d in json.loads(cli("orders", "show", order_no, "--json").stdout)["defects"]
    }
    assert states == {relabel: ("waived", "boss"), held: ("open", None)}
