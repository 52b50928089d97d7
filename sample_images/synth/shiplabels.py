"""Platform shipping labels with known content and known defects, for label inspection (issue 4).

A label is laid out from a `Printed` record (what the supplier's printer put on it) in mm, with
its module sizes fixed in mm, so that the same record gives the same label on every carton (two
cartons with one label are the `duplicate` defect). `compose_smudged` is `drawing.compose` with ink
smears or fading over parts of a label, and `text_box` maps a printed line to image pixels.
"""

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from synth.drawing import Scene, _paste, render_label, smooth_noise, table_with_carton, warp_into
from synth.fonts import text_length
from synth.parcels import Code, Label, Mat, Rng, Sheet, Text, apply, make_code

# Buyers per destination: name, street, city line (with the postcode), country, postcode.
BUYERS: dict[str, list[tuple[str, str, str, str, str]]] = {
    "US": [
        ("Emily Johnson", "1427 Maple Avenue Apt 3B", "Springfield, IL 62704", "United States",
         "62704"),
        ("Michael Brown", "880 Congress Avenue Suite 210", "Austin, TX 78701-2345",
         "United States", "78701-2345"),
        ("Sarah Miller", "52 Ocean Drive", "Miami Beach, FL 33139", "United States", "33139"),
        ("David Wilson", "3100 Pine Street Unit 7", "Seattle, WA 98101-1830", "United States",
         "98101-1830"),
    ],
    "GB": [
        ("Oliver Smith", "22 Baker Street", "London W1U 3BW", "United Kingdom", "W1U 3BW"),
        ("Amelia Clarke", "Flat 4, 17 Deansgate", "Manchester M3 4LZ", "United Kingdom",
         "M3 4LZ"),
        ("Harry Evans", "9 Queen Street", "Edinburgh EH2 1JX", "United Kingdom", "EH2 1JX"),
    ],
    "MY": [
        ("Nur Aisyah binti Ahmad", "No. 12, Jalan SS2/24", "47300 Petaling Jaya, Selangor",
         "Malaysia", "47300"),
        ("Lim Chee Keong", "28 Lorong Kulit", "10460 George Town, Penang", "Malaysia", "10460"),
        ("Muhammad Hafiz", "Lot 5, Jalan Tun Razak", "50400 Kuala Lumpur", "Malaysia", "50400"),
    ],
    "TH": [
        ("Somchai Prasert", "99/5 Sukhumvit Soi 24", "Khlong Toei, Bangkok 10110", "Thailand",
         "10110"),
        ("Kanya Srisuk", "45 Nimmanhaemin Road", "Mueang, Chiang Mai 50200", "Thailand", "50200"),
    ],
    "VN": [
        ("Nguyễn Văn An", "25 Lý Thường Kiệt", "Hoàn Kiếm, Hà Nội 100000", "Vietnam", "100000"),
        ("Trần Thị Hương", "12 Nguyễn Huệ, Quận 1", "TP. Hồ Chí Minh 700000", "Vietnam",
         "700000"),
        ("Đặng Quốc Bảo", "88 Bạch Đằng", "Hải Châu, Đà Nẵng 550000", "Vietnam", "550000"),
        ("Phạm Thị Ngọc Ánh", "7 Trần Phú", "Nha Trang, Khánh Hòa 650000", "Vietnam", "650000"),
    ],
    "PH": [
        ("Maria Santos", "45 Rizal Street, Brgy. San Roque", "Quezon City 1109", "Philippines",
         "1109"),
        ("Jose Reyes", "18 Mabini Street", "Cebu City 6000", "Philippines", "6000"),
    ],
    "SG": [
        ("Tan Wei Ming", "Blk 123 Ang Mo Kio Ave 3 #05-67", "Singapore 560123", "Singapore",
         "560123"),
        ("Priya Nair", "20 Orchard Road #12-01", "Singapore 238830", "Singapore", "238830"),
    ],
    "ID": [
        ("Budi Santoso", "Jl. Sudirman No. 45, Setiabudi", "Jakarta Selatan 12910", "Indonesia",
         "12910"),
        ("Siti Rahmawati", "Jl. Malioboro No. 60", "Yogyakarta 55213", "Indonesia", "55213"),
    ],
}  # fmt: skip
# Another valid code of the country's format, for postcode_mismatch.
OTHER_POSTCODE = {
    "62704": "62711", "78701-2345": "78745-1102", "33139": "33180", "98101-1830": "98133-4410",
    "W1U 3BW": "SW1A 1AA", "M3 4LZ": "M14 5RT", "EH2 1JX": "EH8 9YL", "47300": "47810",
    "10460": "11900", "50400": "56100", "10110": "10250", "50200": "50300", "100000": "118000",
    "700000": "760000", "550000": "560000", "650000": "630000", "1109": "1630", "6000": "6014",
    "560123": "529889", "238830": "159953", "12910": "14240", "55213": "55581",
}  # fmt: skip

