"""What a replacement shipping label for an order says: the fields a correct label holds."""

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from intake.errors import IntakeError, InvalidInput, NotFound
from intake.models import Order, Supplier

HEADER = "Cross-border Shipping Label 跨境物流面单"
# Debian's iso-codes package: English country names, kept up to date by Debian.
ISO_3166_FILE = Path("/usr/share/iso-codes/json/iso_3166-1.json")


class MissingSystemFile(IntakeError):
    """A file a Debian package installs (a font, the country names) is not there."""


@dataclass(frozen=True, slots=True)
class LabelContent:
    """Every field printed on one carton's label, as plain text."""

    order_no: str
    header: str
    buyer_name: str
    buyer_address: str
    buyer_postcode: str
    country_code: str
    country_name: str  # in capitals, as postal services want the destination
    supplier_name: str
    supplier_address: str
    package: int  # this carton, 1-based
    packages: int  # cartons of the order

    @property
    def package_line(self) -> str | None:
        """`PKG 2/3` on a multi-package order's label; nothing on a one-carton order."""
        return f"PKG {self.package}/{self.packages}" if self.packages > 1 else None


def get_labels(
    session: Session, *, order_no: str, package: int | None = None
) -> list[LabelContent]:
    """One label per carton of the order (or only carton `package`); NotFound for no such order."""
    order = session.get(Order, order_no.strip())
    if order is None:
        raise NotFound(f"no order {order_no.strip()[:64]!r} in the order book")
    supplier = session.get(Supplier, order.supplier_id)
    assert supplier is not None  # a foreign key guarantees it
    if package is not None and not 1 <= package <= order.packages:
        raise InvalidInput(
            f"order {order.order_no} has {order.packages} package(s): no package {package}"
        )
    numbers = [package] if package is not None else range(1, order.packages + 1)
    country = order.buyer_country.upper()
    return [
        LabelContent(
            order_no=order.order_no,
            header=HEADER,
            buyer_name=order.buyer_name.strip(),
            buyer_address=" ".join(order.buyer_address.split()),
            buyer_postcode=order.buyer_postcode.strip(),
            country_code=country,
            country_name=country_name(country),
            supplier_name=supplier.name.strip(),
            supplier_address=" ".join(supplier.address.split()),
            package=n,
            packages=order.packages,
        )
        for n in numbers
    ]


def country_name(code: str) -> str:
    """The country's short English name in capitals (`VN` -> `VIETNAM`); the code if unknown."""
    return _country_names().get(code.upper(), code.upper())


@functools.cache
def _country_names() -> dict[str, str]:
    try:
        entries = json.loads(ISO_3166_FILE.read_text(encoding="utf-8"))["3166-1"]
    except (OSError, ValueError, KeyError) as exc:
        raise MissingSystemFile(
            f"cannot read the country names {ISO_3166_FILE} ({exc.__class__.__name__}): "
            "run scripts/setup.sh (Debian package iso-codes)"
        ) from exc
    # The common name where ISO's is formal ("Viet Nam" -> "Vietnam", "Korea, Republic of").
    return {e["alpha_2"]: e.get("common_name", e["name"]).upper() for e in entries}
