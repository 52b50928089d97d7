"""Postal codes by destination country: format, finding one in a text, comparing two (pure)."""

import re
import unicodedata
from collections.abc import Mapping

from intake.countries import ISO_ALPHA2

# How each country prints its postal code, upper case; a space or hyphen where it is customary.
_PRINTED: Mapping[str, str] = {
    "US": r"\d{5}(?:[ -]?\d{4})?",  # ZIP or ZIP+4
    "GB": r"(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[A-Z]{2}",
    "CA": r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z][ -]?\d[ABCEGHJ-NPRSTV-Z]\d",
    "JP": r"\d{3}-?\d{4}",
    "NL": r"\d{4} ?[A-Z]{2}",
    "BR": r"\d{5}-?\d{3}",
    "PL": r"\d{2}-?\d{3}",
    "PT": r"\d{4}-?\d{3}",
    "SE": r"\d{3} ?\d{2}",
    "CZ": r"\d{3} ?\d{2}",
    "SK": r"\d{3} ?\d{2}",
    "GR": r"\d{3} ?\d{2}",
    "TW": r"\d{3}(?:\d{2,3})?",
    "BN": r"[A-Z]{2} ?\d{4}",
    "IE": r"[AC-FHKNPRTV-Y]\d[\dW] ?[0-9AC-FHKNPRTV-Y]{4}",
}
# Countries whose postal code is a plain run of digits.
_DIGITS: Mapping[str, int] = {
    **dict.fromkeys(("SG", "VN", "CN", "IN", "RU", "KZ", "KH", "BY"), 6),
    **dict.fromkeys(("MY", "TH", "ID", "LA", "MM", "KR", "DE", "FR", "IT", "ES", "MX"), 5),
    **dict.fromkeys(("SA", "TR", "FI", "UA", "HR", "EG", "PK", "LK", "NP", "MN"), 5),
    **dict.fromkeys(("PH", "AU", "NZ", "ZA", "NO", "DK", "BE", "CH", "AT", "HU", "BD"), 4),
    **dict.fromkeys(("IL",), 7),
}
# No postal codes in use: a label without one lacks nothing.
NO_POSTCODE: frozenset[str] = frozenset({"HK", "MO", "AE", "QA", "BS", "FJ", "GH", "JM", "PA"})
# Where the country's format is not known: a short token that holds a digit.
_GENERIC = r"(?=[A-Z -]*\d)[A-Z\d](?:[A-Z\d]| (?=[A-Z\d])|-(?=[A-Z\d])){2,9}"

_SEPARATORS = re.compile(r"[\s\-‐‑–—·〒]+")
# Words printed before the code itself ("ZIP: 62704", "邮编 518000").
_CAPTION = re.compile(
    r"^\s*(?:ZIP(?:\s*CODE)?|POST(?:AL)?\s*CODE|POSTCODE|PIN(?:\s*CODE)?|CEP|邮编|郵便番号)(?![A-Z])\s*[:：.#]?\s*",
    re.IGNORECASE,
)
# OCR confusions, applied only where the order's code says which class a character must be.
_AS_DIGIT = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "|": "1", "Z": "2",
                           "S": "5", "B": "8", "G": "6"})  # fmt: skip
_AS_LETTER = str.maketrans({"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G"})


def printed_pattern(country: str | None) -> str:
    """The regular expression of a country's postal code as printed (upper case)."""
    country = (country or "").upper()
    if country in _PRINTED:
        return _PRINTED[country]
    if country in _DIGITS:
        return rf"\d{{{_DIGITS[country]}}}"
    return _GENERIC


def has_postcode(country: str | None) -> bool:
    """Whether the country uses postal codes (an unknown country is assumed to)."""
    return (country or "").upper() not in NO_POSTCODE


def _upper(text: str) -> str:
    return _CAPTION.sub("", unicodedata.normalize("NFKC", text)).upper().strip()


