"""Label rules: every defect code, tolerant names, postcodes, allowed and forbidden codes."""

from dataclasses import replace
from typing import Any

import pytest

from intake.defects import DefectCode as C
from intake.labelrules import (
    DOUBT,
    MIN_CHARGE_CONFIDENCE,
    CodeSeen,
    Field,
    Inspection,
    LabelFacts,
    OrderFacts,
    Verdict,
    decide,
    edit_distance,
    inspect_label,
    read_order_no,
)

ORDER_NO = "576400000000000123"
OTHER_NO = "576400000000009999"
TRACKING = "SF1234567890123"
SUPPLIER = "深圳市华强电子科技有限公司"


def order(**overrides: Any) -> OrderFacts:
    """The order the carton's waybill is registered to."""
    values: dict[str, Any] = {
        "order_no": ORDER_NO,
        "buyer_name": "Emily Johnson",
        "buyer_postcode": "62704",
        "buyer_country": "US",
        "supplier_name": SUPPLIER,
        "tracking_nos": (TRACKING,),
    }
    values.update(overrides)
    return OrderFacts(**values)


def label(*, lines: tuple[str, ...] = (), **overrides: Any) -> LabelFacts:
    """A correct label for order(); `lines` are OCR lines added to the fields' own."""
    values: dict[str, Any] = {
        "label_found": True,
        "order_no_text": Field(f"Order No: {ORDER_NO}", 0.97, (10, 10, 300, 30)),
        "order_no_barcodes": (ORDER_NO,),
        "buyer_name": Field("Emily Johnson", 0.95, (10, 60, 200, 25)),
        "address": Field("12 Maple Street, Springfield, IL 62704", 0.93, (10, 90, 400, 25)),
        "postcode": Field("62704", 0.96, (300, 120, 80, 25)),
        "country": Field("United States", 0.95),
        "supplier_block": Field(f"{SUPPLIER} 广东省深圳市福田区华强北路1002号", 0.9),
        "waybill_tracking_no": TRACKING,
    }
    barcodes = overrides.get("order_no_barcodes")
    if barcodes and "order_no_text" not in overrides:
        # The digits printed under the barcode say what the barcode says.
        overrides["order_no_text"] = Field(f"Order No: {barcodes[0]}", 0.97, (10, 10, 300, 30))
    values.update(overrides)
    fields = [values[k] for k in ("order_no_text", "buyer_name", "address", "supplier_block")]
    own = tuple(f for f in fields if f is not None)
    values.setdefault("text_lines", own + tuple(Field(t, 0.95, (0, 0, 10, 10)) for t in lines))
    return LabelFacts(**values)


def inspect(facts: LabelFacts, **kwargs: Any) -> Inspection:
    kwargs.setdefault("waybill_order", order())
    return inspect_label(facts, **kwargs)


def codes(result: Inspection) -> set[C]:
    return {d.code for d in result.defects}


def only(result: Inspection, code: C) -> Any:
    """The one defect of the inspection, which must have this code."""
    assert codes(result) == {code}, result.defects
    return result.defects[0]


# --- verdicts and the order --------------------------------------------------------------------


def test_correct_label_is_ok() -> None:
    result = inspect(label())

    assert result.defects == ()
    assert result.verdict is Verdict.ok
    assert result.order_no == ORDER_NO
    assert result.label_order_no == ORDER_NO
    assert result.consignee_known


def test_no_label_known_consignee_is_relabel() -> None:
    result = inspect(LabelFacts(label_found=False, waybill_tracking_no=TRACKING))

    assert only(result, C.no_label).confidence == 1.0
    assert result.verdict is Verdict.relabel


def test_no_label_unknown_consignee_is_hold() -> None:
    result = inspect(LabelFacts(label_found=False), waybill_order=None)

    only(result, C.no_label)
    assert result.verdict is Verdict.hold
    assert not result.consignee_known
    assert result.order_no is None


def test_unsure_no_label_goes_to_a_person() -> None:
    result = inspect(LabelFacts(label_found=False, label_confidence=0.4), waybill_order=None)

    assert result.verdict is Verdict.needs_review


def test_blank_label_is_unreadable() -> None:
    result = inspect(LabelFacts(label_found=True), waybill_order=None)

    only(result, C.unreadable)
    assert result.verdict is Verdict.hold


