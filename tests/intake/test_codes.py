"""Scanned codes: what a scanner or a person typed, normalised, recognised and journalled safely."""

import re

import pytest

from intake.codes import MAX_CODE_LENGTH, MAX_RAW_STORED, carrier_hint, escape_raw, normalise

SF = "SF1234567890123"
NOT_A_CODE = "not a parcel code: only letters and digits are expected"


@pytest.mark.parametrize(
    "raw",
    [
        "]C0SF1234567890123",  # Code 128
        "]E0SF1234567890123",  # EAN
        "]Q1SF1234567890123",  # QR code
        "]d2SF1234567890123",  # Data Matrix (lower-case modifier)
        "SF1234567890123\r\n",  # keyboard wedge: Enter
        "SF1234567890123\n",
        "\tSF1234567890123\t",
        "\x02SF1234567890123\x03",  # STX/ETX framing of serial scanners
        "\x02]C0SF1234567890123\x03\r\n",  # framing, AIM prefix and Enter together
        "  SF1234567890123  ",
    ],
)
def test_scanner_framing_is_stripped(raw: str) -> None:
    scanned = normalise(raw)

    assert scanned.code == SF
    assert scanned.problem is None
    assert scanned.carrier_hint == "SF"
    assert scanned.raw == raw  # what was read is kept as read


def test_full_width_characters_from_a_chinese_ime_are_narrowed() -> None:
    scanned = normalise("ＳＦ１２３４５６７８９０１２３")

    assert scanned.code == SF
    assert scanned.carrier_hint == "SF"


def test_full_width_spaces_and_hyphens_are_separators_too() -> None:
    assert normalise("ＳＦ　１２３４－５６７８－９０１２３").code == SF


@pytest.mark.parametrize(
    "raw", ["SF 1234 5678 90123", "SF-1234-5678-90123", "SF_1234_5678_90123", "S F 1-2 34567890123"]
)
def test_spaces_and_hyphens_are_removed(raw: str) -> None:
    assert normalise(raw).code == SF


def test_lower_case_is_upper_cased() -> None:
    scanned = normalise("sf1234567890123")

    assert scanned.code == SF
    assert scanned.carrier_hint == "SF"


@pytest.mark.parametrize("raw", ["", "   ", "\r\n", "\x02\x03", "]C0", "]C0\r\n", "　"])
def test_empty_scan_is_invalid(raw: str) -> None:
    scanned = normalise(raw)

    assert scanned.code is None
    assert scanned.problem == "empty code"
    assert scanned.carrier_hint is None
    assert scanned.looks_like_order_no is False


@pytest.mark.parametrize(
    "raw",
    [
        "SF123\x00456",  # NUL
        "SF123\x1b[31m456",  # an ANSI escape sequence
        "SF123\r\nSF456",  # two scans run together
        "SF123\x7f456",  # DEL
        "SF123\x85456",  # C1 next-line
    ],
)
def test_control_characters_inside_the_code_make_it_invalid(raw: str) -> None:
    scanned = normalise(raw)

    assert scanned.code is None
    assert scanned.problem == "the code contains control characters"


def test_a_code_of_the_maximum_length_is_accepted() -> None:
    assert normalise("A" * MAX_CODE_LENGTH).code == "A" * MAX_CODE_LENGTH


def test_a_code_over_the_maximum_length_is_invalid() -> None:
    scanned = normalise("A" * (MAX_CODE_LENGTH + 1))

    assert scanned.code is None
    assert scanned.problem == "the code is 129 characters long, over 128"


def test_a_huge_scan_is_refused_by_its_length() -> None:
    assert normalise("7" * 10_000).problem == "the code is 10000 characters long, over 128"


@pytest.mark.parametrize(
    "raw",
    [
        "https://shop.example.com/item?id=1",
        "weixin://dl/chat?wxid_abc",
        "www.example.com",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "1'; DROP TABLE orders;--",
        "' OR '1'='1",
        "SF1234567890123;SELECT 1",
        "顺丰SF1234567890123",
        "SF1234567890123​",  # zero-width space
        "+86 138 0013 8000",
        "seller@example.com",
    ],
)
def test_urls_html_sql_and_other_text_are_not_parcel_codes(raw: str) -> None:
    scanned = normalise(raw)

    assert scanned.code is None
    assert scanned.problem == NOT_A_CODE
    assert scanned.carrier_hint is None
    assert scanned.looks_like_order_no is False
    assert scanned.raw == raw


