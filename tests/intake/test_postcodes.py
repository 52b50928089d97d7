"""Postal codes: formats per country, finding a code in a line, country names on labels."""

import pytest

from intake.postcodes import compact, country_code, find, fits, has_postcode, same_postcode


@pytest.mark.parametrize(
    ("code", "country"),
    [
        ("62704", "US"), ("62704-1234", "US"), ("SW1A 1AA", "GB"), ("E1 6AN", "GB"),
        ("M1 1AE", "GB"), ("K1A 0B1", "CA"), ("100-0001", "JP"), ("1000001", "JP"),
        ("018956", "SG"), ("50450", "MY"), ("10110", "TH"), ("700000", "VN"), ("1100", "PH"),
        ("12190", "ID"), ("518000", "CN"), ("ZIP: 62704", "US"), ("A1B2C", None),
    ],
)  # fmt: skip
def test_fits(code: str, country: str | None) -> None:
    assert fits(code, country)


@pytest.mark.parametrize(
    ("code", "country"),
    [
        ("6270", "US"), ("627041", "US"), ("SW1A", "GB"), ("D1A 0B1", "CA"), ("10000", "SG"),
        ("5045", "MY"), ("11000", "PH"), ("12-3456", "JP"), ("N/A", None), ("Pinewood", "US"),
    ],
)  # fmt: skip
def test_does_not_fit(code: str, country: str | None) -> None:
    assert not fits(code, country)


def test_find_in_a_line() -> None:
    assert find("Pinewood Road, Springfield, IL 62704-1234", "US") == "62704-1234"
    assert find("London SW1A 1AA, UK", "GB") == "SW1A 1AA"
    assert find("Order 576400000000000123", "SG") is None
    assert find("〒100-0001 東京都", "JP") == "100-0001"


def test_compare() -> None:
    assert compact(" sw1a-1aa ") == "SW1A1AA"
    assert same_postcode("62704-1234", "62704", "US")
    assert not same_postcode("6270", "62704", "US")
    assert same_postcode("5I8OOO", "518000", "CN")
    assert not same_postcode("518001", "518000", "CN")


def test_countries() -> None:
    assert country_code("Việt Nam") == "VN"
    assert country_code(" usa ") == "US"
    assert country_code("马来西亚") == "MY"
    assert country_code("Atlantis") is None
    assert not has_postcode("HK") and has_postcode("SG") and has_postcode(None)