def test_garbled_order_number_is_unreadable() -> None:
    facts = label(order_no_text=Field("Order No: ##-?", 0.9, (1, 2, 3, 4)), order_no_barcodes=())
    result = inspect(facts, waybill_order=None)

    defect = only(result, C.unreadable)
    assert "##-?" in defect.evidence
    assert defect.box == (1, 2, 3, 4)
    assert result.verdict is Verdict.hold


def test_garbled_order_number_with_waybill_match_is_relabel() -> None:
    facts = label(order_no_text=Field("Order No: smudge", 0.9), order_no_barcodes=())

    assert inspect(facts).verdict is Verdict.relabel


def test_missing_order_number() -> None:
    result = inspect(label(order_no_text=None, order_no_barcodes=()))

    only(result, C.missing_order_number)
    assert result.verdict is Verdict.relabel
    assert result.label_order_no is None


def test_order_number_read_from_text_with_ocr_noise() -> None:
    noisy = "Order No: 5764 OOOO OOOO OOO1 23"
    facts = label(order_no_text=Field(noisy, 0.9), order_no_barcodes=())

    assert read_order_no(facts) is not None
    assert inspect(facts).defects == ()


def test_barcode_wins_over_text() -> None:
    facts = label(order_no_text=Field("Order No: 576400000000000128", 0.9))
    reading = read_order_no(facts, expected=ORDER_NO)

    assert reading is not None and reading.number == ORDER_NO and reading.source == "barcode"
    assert inspect(facts).defects == ()


def test_order_mismatch() -> None:
    other = order(order_no=OTHER_NO, buyer_name="Michael Brown", tracking_nos=())
    facts = label(order_no_barcodes=(OTHER_NO,))
    result = inspect(facts, label_order=other)

    defect = only(result, C.order_mismatch)
    assert OTHER_NO in defect.evidence and ORDER_NO in defect.evidence
    assert TRACKING in defect.evidence
    assert defect.chargeable
    assert result.order_no == ORDER_NO  # the waybill decides where the carton goes
    assert result.verdict is Verdict.relabel


def test_unknown_order_with_waybill_match_is_relabel() -> None:
    result = inspect(label(order_no_barcodes=(OTHER_NO,)), label_order=None)

    assert "not in the order book" in only(result, C.unknown_order).evidence
    assert result.verdict is Verdict.relabel


def test_unknown_order_without_waybill_match_is_hold() -> None:
    result = inspect(label(order_no_barcodes=(OTHER_NO,)), waybill_order=None)

    assert C.unknown_order in codes(result)
    assert result.verdict is Verdict.hold
    assert not result.consignee_known


def test_order_found_by_label_alone() -> None:
    result = inspect(label(waybill_tracking_no=None), waybill_order=None, label_order=order())

    assert result.verdict is Verdict.ok
    assert result.order_no == ORDER_NO


def test_one_digit_off_in_ocr_text_is_doubtful() -> None:
    text = Field("Order No: 576400000000000128", 0.95)
    result = inspect(label(order_no_text=text, order_no_barcodes=()))

    defect = only(result, C.unknown_order)
    assert defect.confidence == DOUBT
    assert "misread" in defect.evidence
    assert result.verdict is Verdict.needs_review


def test_weak_ocr_of_another_order_is_not_charged() -> None:
    text = Field(f"Order No: {OTHER_NO[:10]}55555555", 0.45)
    result = inspect(label(order_no_text=text, order_no_barcodes=()))

    assert not only(result, C.unknown_order).chargeable
    assert result.verdict is Verdict.needs_review


def test_duplicate() -> None:
    result = inspect(label(), duplicate_of="carton 17")

    assert only(result, C.duplicate).evidence == "already received on carton 17"
    assert result.verdict is Verdict.relabel


def test_several_defects_at_once() -> None:
    facts = label(buyer_name=None, postcode=None, address=None, supplier_block=None,
                  lines=("WeChat: shop888",))  # fmt: skip
    result = inspect(facts)

    assert codes(result) == {C.missing_buyer_name, C.missing_postcode, C.missing_address,
                             C.missing_supplier, C.forbidden_contact}  # fmt: skip
    assert result.verdict is Verdict.relabel


