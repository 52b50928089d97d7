"""The fee schedule: what each defect costs the supplier and what becomes of the carton."""

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from difflib import get_close_matches
from enum import StrEnum
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from intake.defects import DefectCode
from intake.errors import InvalidInput

DEFAULT_SCHEDULE = "fee_schedule.toml"  # in the package's data folder


class Action(StrEnum):
    """What the warehouse does with a mislabeled carton."""

    relabel = "relabel"
    hold_return = "hold_return"
    hold_disposal = "hold_disposal"
    release = "release"


# Without a consignee the carton cannot go abroad: relabelling or releasing it is no option.
_UNKNOWN_CONSIGNEE_ACTIONS = frozenset({Action.hold_return, Action.hold_disposal})
_CASES = {"known": True, "unknown": False}
_TOP_KEYS = frozenset({"version", "effective", "currency", "defects"})
_RULE_KEYS = frozenset({"action", "fee"})
# Plain decimal notation only: no exponent, sign, NaN or Infinity slips into a bill.
_AMOUNT = re.compile(r"^\d{1,9}(\.\d+)?$")

# Active ISO 4217 codes (no precious metals, no testing or fund codes).
ISO_4217: frozenset[str] = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
    BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB
    EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR
    MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB
    RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD
    TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW
    ZWG""".split()  # noqa: SIM905
)
# Decimal places of the minor unit where it is not 2 (ISO 4217): a fee cannot be finer than that.
_MINOR_UNITS: Mapping[str, int] = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
                     "UYI", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Charge:
    """What one defect costs: the action, the fee, and the schedule version that priced it."""

    action: Action
    amount: Decimal
    currency: str
    schedule_version: str


@dataclass(frozen=True, slots=True)
class FeeRule:
    """The action and fee of one defect code in one case (consignee known or not)."""

    action: Action
    amount: Decimal


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """The warehouse's configured fees: every defect code, consignee known and unknown."""

    version: str
    effective: date | None
    currency: str
    rules: Mapping[tuple[DefectCode, bool], FeeRule]
    source: str  # the file it was read from, for messages

    def charge(self, code: DefectCode | str, *, consignee_known: bool) -> Charge:
        """The action and fee of one defect, with the version that priced it (edits come later)."""
        try:
            rule = self.rules[(DefectCode(code), consignee_known)]
        except ValueError as exc:
            raise InvalidInput(f"unknown defect code {code!r}") from exc
        return Charge(rule.action, rule.amount, self.currency, self.version)


