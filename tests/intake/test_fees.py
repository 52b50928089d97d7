"""The fee schedule: the shipped default, charges, Decimal exactness, and every bad file refused."""

from decimal import Decimal
from pathlib import Path

import pytest

from intake.defects import DefectCode
from intake.errors import InvalidInput
from intake.fees import Action, Charge, load_fee_schedule, parse_fee_schedule

ALL_CODES = [code.value for code in DefectCode]


def schedule_text(
    *,
    head: str = 'version = "2026-02"\ncurrency = "CNY"\n',
    known: str = '{ action = "relabel", fee = "15.00" }',
    unknown: str = '{ action = "hold_return", fee = "30.00" }',
    codes: list[str] | None = None,
    extra: str = "",
) -> str:
    """A complete fee schedule, every entry alike unless overridden."""
    lines = [head, "[defects]"]
    for code in ALL_CODES if codes is None else codes:
        lines.append(f"{code} = {{ known = {known}, unknown = {unknown} }}")
    return "\n".join(lines) + "\n" + extra


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fees.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str) -> str:
    """The message of the InvalidInput a schedule file is refused with; it names the file."""
    path = write(tmp_path, text)
    with pytest.raises(InvalidInput) as info:
        load_fee_schedule(path)
    message = str(info.value)
    assert str(path) in message
    return message


def test_default_schedule_loads_and_covers_every_code() -> None:
    schedule = load_fee_schedule(None)

    assert schedule.currency == "CNY"
    assert schedule.version
    for code in DefectCode:
        assert schedule.charge(code, consignee_known=True).action is Action.relabel
        unknown = schedule.charge(code, consignee_known=False)
        assert unknown.action in (Action.hold_return, Action.hold_disposal)
        assert unknown.amount > 0


def test_default_charges_relabel_when_known_and_hold_when_unknown() -> None:
    schedule = load_fee_schedule()

    assert schedule.charge("missing_postcode", consignee_known=True) == Charge(
        Action.relabel, Decimal("15.00"), "CNY", schedule.version
    )
    assert schedule.charge(DefectCode.no_label, consignee_known=False) == Charge(
        Action.hold_return, Decimal("30.00"), "CNY", schedule.version
    )


def test_a_file_schedule_with_every_action(tmp_path: Path) -> None:
    text = schedule_text(codes=[c for c in ALL_CODES if c not in ("duplicate", "forbidden_qr")])
    text += (
        'duplicate = { known = { action = "release", fee = 0 }, '
        'unknown = { action = "hold_disposal", fee = "45" } }\n'
        'forbidden_qr = { known = { action = "hold_return", fee = "7.5" }, '
        'unknown = { action = "hold_return", fee = 12 } }\n'
    )
    schedule = load_fee_schedule(write(tmp_path, text))

    assert schedule.charge("duplicate", consignee_known=True) == Charge(
        Action.release, Decimal("0"), "CNY", "2026-02"
    )
    assert schedule.charge("duplicate", consignee_known=False).action is Action.hold_disposal
    assert schedule.charge("forbidden_qr", consignee_known=True).amount == Decimal("7.5")
    assert schedule.charge("forbidden_qr", consignee_known=False).amount == Decimal("12")


def test_amounts_are_exact_decimals(tmp_path: Path) -> None:
    text = schedule_text(codes=[c for c in ALL_CODES if c not in ("no_label", "unreadable")])
    text += (
        'no_label = { known = { action = "relabel", fee = "0.10" }, '
        'unknown = { action = "hold_return", fee = "1" } }\n'
        'unreadable = { known = { action = "relabel", fee = "0.20" }, '
        'unknown = { action = "hold_return", fee = "1" } }\n'
    )
    schedule = load_fee_schedule(write(tmp_path, text))
    a = schedule.charge("no_label", consignee_known=True).amount
    b = schedule.charge("unreadable", consignee_known=True).amount

    assert isinstance(a, Decimal)
    assert a + b == Decimal("0.30")
    assert str(a) == "0.10"


def test_each_charge_records_the_version_that_priced_it(tmp_path: Path) -> None:
    old = load_fee_schedule(write(tmp_path, schedule_text()))
    new_text = schedule_text(head='version = "2026-03"\ncurrency = "CNY"\n',
                             known='{ action = "relabel", fee = "18.00" }')  # fmt: skip
    charged_before = old.charge("missing_address", consignee_known=True)
    new = load_fee_schedule(write(tmp_path, new_text))

    assert charged_before == Charge(Action.relabel, Decimal("15.00"), "CNY", "2026-02")
    assert new.charge("missing_address", consignee_known=True).schedule_version == "2026-03"


def test_effective_date_is_read(tmp_path: Path) -> None:
    head = 'version = "v2"\neffective = 2026-03-01\ncurrency = "USD"\n'
    schedule = load_fee_schedule(write(tmp_path, schedule_text(head=head)))

    assert str(schedule.effective) == "2026-03-01"
    assert schedule.charge("duplicate", consignee_known=True).currency == "USD"