def test_decide() -> None:
    assert decide([], consignee_known=False) is Verdict.ok
    strong = inspect(label(buyer_name=None)).defects[0]
    weak = replace(strong, confidence=MIN_CHARGE_CONFIDENCE - 0.01)
    assert decide([strong], consignee_known=True) is Verdict.relabel
    assert decide([strong], consignee_known=False) is Verdict.hold
    assert decide([strong, weak], consignee_known=False) is Verdict.needs_review


def test_edit_distance() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3
    assert edit_distance(ORDER_NO, ORDER_NO) == 0


# --- required fields ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "code"),
    [
        ("buyer_name", C.missing_buyer_name),
        ("address", C.missing_address),
        ("supplier_block", C.missing_supplier),
    ],
)
def test_missing_field(field: str, code: C) -> None:
    result = inspect(label(**{field: None}))

    defect = only(result, code)
    assert defect.chargeable
    assert result.verdict is Verdict.relabel


def test_blank_field_counts_as_missing() -> None:
    only(inspect(label(buyer_name=Field("   ", 0.9))), C.missing_buyer_name)


def test_missing_field_on_a_poorly_read_label_is_for_review() -> None:
    poor = tuple(Field(t, 0.4) for t in (f"Order No: {ORDER_NO}", "12 Maple Street", "62704"))
    result = inspect(label(buyer_name=None, text_lines=poor))

    assert not only(result, C.missing_buyer_name).chargeable
    assert result.verdict is Verdict.needs_review


def test_field_found_among_lines_is_not_missing() -> None:
    facts = label(buyer_name=None, supplier_block=None, lines=("To: EMILY JOHNSON", SUPPLIER))

    assert inspect(facts).defects == ()


# --- buyer names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        ("EMILY JOHNSON", "Emily Johnson"),
        ("emily  johnson", "Emily Johnson"),
        ("Johnson, Emily", "Emily Johnson"),
        ("Em1ly J0hnson", "Emily Johnson"),
        ("EMlLY JOHNS0N", "Emily Johnson"),
        ("Emiiy Johnsen", "Emily Johnson"),
        ("Đng Quc Tun", "Đặng Quốc Tuấn"),
        ("DANG QUOC TUAN", "Đặng Quốc Tuấn"),
        ("Đặng Quốc Tuấn", "Đặng Quốc Tuấn"),
        ("Nguyn Th Hoa", "Nguyễn Thị Hoa"),
        ("TRAN VAN MINH", "Trần Văn Minh"),
        ("张伟", "张伟"),
        ("张 伟", "张伟"),
        ("Jose Muller", "José Müller"),
        ("Siti Nurhaliza", "Siti Nurhaliza"),
    ],
)
def test_same_buyer_despite_noise(read: str, expected: str) -> None:
    facts = label(buyer_name=Field(read, 0.9))

    assert inspect(facts, waybill_order=order(buyer_name=expected)).defects == ()


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        ("Emily Johnson", "Michael Brown"),
        ("Sarah Davis", "James Wilson"),
        ("王芳", "张伟"),
        ("Lê Thị Mai", "Trần Văn Minh"),
        ("Maria Santos", "Jose Reyes"),
        ("Siti Rahimah", "Siti Nurhaliza"),
    ],
)
def test_another_buyer_is_a_mismatch(read: str, expected: str) -> None:
    facts = label(buyer_name=Field(read, 0.9, (5, 5, 50, 10)))
    result = inspect(facts, waybill_order=order(buyer_name=expected))

    defect = only(result, C.buyer_mismatch)
    assert read in defect.evidence and expected in defect.evidence
    assert defect.box == (5, 5, 50, 10)
    assert defect.chargeable
    assert result.verdict is Verdict.relabel


def test_close_but_different_name_goes_to_a_person() -> None:
    result = inspect(label(buyer_name=Field("Jane Smith", 0.95)),
                     waybill_order=order(buyer_name="John Smith"))  # fmt: skip

    assert not only(result, C.buyer_mismatch).chargeable
    assert result.verdict is Verdict.needs_review


def test_name_in_another_script_goes_to_a_person() -> None:
    result = inspect(label(buyer_name=Field("ZHANG WEI", 0.95)),
                     waybill_order=order(buyer_name="张伟"))  # fmt: skip

    assert "different scripts" in only(result, C.buyer_mismatch).evidence
    assert result.verdict is Verdict.needs_review


def test_weakly_read_mismatch_is_not_charged() -> None:
    result = inspect(label(buyer_name=Field("Michael Brown", 0.5)))

    assert not only(result, C.buyer_mismatch).chargeable
    assert result.verdict is Verdict.needs_review