def load_fee_schedule(path: Path | None = None) -> FeeSchedule:
    """The fee schedule of a TOML file, or the shipped default; a fault is an InvalidInput."""
    if path is None:
        resource = resources.files("intake") / "data" / DEFAULT_SCHEDULE
        return parse_fee_schedule(resource.read_bytes(), source=f"intake/data/{DEFAULT_SCHEDULE}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"fee schedule {path}: cannot be read ({exc.strerror})") from exc
    return parse_fee_schedule(data, source=str(path))


def parse_fee_schedule(data: bytes, *, source: str) -> FeeSchedule:
    """A fee schedule from the bytes of a TOML document; `source` names it in errors."""
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"fee schedule {source}: not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"fee schedule {source}: not valid TOML ({exc})") from exc
    reader = _Reader(source)
    reader.unknown_keys(doc, _TOP_KEYS, "")
    currency = _currency(reader, doc.get("currency"))
    return FeeSchedule(
        version=_version(reader, doc.get("version")),
        effective=_effective(reader, doc.get("effective")),
        currency=currency,
        rules=MappingProxyType(_rules(reader, doc.get("defects"), currency)),
        source=source,
    )


class _Reader:
    """Raises InvalidInput naming the file and the key at fault."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> InvalidInput:
        """The error for one key of the file."""
        return InvalidInput(f"fee schedule {self.source}: {key}: {problem}")

    def table(self, value: object, key: str) -> dict[str, Any]:
        """A TOML table, or an error saying one was expected."""
        if value is None:
            raise self.fail(key, "missing")
        if not isinstance(value, dict):
            raise self.fail(key, f"a table expected, not {_kind(value)}")
        return value

    def unknown_keys(self, table: Mapping[str, object], allowed: frozenset[str], at: str) -> None:
        """Refuse keys the format does not know: a typo must not silently drop a setting."""
        for key in table:
            if key not in allowed:
                hint = get_close_matches(key, sorted(allowed), n=1)
                did_you_mean = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise self.fail(at + key, f"unknown key{did_you_mean}")


def _kind(value: object) -> str:
    return {dict: "a table", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _version(reader: _Reader, value: object) -> str:
    if value is None:
        raise reader.fail("version", "missing: each charge records the version that priced it")
    if not isinstance(value, str) or not value.strip():
        raise reader.fail("version", "a non-empty string expected")
    return value.strip()


def _effective(reader: _Reader, value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):  # a bare TOML date
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise reader.fail("effective", f"{value!r} is not a date (YYYY-MM-DD)")


def _currency(reader: _Reader, value: object) -> str:
    if value is None:
        raise reader.fail("currency", "missing (an ISO 4217 code such as 'CNY')")
    if not isinstance(value, str) or value not in ISO_4217:
        raise reader.fail("currency", f"{value!r} is not an ISO 4217 currency code such as 'CNY'")
    return value


def _rules(reader: _Reader, value: object, currency: str) -> dict[tuple[DefectCode, bool], FeeRule]:
    defects = reader.table(value, "defects")
    known_codes = frozenset(code.value for code in DefectCode)
    reader.unknown_keys(defects, known_codes, "defects.")
    missing = [code.value for code in DefectCode if code not in defects]
    if missing:
        raise reader.fail("defects", "no entry for " + ", ".join(missing))
    rules: dict[tuple[DefectCode, bool], FeeRule] = {}
    for code in DefectCode:
        entry = reader.table(defects[code], f"defects.{code}")
        reader.unknown_keys(entry, frozenset(_CASES), f"defects.{code}.")
        for case, known in _CASES.items():
            key = f"defects.{code}.{case}"
            rules[(code, known)] = _rule(reader, entry.get(case), key, currency, known=known)
    return rules


def _rule(reader: _Reader, value: object, key: str, currency: str, *, known: bool) -> FeeRule:
    entry = reader.table(value, key)
    reader.unknown_keys(entry, _RULE_KEYS, key + ".")
    action = _action(reader, entry.get("action"), key + ".action")
    if not known and action not in _UNKNOWN_CONSIGNEE_ACTIONS:
        raise reader.fail(
            key + ".action",
            f"{action} is impossible without a consignee: hold_return or hold_disposal expected",
        )
    return FeeRule(action, _amount(reader, entry.get("fee"), key + ".fee", currency))


def _action(reader: _Reader, value: object, key: str) -> Action:
    if value is None:
        raise reader.fail(key, "missing")
    try:
        return Action(str(value))
    except ValueError:
        choices = ", ".join(a.value for a in Action)
        raise reader.fail(key, f"unknown action {value!r} (one of {choices})") from None


def _amount(reader: _Reader, value: object, key: str, currency: str) -> Decimal:
    if value is None:
        raise reader.fail(key, "missing")
    if isinstance(value, float):
        # A TOML float is binary: 0.1 is not exactly a tenth. Money is written as a string.
        raise reader.fail(key, f'write the amount as a string, e.g. "{value:.2f}", not a float')
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise reader.fail(key, f"an amount expected, not {_kind(value)}")
    text = str(value).strip()
    if text.startswith("-"):
        raise reader.fail(key, f"negative fee {text}")
    if not _AMOUNT.match(text):
        raise reader.fail(key, f'{value!r} is not an amount such as "12.50"')
    try:
        amount = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise reader.fail(key, f"{value!r} is not an amount") from None
    places = _MINOR_UNITS.get(currency, 2)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise reader.fail(key, f"{text} is finer than {currency} allows ({places} decimal places)")
    return amount


def money(amount: Decimal) -> str:
    """An amount as printed: two decimals ("20.00", whatever the database's scale), more only
    when the schedule really has them ("0.125")."""
    cents = amount.quantize(Decimal("0.01"))
    return str(cents if cents == amount else amount.normalize())