def test_zero_decimal_currency(tmp_path: Path) -> None:
    head = 'version = "v"\ncurrency = "JPY"\n'
    known = '{ action = "relabel", fee = "300" }'
    unknown = known.replace("relabel", "hold_return")
    text = schedule_text(head=head, known=known, unknown=unknown)
    schedule = load_fee_schedule(write(tmp_path, text))
    assert schedule.charge("no_label", consignee_known=True).amount == Decimal("300")


def test_unknown_code_asked_for(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown defect code 'bogus'"):
        load_fee_schedule().charge("bogus", consignee_known=True)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("version = ", "not valid TOML"),
        (schedule_text(head='currency = "CNY"\n'), "version: missing"),
        (schedule_text(head='version = ""\ncurrency = "CNY"\n'), "version: a non-empty string"),
        (schedule_text(head='version = "v"\n'), "currency: missing"),
        (schedule_text(head='version = "v"\ncurrency = "RMB"\n'), "currency: 'RMB' is not an ISO"),
        (schedule_text(head='version = "v"\ncurrency = "cny"\n'), "currency: 'cny' is not an ISO"),
        (schedule_text(head='version = "v"\ncurrency = 156\n'), "currency: 156 is not an ISO"),
        (
            schedule_text(head='version = "v"\ncurency = "CNY"\ncurrency = "CNY"\n'),
            "curency: unknown key (did you mean 'currency'?)",
        ),
        (
            schedule_text(head='version = "v"\ncurrency = "CNY"\neffective = "soon"\n'),
            "effective: 'soon' is not a date",
        ),
        ('version = "v"\ncurrency = "CNY"\n', "defects: missing"),
        ('version = "v"\ncurrency = "CNY"\ndefects = 3\n', "defects: a table expected, not int"),
        (schedule_text(codes=ALL_CODES[1:]), "defects: no entry for no_label"),
        (
            schedule_text(extra='bogus_code = { known = { action = "relabel", fee = "1" } }\n'),
            "defects.bogus_code: unknown key",
        ),
        (
            schedule_text(
                extra='missing_postcod = { known = { action = "relabel", fee = "1" } }\n'
            ),
            "did you mean 'missing_postcode'?",
        ),
        (
            schedule_text(known='{ action = "relabel", fee = "-1.00" }'),
            "defects.no_label.known.fee: negative fee -1.00",
        ),
        (schedule_text(known='{ action = "relabel", fee = -1 }'), "negative fee -1"),
        (
            schedule_text(known='{ action = "relabel", fee = "twelve" }'),
            "defects.no_label.known.fee: 'twelve' is not an amount",
        ),
        (schedule_text(known='{ action = "relabel", fee = "1e3" }'), "'1e3' is not an amount"),
        (schedule_text(known='{ action = "relabel", fee = "NaN" }'), "'NaN' is not an amount"),
        (
            schedule_text(known='{ action = "relabel", fee = 12.5 }'),
            'write the amount as a string, e.g. "12.50"',
        ),
        (
            schedule_text(known='{ action = "relabel", fee = true }'),
            "an amount expected, not a boolean",
        ),
        (
            schedule_text(known='{ action = "relabel", fee = "12.505" }'),
            "12.505 is finer than CNY allows (2 decimal places)",
        ),
        (schedule_text(known='{ action = "relabel" }'), "defects.no_label.known.fee: missing"),
        (schedule_text(known='{ fee = "1" }'), "defects.no_label.known.action: missing"),
        (
            schedule_text(known='{ action = "burn", fee = "1" }'),
            "defects.no_label.known.action: unknown action 'burn' (one of relabel, hold_return",
        ),
        (
            schedule_text(unknown='{ action = "relabel", fee = "1" }'),
            "defects.no_label.unknown.action: relabel is impossible without a consignee",
        ),
        (
            schedule_text(known='{ action = "relabel", fee = "1", note = "x" }'),
            "defects.no_label.known.note: unknown key",
        ),
        (
            schedule_text(known='"relabel"'),
            "defects.no_label.known: a table expected, not a string",
        ),
        (
            'version = "v"\ncurrency = "CNY"\n[defects]\n'
            'no_label = { known = { action = "relabel", fee = "1" } }\n',
            "defects: no entry for unreadable",
        ),
    ],
)
def test_bad_schedules_are_refused_naming_the_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    assert problem in refused(tmp_path, text)


def test_missing_unknown_case_is_named(tmp_path: Path) -> None:
    text = schedule_text(codes=ALL_CODES[1:])
    text += 'no_label = { known = { action = "relabel", fee = "1" } }\n'

    assert "defects.no_label.unknown: missing" in refused(tmp_path, text)


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"fees\.toml: cannot be read"):
        load_fee_schedule(tmp_path / "fees.toml")
    path = tmp_path / "latin1.toml"
    path.write_bytes('version = "é"'.encode("latin-1"))
    with pytest.raises(InvalidInput, match=r"latin1\.toml: not UTF-8 text"):
        load_fee_schedule(path)


def test_parse_names_its_source() -> None:
    with pytest.raises(InvalidInput, match="fee schedule upload: version: missing"):
        parse_fee_schedule(b'currency = "CNY"', source="upload")
