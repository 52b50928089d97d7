"""The kinds of mislabel (DOMAIN.md), spelt as the database, the API and the reports spell them."""

from enum import StrEnum


class DefectCode(StrEnum):
    """One kind of mislabel; a carton can have several."""

    no_label = "no_label"
    unreadable = "unreadable"
    unknown_order = "unknown_order"
    order_mismatch = "order_mismatch"
    missing_buyer_name = "missing_buyer_name"
    missing_address = "missing_address"
    missing_postcode = "missing_postcode"
    missing_order_number = "missing_order_number"
    missing_supplier = "missing_supplier"
    buyer_mismatch = "buyer_mismatch"
    postcode_mismatch = "postcode_mismatch"
    forbidden_qr = "forbidden_qr"
    forbidden_link = "forbidden_link"
    forbidden_contact = "forbidden_contact"
    duplicate = "duplicate"
