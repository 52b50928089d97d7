"""The CLI demo's short scanning shift: every outcome a station meets, against the demo book."""

from sqlalchemy.engine import Engine
from sqlmodel import col, func, select

from api.output import print_decision, print_order_view
from intake import db
from intake.lookup import get_order_view
from intake.models import Carton, Order, Waybill
from intake.receiving import receive_scan
from intake.sla import Rules


def run_demo_shift(engine: Engine, rules: Rules, *, seed: int) -> None:
    """Scan a handful of real and bad codes at station DEMO-1 and show the answers and one order."""
    with db.session_scope(engine) as session:
        received = session.exec(select(func.count()).select_from(Carton)).one()
        single = session.exec(
            select(Waybill.tracking_no, Waybill.order_no)
            .join(Order)
            .where(Order.packages == 1, Order.status == "awaiting")
            .order_by(col(Waybill.tracking_no))
            .offset(seed % 50)
            .limit(2)
        ).all()
        multi = session.exec(
            select(Waybill.tracking_no, Waybill.order_no)
            .join(Order)
            .where(Order.packages > 1, Order.status == "awaiting")
            .order_by(col(Waybill.order_no), col(Waybill.tracking_no))
            .limit(1)
        ).all()
    codes = [
        *(f"]C0{t}\r\n" for t, _ in single),  # as a handheld sends it: AIM prefix, CR LF
        *(t for t, _ in multi),
        single[0][1] if single else "",  # the same carton again, by its order number
        "SF9999999999999",  # a waybill nobody registered
        "https://shop.example/item?id=1",  # a QR code that is no parcel code
    ]
    print(f"--- demo shift at station DEMO-1 ({received} cartons already in the database) ---")
    for code in codes:
        with db.session_scope(engine) as session:
            decision = receive_scan(
                session, raw_code=code, station="DEMO-1", operator="demo", rules=rules
            )
        print_decision(decision, as_json=False, zone=rules.zone)
    if single:
        print("--- look-up of the first order ---")
        with db.session_scope(engine) as session:
            print_order_view(
                get_order_view(session, order_no=single[0][1], rules=rules),
                as_json=False,
                zone=rules.zone,
            )