def test_no_buyer_comparison_without_an_order() -> None:
    facts = label(buyer_name=Field("Anyone", 0.9), order_no_barcodes=(OTHER_NO,))
    result = inspect(facts, waybill_order=None)

    assert codes(result) == {C.unknown_order}


# --- postcodes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "read", "expected"),
    [
        ("US", "62704", "62704"),
        ("US", "62704-1234", "62704"),
        ("US", "62704", "62704-1234"),
        ("US", "ZIP 627O4", "62704"),
        ("GB", "sw1a 1aa", "SW1A 1AA"),
        ("GB", "SW1A1AA", "SW1A 1AA"),
        ("CA", "k1a-0b1", "K1A 0B1"),
        ("CA", "KIA OBI", "K1A 0B1"),
        ("JP", "〒100-0001", "1000001"),
        ("SG", "Singapore 018956", "018956"),
        ("MY", "50450", "50450"),
        ("TH", "10110", "10110"),
        ("VN", "700000", "700000"),
        ("PH", "1100", "1100"),
        ("ID", "12190", "12190"),
        ("CN", "518000", "518000"),
    ],
)
def test_same_postcode_after_normalising(country: str, read: str, expected: str) -> None:
    facts = label(postcode=Field(read, 0.9), address=Field("1 Some Road", 0.9))
    result = inspect(facts, waybill_order=order(buyer_country=country, buyer_postcode=expected))

    assert result.defects == ()


@pytest.mark.parametrize(
    ("country", "read", "expected"),
    [
        ("US", "62705", "62704"),
        ("US", "62705-1234", "62704-1234"),
        ("GB", "SW1A 2AA", "SW1A 1AA"),
        ("CA", "K1A 0B2", "K1A 0B1"),
        ("JP", "100-0002", "100-0001"),
        ("SG", "018957", "018956"),
        ("VN", "700001", "700000"),
        ("PH", "1101", "1100"),
    ],
)
def test_postcode_mismatch(country: str, read: str, expected: str) -> None:
    facts = label(postcode=Field(read, 0.9, (1, 1, 1, 1)), address=Field("1 Some Road", 0.9))
    result = inspect(facts, waybill_order=order(buyer_country=country, buyer_postcode=expected))

    defect = only(result, C.postcode_mismatch)
    assert defect.chargeable and defect.box == (1, 1, 1, 1)
    assert result.verdict is Verdict.relabel


def test_mismatch_in_a_wrong_format_may_be_a_misread() -> None:
    facts = label(postcode=Field("6270", 0.9), address=Field("12 Maple Street", 0.9))
    result = inspect(facts)

    defect = only(result, C.postcode_mismatch)
    assert defect.confidence == DOUBT and "misread" in defect.evidence
    assert result.verdict is Verdict.needs_review


def test_postcode_in_the_address_is_enough() -> None:
    assert inspect(label(postcode=None)).defects == ()


def test_postcode_field_taking_a_house_number_is_forgiven() -> None:
    facts = label(postcode=Field("12345", 0.9))

    assert inspect(facts).defects == ()  # 62704 is in the address line


def test_missing_postcode() -> None:
    facts = label(postcode=None, address=Field("12 Maple Street, Springfield, IL", 0.93))

    assert only(inspect(facts), C.missing_postcode).chargeable


def test_postcode_field_without_a_code_is_missing() -> None:
    facts = label(postcode=Field("N/A", 0.9), address=Field("Maple Street", 0.9))

    assert "'N/A'" in only(inspect(facts), C.missing_postcode).evidence


def test_no_postcode_needed_where_none_exist() -> None:
    facts = label(postcode=None, address=Field("Flat 3, 8 Nathan Road, Kowloon", 0.9))

    assert inspect(facts, waybill_order=order(buyer_country="HK", buyer_postcode="")).defects == ()


def test_unknown_order_postcode_checked_by_format() -> None:
    def result(read: str, country: str = "SG") -> Inspection:
        facts = label(postcode=Field(read, 0.9), address=Field("Blk 5 Ang Mo Kio", 0.9),
                      country=Field(country, 0.9), order_no_barcodes=(OTHER_NO,))  # fmt: skip
        return inspect(facts, waybill_order=None)

    assert codes(result("560123")) == {C.unknown_order}
    assert codes(result("Singapore")) == {C.unknown_order, C.missing_postcode}
    weak = [d for d in result("56012").defects if d.code is C.missing_postcode]
    assert weak and weak[0].confidence == DOUBT
    assert codes(result("62704-1234", "USA")) == {C.unknown_order}
    assert codes(result("SW1A 1AA", "United Kingdom")) == {C.unknown_order}