def compact(text: str) -> str:
    """A postal code without case, spaces or hyphens: the form two codes are compared in."""
    return _SEPARATORS.sub("", _upper(text))


def fits(text: str, country: str | None) -> bool:
    """Whether the text is exactly a postal code of the country's format."""
    printed = _SEPARATORS.sub(" ", _upper(text)).strip()
    pattern = printed_pattern(country)
    return bool(re.fullmatch(pattern, printed) or re.fullmatch(pattern, compact(text)))


def find_all(text: str, country: str | None) -> list[str]:
    """Every postal code of the country's format in a text (an address line), in order."""
    boundary = rf"(?<![A-Z\d])(?:{printed_pattern(country)})(?![A-Z\d])"
    return re.findall(boundary, _upper(text))


def find(text: str, country: str | None) -> str | None:
    """The first postal code of the country's format in a text, if any."""
    found = find_all(text, country)
    return found[0] if found else None


def looks_like_postcode(text: str) -> bool:
    """Whether the text holds something a postal code could be: 3 digits, or a short code with 2."""
    code = compact(text)
    digits = sum(ch.isdigit() for ch in code)
    return digits >= 3 or (digits >= 2 and len(code) <= 10)


def _coerce_like(read: str, expected: str) -> str:
    """The read code with OCR confusions undone where the expected code has a digit or a letter."""
    out = []
    for got, want in zip(read, expected, strict=False):
        if want.isdigit() and not got.isdigit():
            got = got.translate(_AS_DIGIT)
        elif want.isalpha() and not got.isalpha():
            got = got.translate(_AS_LETTER)
        out.append(got)
    return "".join(out) + read[len(expected) :]


def same_postcode(read: str, expected: str, country: str | None) -> bool:
    """Whether a postal code read on a label is the order's, after normalising (US: the ZIP5)."""
    want = compact(expected)
    got = _coerce_like(compact(read), want)
    if (country or "").upper() == "US":
        # ZIP+4 narrows the ZIP to a delivery segment: the five digits say where the carton goes.
        return got[:5] == want[:5] and len(got) in (5, 9)
    return got == want


# Country names as labels print them, accents and case aside; ISO codes are taken as they are.
_COUNTRY_NAMES: Mapping[str, str] = {
    "UNITED STATES": "US", "UNITED STATES OF AMERICA": "US", "USA": "US", "U.S.A.": "US",
    "UNITED KINGDOM": "GB", "UK": "GB", "GREAT BRITAIN": "GB", "ENGLAND": "GB", "SCOTLAND": "GB",
    "WALES": "GB", "CANADA": "CA", "SINGAPORE": "SG", "MALAYSIA": "MY", "THAILAND": "TH",
    "VIETNAM": "VN", "VIET NAM": "VN", "PHILIPPINES": "PH", "INDONESIA": "ID", "CHINA": "CN",
    "JAPAN": "JP", "KOREA": "KR", "SOUTH KOREA": "KR", "TAIWAN": "TW", "HONG KONG": "HK",
    "AUSTRALIA": "AU", "NEW ZEALAND": "NZ", "GERMANY": "DE", "FRANCE": "FR", "MEXICO": "MX",
    "BRAZIL": "BR", "CAMBODIA": "KH", "MYANMAR": "MM", "LAOS": "LA", "BRUNEI": "BN",
    "中国": "CN", "新加坡": "SG", "马来西亚": "MY", "泰国": "TH", "越南": "VN", "菲律宾": "PH",
    "印度尼西亚": "ID", "日本": "JP", "美国": "US", "英国": "GB",
}  # fmt: skip


def country_code(text: str | None) -> str | None:
    """The ISO 3166 code of a country as printed on a label ("Việt Nam", "USA", "SG"), if known."""
    if not text:
        return None
    plain = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    key = re.sub(r"\s+", " ", plain.upper().replace("Đ", "D")).strip(" .,")
    if key in ISO_ALPHA2:
        return key
    return _COUNTRY_NAMES.get(key)