@pytest.mark.parametrize(
    ("code", "carrier"),
    [
        ("SF123456789012", "SF"),
        ("SF1234567890123", "SF"),
        ("JDX000012345678", "JD"),
        ("JDVA0001234567890", "JD"),
        ("YT1234567890123", "YTO"),
        ("YT1234567890123456", "YTO"),
        ("JT0001234567890", "J&T"),
        ("DPK123456789012", "Deppon"),
        ("DPK1234567890123", "Deppon"),
        ("EA123456789CN", "EMS"),  # UPU S10
        ("RR987654321CN", "EMS"),
        ("9812345678901", "EMS"),  # domestic all-digit EMS
        ("731234567890", "ZTO"),
        ("621234567890", "ZTO"),
        ("75123456789012", "ZTO"),
        ("7712345678901", "STO"),
        ("5512345678901", "STO"),
        ("3112345678901", "Yunda"),
        ("4612345678901", "Yunda"),
        ("431234567890123", "Yunda"),
    ],
)
def test_carrier_hint_recognises_each_carriers_format(code: str, carrier: str) -> None:
    assert carrier_hint(code) == carrier
    assert normalise(code).carrier_hint == carrier


@pytest.mark.parametrize(
    "code",
    [
        "",
        "SF12345",  # too short
        "SF12345678901234",  # too long
        "SFA23456789012",  # a letter where digits are expected
        "JD123",
        "YT123456789012",  # 12 digits, 13 to 16 expected
        "JT12345678901234",
        "DPK12345678901",
        "EA123456789US",  # S10, but not posted in China
        "E1123456789CN",
        "12345",
        "2112345678901",  # 13 digits with no carrier's prefix
        "ABCDEFGHIJKLMNO",
        "576400000000000001",  # an order number
    ],
)
def test_carrier_hint_is_none_for_other_codes(code: str) -> None:
    assert carrier_hint(code) is None


def test_carrier_hint_expects_a_normalised_code() -> None:
    assert carrier_hint("sf1234567890123") is None
    assert carrier_hint("SF 1234567890123") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("576400000000000001", True),  # 18 digits, as the platform issues them
        ("1" * 15, True),
        ("1" * 24, True),
        ("5764-0000-0000-0000-01", True),
        ("５７６４０００００００００００００１", True),
        ("1" * 14, False),
        ("1" * 25, False),
        ("SF1234567890123", False),
        ("57640000000000000A", False),
    ],
)
def test_looks_like_order_no(raw: str, expected: bool) -> None:
    assert normalise(raw).looks_like_order_no is expected


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("SF1234567890123", "SF1234567890123"),
        ("SF123\x00456", "SF123\\x00456"),
        ("\x02]C0SF123\x03\r\n", "\\x02]C0SF123\\x03\\x0d\\x0a"),
        ("a\tb\x1b[31m", "a\\x09b\\x1b[31m"),
        ("\x7f\x85", "\\x7f\\x85"),
        ("顺丰 SF123", "顺丰 SF123"),
        ("ＳＦ１２３", "ＳＦ１２３"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("", ""),
    ],
)
def test_escape_raw_escapes_control_characters(raw: str, escaped: str) -> None:
    assert escape_raw(raw) == escaped


def test_the_journal_keeps_the_raw_scan_escaped() -> None:
    scanned = normalise("\x02SF12\x0034\x03")

    assert scanned.problem == "the code contains control characters"
    assert scanned.raw_for_journal == "\\x02SF12\\x0034\\x03"


def test_escape_raw_keeps_a_scan_of_the_maximum_length_whole() -> None:
    assert escape_raw("A" * MAX_RAW_STORED) == "A" * MAX_RAW_STORED


def test_escape_raw_caps_a_long_scan_and_says_how_much_is_left_out() -> None:
    escaped = escape_raw("A" * 10_000)

    assert len(escaped) <= MAX_RAW_STORED
    kept = escaped.split("…")[0]
    assert kept == "A" * len(kept)
    assert escaped == kept + f"…(+{10_000 - len(kept)} chars)"


def test_escape_raw_caps_a_scan_just_over_the_maximum() -> None:
    escaped = escape_raw("B" * (MAX_RAW_STORED + 1))

    kept = escaped.split("…")[0]
    assert len(escaped) <= MAX_RAW_STORED
    assert escaped == kept + f"…(+{MAX_RAW_STORED + 1 - len(kept)} chars)"


@pytest.mark.parametrize("raw", ["\x00" * 10_000, "\x00" * 200, ("SF\x00\x1b" * 2_500)])
def test_escape_raw_never_keeps_a_nul_and_counts_what_is_cut(raw: str) -> None:
    escaped = escape_raw(raw)

    assert "\x00" not in escaped
    assert len(escaped) <= MAX_RAW_STORED
    kept, marker = escaped.split("…")
    # Only whole escapes are kept, and the marker counts the characters of the scan left out.
    assert re.fullmatch(r"(SF|\\x00|\\x1b)*", kept)
    shown = len(re.findall(r"\\x[0-9a-f]{2}|S|F", kept))
    assert marker == f"(+{len(raw) - shown} chars)"


def test_escape_raw_of_hostile_input_is_printable() -> None:
    hostile = "".join(chr(c) for c in range(0x00, 0x20)) * 400 + "\x7f" * 1000

    escaped = escape_raw(hostile)

    assert escaped.isprintable()
    assert len(escaped) <= MAX_RAW_STORED