# --- QR codes, barcodes, links and contacts ----------------------------------------------------


@pytest.mark.parametrize("content", [ORDER_NO, TRACKING, "sf-1234-5678-90123", "]Q1" + ORDER_NO])
def test_qr_with_order_or_tracking_number_is_allowed(content: str) -> None:
    facts = label(qr_codes=(CodeSeen(content, (0, 0, 5, 5)),))

    assert inspect(facts).defects == ()


def test_qr_with_another_orders_tracking_number_is_allowed_when_it_is_that_orders() -> None:
    other = order(order_no=OTHER_NO, tracking_nos=("YT1234567890123",))
    facts = label(qr_codes=(CodeSeen("YT1234567890123"),), order_no_barcodes=(OTHER_NO,))
    result = inspect(facts, label_order=other)

    assert codes(result) == {C.order_mismatch}


@pytest.mark.parametrize(
    "content",
    ["https://shop.example.com/store/42", "WIFI:S:shop;T:WPA;P:x;;", "576400000000009999",
     "weixin://dl/chat?abc", "Hello"],
)  # fmt: skip
def test_foreign_qr_is_forbidden(content: str) -> None:
    result = inspect(label(qr_codes=(CodeSeen(content, (7, 7, 9, 9)),)))

    defect = only(result, C.forbidden_qr)
    assert content in defect.evidence
    assert defect.box == (7, 7, 9, 9)
    assert defect.confidence == 1.0
    assert result.verdict is Verdict.relabel


def test_two_foreign_qrs_are_one_defect_with_both_in_evidence() -> None:
    facts = label(qr_codes=(CodeSeen("https://a.example.com"), CodeSeen("https://b.example.com")))
    defect = only(inspect(facts), C.forbidden_qr)

    assert "a.example.com" in defect.evidence and "b.example.com" in defect.evidence


def test_barcodes_with_order_tracking_or_product_numbers_are_allowed() -> None:
    facts = label(barcodes=(CodeSeen(ORDER_NO), CodeSeen(TRACKING), CodeSeen("6901234567892")))

    assert inspect(facts).defects == ()


def test_barcode_with_a_link_is_forbidden() -> None:
    result = inspect(label(barcodes=(CodeSeen("www.myshop.cn", (3, 3, 3, 3)),)))

    assert only(result, C.forbidden_link).box == (3, 3, 3, 3)


@pytest.mark.parametrize(
    "line",
    [
        "Visit https://shop.example.com/promo",
        "http://example.org",
        "WWW.MYSHOP.CN",
        "www.shop.com.my/deal",
        "shop.example.com",
        "SHOP.EXAMPLE.COM",
        "Join t.me/cheapdeals",
        "wa.me/8613812345678",
        "line.me/ti/p/abc",
        "bit.ly/3xYz",
        "关注 myshop.taobao.com",
        "店铺：shop123．taobao．com",
    ],
)
def test_links_are_forbidden(line: str) -> None:
    result = inspect(label(lines=(line,)))

    assert codes(result) == {C.forbidden_link}
    assert result.verdict is Verdict.relabel


@pytest.mark.parametrize(
    "line",
    [
        "Tel: +44 20 7946 0958",
        "+86 138 1234 5678",
        "+1 (415) 555-0100",
        "(415) 555-0100",
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "手机：13912345678",
        "电话 0755-8888 6666",
        "Call 0912 345 678",
        "Hotline: 6123 4567",
        "0086 13812345678",
        "sales@shop-example.com",
        "Email: SUPPORT@MYSHOP.CN",
        "客服邮箱 kefu＠shop.cn",
        "WhatsApp +84 912 345 678",
        "WhatsApp me",
        "WeChat: abc123",
        "wechat ID abc_123",
        "微信：shop_888",
        "加微信领红包",
        "V信 kefu001",
        "LINE ID: shop88",
        "Line: @shop88",
        "Telegram @cheapdeals",
        "QQ: 12345678",
        "Zalo 0912345678",
        "vx: kefu_001",
    ],
)
def test_contacts_are_forbidden(line: str) -> None:
    result = inspect(label(lines=(line,)))

    assert C.forbidden_contact in codes(result)
    assert codes(result) <= {C.forbidden_contact, C.forbidden_link}
    defect = next(d for d in result.defects if d.code is C.forbidden_contact)
    assert defect.chargeable, defect
    assert line in defect.evidence