# Text a label must not carry: (kind, the caption printed before it, the item, defect code).
FORBIDDEN_TEXT = {
    "phone_us": ("phone", "Customer service ", "+1 555-014-2273", "forbidden_contact"),
    "phone_cn": ("phone", "联系电话 ", "13812345678", "forbidden_contact"),
    "email": ("email", "Email: ", "support@happyshop-deals.com", "forbidden_contact"),
    "wechat": ("chat", "After-sales ", "WeChat: shop_abc", "forbidden_contact"),
    "whatsapp": ("chat", "", "WhatsApp +60 12-345 6789", "forbidden_contact"),
    "line": ("chat", "", "LINE ID: happyshop88", "forbidden_contact"),
    "telegram": ("chat", "Deals on ", "Telegram @shopabc_deals", "forbidden_contact"),
    "www": ("url", "Shop more at ", "www.happyshop-deals.com", "forbidden_link"),
    "https": ("url", "", "https://shop.example.com/item/48213", "forbidden_link"),
    "tme": ("url", "Join ", "t.me/shop_abc_deals", "forbidden_link"),
    "bare": ("url", "Follow us ", "facebook.com/happyshop88", "forbidden_link"),
}
FORBIDDEN_QR = (
    "https://shop.example.com/item/48213?src=label",
    "https://u.wechat.com/EAbc123xyz",
    "weixin://dl/chat?shop_abc",
    "https://line.me/ti/p/~happyshop88",
)


@dataclass
class Printed:
    """What is printed on one shipping label; None for a field left off."""

    order_no: str | None
    buyer_name: str | None
    street: str | None
    city: str | None  # the city line, with the postcode unless it is left off
    country: str
    iso: str
    postcode: str | None  # as printed (in the city line, or on its own line)
    supplier_name: str | None
    supplier_address: str | None
    package: str | None = None  # "1/2"
    capitals: bool = False
    qr: list[tuple[str, str]] = field(default_factory=list)  # (content, role)
    extras: list[str] = field(default_factory=list)  # keys of FORBIDDEN_TEXT
    postcode_line: bool = False  # the postcode on its own line ("ZIP 62704"), no address

    def up(self, text: str) -> str:
        return text.upper() if self.capitals else text


@dataclass(eq=False)
class Laid:
    """A laid-out label and where each of its fields went."""

    label: Label
    fields: dict[str, Text]
    extras: list[tuple[str, Text, int]]  # (key, line, characters of caption before the item)
    order_code: Code | None
    qr_codes: list[Code]
    order_area: tuple[float, float, float, float] | None  # mm: x0, y0, x1, y1


def lay_out(rng: Rng, p: Printed) -> Laid:
    """The label in mm. Field text 3.6-5 mm high: 18 px and more at 5 px/mm."""
    sheet = Sheet(Label("paper", 100.0))
    fields: dict[str, Text] = {}
    label = sheet.label
    label.texts.append(Text(97, sheet.y, p.iso, "bold", 7, "r"))
    sheet.text(p.up("TikTok Shop"), "bold", 6)
    sheet.text("Cross-border Shipping Label 跨境物流面单", "cjk", 3.0)
    sheet.rule()
    order_code, area = None, None
    if p.order_no is not None:
        top = sheet.y
        sheet.text("Order No. 订单号", "cjk", 3.4)
        order_code = make_code(rng, "Code128", p.order_no, "order", 1.0, sheet.room, (0.6, 0.6))
        sheet.code(order_code, None, gap=1.2)
        sheet.y += 0.3
        sheet.text(p.order_no, "mono", 4.2, align="m")
        fields["order_no"] = label.texts[-1]
        area = (2.0, top + 4.2, 98.0, sheet.y)
        if p.package:
            label.texts.append(Text(97, top, f"PKG {p.package}", "bold", 4.4, "r"))
            fields["package"] = label.texts[-1]
        sheet.rule()
    sheet.text("SHIP TO 收件人", "cjk", 3.2)
    for key, text, kind, size in (
        ("buyer_name", p.buyer_name, "bold", 5.0),
        ("street", p.street, "sans", 4.2),
        ("city", p.city, "sans", 4.2),
    ):
        if text:
            sheet.text(p.up(text), kind, size)
            fields[key] = label.texts[-1]
    if p.postcode_line and p.postcode:
        word = {"US": "ZIP", "GB": "Postcode"}.get(p.iso, "Postal code")
        sheet.text(f"{p.up(word)}: {p.postcode}", "sans", 4.2)
        fields["postcode_line"] = label.texts[-1]
    sheet.text(p.country.upper(), "bold", 4.2)
    fields["country"] = label.texts[-1]
    sheet.rule()
    if p.supplier_name or p.supplier_address:
        sheet.text("FROM 发货方", "cjk", 3.2)
        for key, text, size in (
            ("supplier_name", p.supplier_name, 4.0),
            ("supplier_address", p.supplier_address, 3.6),
        ):
            if text:
                sheet.text(text, "cjk", size)
                fields[key] = label.texts[-1]
    extras = []
    for key in p.extras:
        _, caption, item, _ = FORBIDDEN_TEXT[key]
        sheet.text(caption + item, "cjk" if any(ord(c) > 0x2E80 for c in caption) else "sans", 3.8)
        extras.append((key, label.texts[-1], len(caption)))
    qr_codes = []
    if p.qr:
        sheet.rule()
        row = []
        for content, role in p.qr:
            code = make_code(rng, "QRCode", content, role, 1.0, 30, (0.75, 0.75))
            caption = {"order_qr": "Order QR", "tracking_qr": "Tracking 运单"}.get(
                role, "扫码关注店铺 领优惠券"
            )
            row.append((code, caption))
            qr_codes.append(code)
        sheet.row(row)
        for t in label.texts[-len(row) :]:
            t.size = 3.0
        sheet.y += 1.5
    return Laid(sheet.finish(), fields, extras, order_code, qr_codes, area)