def test_handle_on_a_label_naming_telegram_is_forbidden() -> None:
    result = inspect(label(lines=("Find us on Telegram", "@cheapdeals")))

    assert only(result, C.forbidden_contact).chargeable


def test_lone_handle_goes_to_a_person() -> None:
    result = inspect(label(lines=("@cheapdeals",)))

    assert only(result, C.forbidden_contact).confidence == DOUBT
    assert result.verdict is Verdict.needs_review


@pytest.mark.parametrize(
    "line",
    [
        "138****5678",
        "Tel: 138****5678",
        "+86 138****5678",
        "138 **** 5678",
        "手机 139＊＊＊＊1234",
        "Phone 138xxxx5678",
    ],
)
def test_masked_numbers_never_count(line: str) -> None:
    assert inspect(label(lines=(line,))).defects == ()


@pytest.mark.parametrize(
    "line",
    [
        f"Order No: {ORDER_NO}",
        "Order No: 5764 0000 0000 0001 23",
        f"Waybill {TRACKING}",
        "12 Maple Street Apt 5, Springfield, IL 62704-1234",
        "No. 12, Jalan Bukit Bintang 3, 50450 Kuala Lumpur",
        "Blk 123 Ang Mo Kio Ave 3 #05-12 Singapore 560123",
        "Số 12 Đường Lê Lợi, Phường 3, Quận 1, TP. Hồ Chí Minh 700000",
        "99/12 Sukhumvit Soi 11, Bangkok 10110",
        "Jl. Sudirman No. 5 RT 3, Jakarta Selatan 12190",
        "Shenzhen Huaqiang Trading Co.,Ltd.",
        "Address line 2: Flat 4",
        "Weight 1.25 kg  Qty 2",
        "Date 2026-11-20",
        "广东省深圳市福田区华强北路1002号",
        "Seattle, WA 98101",
        "Signal Hill Road 4",
    ],
)
def test_ordinary_label_lines_are_not_forbidden(line: str) -> None:
    assert inspect(label(lines=(line,))).defects == ()


def test_weakly_read_link_is_not_charged() -> None:
    lines = ("www.shop.com", "Emily Johnson", "12 Maple Street 62704", SUPPLIER)
    facts = label(text_lines=tuple(Field(t, 0.3 if "www" in t else 0.95) for t in lines))
    result = inspect(facts)

    assert not only(result, C.forbidden_link).chargeable
    assert result.verdict is Verdict.needs_review


def test_evidence_is_capped() -> None:
    lines = tuple(f"www.shop{i:03d}.com" for i in range(60))
    defect = only(inspect(label(lines=lines)), C.forbidden_link)

    assert len(defect.evidence) <= 400 and defect.evidence.endswith("…")


def test_a_barcode_that_disagrees_with_its_printed_digits_is_doubted() -> None:
    """A blurred Code 128 can misread and pass its checksum: no fee rests on it alone."""
    facts = label(order_no_barcodes=(OTHER_NO,), order_no_text=Field(ORDER_NO[:-1] + "7", 0.9))

    defect = only(inspect(facts, label_order=None), C.unknown_order)

    assert not defect.chargeable
    assert "they disagree" in defect.evidence and OTHER_NO in defect.evidence


def test_printed_digits_cut_short_do_not_doubt_the_barcode() -> None:
    facts = label(order_no_barcodes=(OTHER_NO,), order_no_text=Field(OTHER_NO[:12], 0.9))

    assert only(inspect(facts, label_order=None), C.unknown_order).chargeable


def test_an_unread_waybill_leaves_the_consignee_open_for_a_person() -> None:
    """Relabel or hold, and the fee, hang on the consignee: a waybill that is there but could not
    be read may name it."""
    facts = label(order_no_barcodes=(OTHER_NO,), waybill_tracking_no=None, waybill_unread=True)

    result = inspect(facts, waybill_order=None, label_order=None)

    assert result.verdict is Verdict.needs_review
    assert "could not be read" in only(result, C.unknown_order).evidence