def text_box(
    scene: Scene, label: Label, t: Text, skip: int = 0, count: int | None = None
) -> list[int]:
    """A printed line (`count` characters from the `skip`-th) in image px: [x, y, width, height]."""
    part = t.text[skip:] if count is None else t.text[skip : skip + count]
    full = text_length(t.text, t.kind) * t.size
    x0 = t.x - full * {"l": 0.0, "m": 0.5, "r": 1.0}[t.align]
    x0 += text_length(t.text[:skip], t.kind) * t.size if skip else 0.0
    x1 = x0 + text_length(part, t.kind) * t.size
    corners = np.array([(x0, t.y), (x1, t.y), (x1, t.y + t.size), (x0, t.y + t.size)])
    pts = apply(scene.h @ label.to_plane(), corners)
    lo, hi = pts.min(0), pts.max(0)
    return [round(float(lo[0])), round(float(lo[1])), round(float(hi[0] - lo[0])),
            round(float(hi[1] - lo[1]))]  # fmt: skip


def text_px(scene: Scene, label: Label, t: Text) -> float:
    """The line's font size in image pixels (its em square's height, at its middle)."""
    mid = np.array([(t.x, t.y), (t.x, t.y + t.size)])
    a, b = apply(scene.h @ label.to_plane(), mid)
    return float(math.hypot(*(b - a)))


def smudge(
    rng: Rng, pixels: Mat, s: float, area: tuple[float, float, float, float], how: str
) -> None:
    """Ink smeared over (or the print faded from) a rectangle of a rendered label, in place."""
    x0, y0, x1, y1 = (round(v * s) for v in area)
    region = pixels[y0:y1, x0:x1].astype(np.float32)
    h, w = region.shape
    if how == "faded":  # a thermal label left in the sun: ghosts of the bars and digits
        region = 255 - (255 - cv2.GaussianBlur(region, (0, 0), 0.8 * s)) * 0.12
    else:  # wet ink wiped across: bars and digits smeared into a grey blot
        blurred = cv2.GaussianBlur(region, (0, 0), 2.5 * s, sigmaY=0.8 * s)
        blot = np.clip(0.55 + 0.35 * smooth_noise(rng, w, h, 5), 0.15, 1)
        region = blurred * (1 - 0.6 * blot) + 0.4 * blot * 40
    pixels[y0:y1, x0:x1] = np.clip(region, 0, 255).astype(np.uint8)


def compose_smudged(
    rng: Rng, scene: Scene, smudges: dict[int, tuple[tuple[float, float, float, float], str]]
) -> Mat:
    """`drawing.compose` with the smudges (label index -> mm rectangle, how) applied."""
    img = table_with_carton(rng, scene)
    for i, label in enumerate(scene.labels):
        m = scene.h @ label.to_plane() @ np.diag([1 / scene.s, 1 / scene.s, 1])
        pixels = render_label(label, scene.s)
        if i in smudges:
            smudge(rng, pixels, scene.s, *smudges[i])
        warped = warp_into(img, pixels.astype(np.float32), m, 255)
        tint = np.array(rng.uniform([0.93, 0.96, 0.97], [0.98, 1.0, 1.0]), np.float32)
        _paste(img, warped, tint)
    return img
