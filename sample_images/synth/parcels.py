"""What is on a parcel: waybills, platform labels, stickers and printed codes, laid out in mm."""

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np
import zxingcpp

from synth.fonts import text_length

Rng = np.random.Generator
Mat = np.ndarray
LINEAR = ("Code128", "Code39", "Code93", "ITF", "EAN13", "EAN8", "UPCA", "UPCE")
QUIET = {"QRCode": 4, "DataMatrix": 2, "PDF417": 2}  # modules; every linear code gets 10
# Module widths (mm) a label printer would use; a code's pixels-per-bar target is clipped to them.
PHYSICAL = {"QRCode": (0.3, 1.0), "DataMatrix": (0.3, 0.8), "PDF417": (0.2, 0.5)}


def _digits(rng: Rng, n: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, n))


def _s10(rng: Rng) -> str:
    """A UPU S10 item number (EMS) with its mod-11 check digit."""
    serial = _digits(rng, 8)
    total = sum(int(d) * w for d, w in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    check = {10: 0, 11: 5}.get(11 - total % 11, 11 - total % 11)
    return str(rng.choice(["EA", "EB", "EE", "EM", "EV"])) + serial + str(check) + "CN"


CARRIERS: dict[str, tuple[str, Callable[[Rng], str]]] = {
    "SF": ("顺丰速运 SF Express", lambda r: "SF" + _digits(r, 13)),
    "ZTO": ("中通快递 ZTO", lambda r: str(r.choice(["73", "75", "78"])) + _digits(r, 10)),
    "YTO": ("圆通速递 YTO", lambda r: "YT" + _digits(r, 13)),
    "Yunda": ("韵达快递 Yunda", lambda r: str(r.choice(["43", "46"])) + _digits(r, 11)),
    "J&T": ("极兔速递 J&T Express", lambda r: "JT" + _digits(r, 13)),
    "JD": ("京东物流 JD", lambda r: "JDV" + _digits(r, 12)),
    "EMS": ("中国邮政 EMS", _s10),
}
WAREHOUSE = ("跨境集运仓 收货组", "广东省东莞市虎门镇港口大道88号 集运中心3号门")
SUPPLIERS = (  # name, address, contact
    ("义乌市佳禾日用品有限公司", "浙江省金华市义乌市稠城街道工人北路1088号", "张先生"),
    ("深圳市星联电子科技有限公司", "广东省深圳市宝安区西乡街道固戍二路35号", "李女士"),
    ("广州市美妍化妆品有限公司", "广东省广州市白云区太和镇大源北路12号", "王经理"),
    ("泉州市鑫达鞋业有限公司", "福建省泉州市晋江市陈埭镇江头工业区8号", "陈小姐"),
    ("杭州织梦服饰有限公司", "浙江省杭州市余杭区临平街道南苑路66号", "刘先生"),
    ("东莞市恒通五金制品厂", "广东省东莞市长安镇锦厦社区振安路19号", "黄经理"),
)
BUYERS = (  # name, street, city line, country, ISO code, postcode
    (
        "Emily Johnson",
        "1427 Maple Avenue Apt 3B",
        "Springfield, IL 62704",
        "United States",
        "US",
        "62704",
    ),
    ("Oliver Smith", "22 Baker Street", "London W1U 3BW", "United Kingdom", "GB", "W1U 3BW"),
    ("Lukas Müller", "Hauptstraße 15", "10115 Berlin", "Germany", "DE", "10115"),
    ("Chloé Martin", "8 Rue de la Paix", "75002 Paris", "France", "FR", "75002"),
    (
        "Nur Aisyah binti Ahmad",
        "No. 12, Jalan SS2/24",
        "47300 Petaling Jaya",
        "Malaysia",
        "MY",
        "47300",
    ),
    (
        "Somchai Prasert",
        "99/5 Sukhumvit Soi 24",
        "Khlong Toei, Bangkok 10110",
        "Thailand",
        "TH",
        "10110",
    ),
    ("Nguyễn Văn An", "25 Lý Thường Kiệt", "Hoàn Kiếm, Hà Nội 100000", "Vietnam", "VN", "100000"),
    (
        "Maria Santos",
        "45 Rizal Street, Brgy. San Roque",
        "Quezon City 1109",
        "Philippines",
        "PH",
        "1109",
    ),
    (
        "Tan Wei Ming",
        "Blk 123 Ang Mo Kio Ave 3 #05-67",
        "Singapore 560123",
        "Singapore",
        "SG",
        "560123",
    ),
    ("Lucía García", "Calle Mayor 10, 2ºB", "28013 Madrid", "Spain", "ES", "28013"),
    (
        "José Hernández",
        "Av. Insurgentes Sur 1602",
        "03940 Ciudad de México",
        "Mexico",
        "MX",
        "03940",
    ),
)
FOREIGN_URLS = (
    "https://shop.example.com/item/{n}",
    "https://www.example.net/coupon/{n}?src=label",
    "https://m.example.org/store/{n}",
)


def _gtin(body: str) -> str:
    """`body` with its GS1 mod-10 check digit appended."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def product_code(rng: Rng, fmt: str) -> str:
    """A valid product or case number for the symbology (UPC-A as 12 digits, UPC-E as 8)."""
    if fmt == "EAN13":
        return _gtin("69" + _digits(rng, 10))
    if fmt == "EAN8":
        return _gtin("69" + _digits(rng, 5))
    if fmt == "UPCA":
        return _gtin("0" + _digits(rng, 10))
    if fmt == "UPCE":  # 0 abcdX L with X > 0 and L in 5..9 stands for UPC-A 0 abcdX 0000 L
        body = _digits(rng, 4) + str(rng.integers(1, 10)) + str(rng.integers(5, 10))
        return "0" + body + _gtin("0" + body[:5] + "0000" + body[5])[-1]
    return _gtin("169" + _digits(rng, 10))  # ITF-14 case code


def translate(x: float, y: float) -> Mat:
    """A 3x3 translation."""
    return np.array([[1.0, 0, x], [0, 1, y], [0, 0, 1]])


def apply(m: Mat, pts: Mat) -> Mat:
    """Points (n x 2) through the 3x3 projective transform `m`."""
    p = np.c_[pts, np.ones(len(pts))] @ m.T
    return p[:, :2] / p[:, 2:]


@dataclass(eq=False)
class Code:
    """A code on a label: content, role, and its symbol's top-left corner and module size in mm."""

    fmt: str
    text: str
    role: str
    dark: Mat  # module grid, True = dark (a single row for linear codes)
    module_mm: float
    height_mm: float
    x_mm: float = 0.0
    y_mm: float = 0.0

    @property
    def width_mm(self) -> float:
        return float(self.dark.shape[1]) * self.module_mm

    @property
    def quiet_mm(self) -> float:
        return QUIET.get(self.fmt, 10) * self.module_mm


@dataclass
class Text:
    x: float
    y: float  # top of the text, mm
    text: str
    kind: str  # "sans" | "bold" | "mono" | "cjk"
    size: float  # mm
    align: str = "l"
    fill: int = 0  # 0: the label's ink


@dataclass(eq=False)
class Label:
    """A paper label (or ink printed on the cardboard) in mm, and its pose on the carton."""

    kind: str  # "paper" | "print"
    w_mm: float
    h_mm: float = 0.0
    texts: list[Text] = field(default_factory=list)
    boxes: list[tuple[float, float, float, float, int]] = field(default_factory=list)
    codes: list[Code] = field(default_factory=list)
    cx: float = 0.0  # centre on the carton face, mm
    cy: float = 0.0
    angle: float = 0.0
    ink: int = 25

    def to_plane(self) -> Mat:
        """Label mm -> carton-face mm."""
        a = math.radians(self.angle)
        c, s = math.cos(a), math.sin(a)
        rot = np.array([[c, -s, self.cx], [s, c, self.cy], [0, 0, 1]])
        return rot @ translate(-self.w_mm / 2, -self.h_mm / 2)

    def corners_plane(self, pad: float = 0.0) -> Mat:
        """The label's corners on the carton face, grown by `pad` mm."""
        x0, y0, x1, y1 = -pad, -pad, self.w_mm + pad, self.h_mm + pad
        return apply(self.to_plane(), np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)]))


@lru_cache(maxsize=64)
def _modules(fmt: str, text: str) -> Mat:
    barcode = zxingcpp.create_barcode(text, getattr(zxingcpp.BarcodeFormat, fmt))
    pixels = np.asarray(zxingcpp.write_barcode_to_image(barcode, scale=1, add_quiet_zones=False))
    dark = pixels < 128
    return dark[:1] if fmt in LINEAR else dark


def make_code(
    rng: Rng, fmt: str, text: str, role: str, s: float, room_mm: float, ppb: tuple[float, float]
) -> Code:
    """A code whose module is `ppb` pixels at `s` px/mm, within print limits and `room_mm` wide."""
    dark = _modules(fmt, text)
    lo, hi = PHYSICAL.get(fmt, (0.15, 0.6))
    module = float(np.clip(rng.uniform(*ppb) / s, lo, hi))
    module = min(module, room_mm / (dark.shape[1] + 2 * QUIET.get(fmt, 10)))
    if fmt in LINEAR:
        height = float(np.clip(dark.shape[1] * module * rng.uniform(0.22, 0.4), 7, 22))
    else:
        height = dark.shape[0] * module
    return Code(fmt, text, role, dark, module, height)


class Sheet:
    """Lays a label out from the top down, the way a label template does."""

    def __init__(self, label: Label, margin: float = 3.0) -> None:
        self.label, self.margin, self.y = label, margin, margin

    @property
    def room(self) -> float:
        return self.label.w_mm - 2 * self.margin

    def text(self, text: str, kind: str, size: float, *, align: str = "l", fill: int = 0) -> None:
        size = min(size, self.room / max(text_length(text, kind), 1e-6))
        x = {"l": self.margin, "m": self.label.w_mm / 2, "r": self.label.w_mm - self.margin}[align]
        self.label.texts.append(Text(x, self.y, text, kind, size, align, fill))
        self.y += size * 1.3

    def rule(self, gap: float = 1.2) -> None:
        self.label.boxes.append(
            (self.margin, self.y, self.label.w_mm - self.margin, self.y + 0.3, 0)
        )
        self.y += 0.3 + gap

    def code(self, code: Code, hrt: str | None = None, gap: float = 1.5) -> None:
        code.x_mm, code.y_mm = (self.label.w_mm - code.width_mm) / 2, self.y + gap
        self.label.codes.append(code)
        self.y += code.height_mm + 2 * gap
        if hrt:
            self.y -= gap - 0.5
            self.text(hrt, "mono", float(np.clip(code.module_mm * 9, 2.2, 3.8)), align="m")

    def row(self, codes: list[tuple[Code, str]]) -> None:
        """2D codes side by side (wrapping), each with a caption beneath."""
        x, tallest, right = self.margin, 0.0, self.label.w_mm - self.margin
        for code, caption in codes:
            q = code.quiet_mm
            if x + code.width_mm + 2 * q > right + 0.01 and x > self.margin:
                self.y, x, tallest = self.y + tallest, self.margin, 0.0
            code.x_mm, code.y_mm = x + q, self.y + q
            self.label.codes.append(code)
            below = code.y_mm + code.height_mm + 0.8
            self.label.texts.append(Text(x + q, below, caption, "cjk", 2.2))
            tallest = max(tallest, code.height_mm + 2 * q + 3.1)
            x += code.width_mm + 2 * q + 2
        self.y += tallest

    def finish(self) -> Label:
        self.label.h_mm = self.y + self.margin
        return self.label


def _spaced(text: str) -> str:
    """A tracking number as printed under its bars: letters apart, digits in groups."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    head, tail = len(text) - len(text.lstrip(letters)), len(text) - len(text.rstrip(letters))
    body = text[head : len(text) - tail]
    step = 3 if len(body) == 9 else 4
    groups = [body[i : i + step] for i in range(0, len(body), step)]
    return " ".join(p for p in [text[:head], *groups, text[len(text) - tail :]] if p)


def _masked_phone(rng: Rng) -> str:
    return f"1{rng.choice([38, 39, 58, 86, 77])}****{_digits(rng, 4)}"


def waybill(
    rng: Rng,
    s: float,
    ppb: float,
    carrier: str,
    supplier: tuple[str, ...],
    tracking: str | None = None,
) -> Label:
    """A carrier e-waybill: header, big Code 128 of the tracking number, routing, addresses.

    `tracking` prints a given number (else one is drawn from the carrier's format)."""
    tracking = tracking or CARRIERS[carrier][1](rng)
    sheet = Sheet(Label("paper", float(rng.choice([76.0, 100.0]))))
    sheet.text(CARRIERS[carrier][0], "cjk", 5.5)
    w = sheet.label.w_mm
    sheet.label.boxes.append((w - 21, 2.5, w - 3, 8.5, 0))
    product = str(rng.choice(["标快", "特快", "电商"]))
    sheet.label.texts.append(Text(w - 12, 3.6, product, "cjk", 4, "m", 255))
    sheet.rule()
    sheet.code(
        make_code(rng, "Code128", tracking, "waybill", s, sheet.room, (ppb, ppb)), _spaced(tracking)
    )
    sheet.rule()
    sheet.text(
        f"{rng.integers(100, 999)}W-{rng.integers(10, 99)}-{rng.choice(list('ABCD'))}", "bold", 7
    )
    sheet.text("集包地: 东莞转运中心   " + str(rng.choice(["A01", "B12", "C07"])), "cjk", 3.0)
    sheet.rule()
    sheet.text(f"收 {WAREHOUSE[0]}  {_masked_phone(rng)}", "cjk", 3.4)
    sheet.text(WAREHOUSE[1], "cjk", 3.0)
    sheet.rule()
    sheet.text(f"寄 {supplier[2]}  {_masked_phone(rng)}", "cjk", 3.0)
    sheet.text(supplier[1], "cjk", 2.6)
    sheet.rule()
    if rng.random() < 0.5:  # the tear-off copy repeats the number in smaller bars
        copy_ppb = (max(1.5, 0.6 * ppb), max(1.5, 0.85 * ppb))
        copy = make_code(rng, "Code128", tracking, "waybill", s, sheet.room * 0.8, copy_ppb)
        copy.height_mm = float(np.clip(copy.height_mm * 0.6, 6, 10))
        sheet.code(copy, tracking)
    sheet.text("签收人:                  时间:", "cjk", 2.6)
    return sheet.finish()


def platform_label(
    rng: Rng, s: float, order: str, buyer: tuple[str, ...], supplier: tuple[str, ...]
) -> Label:
    """The platform's shipping label: order barcode, buyer and address, supplier, maybe 2D codes."""
    sheet = Sheet(Label("paper", 100.0))
    sheet.label.texts.append(Text(97, sheet.y, buyer[4], "bold", 7, "r"))
    sheet.text("TikTok Shop", "bold", 5.5)
    sheet.text("Cross-border Shipping Label 跨境物流面单", "cjk", 2.6)
    sheet.rule()
    sheet.text("Order No. 订单号", "cjk", 2.8)
    sheet.code(make_code(rng, "Code128", order, "order", s, sheet.room, (1.5, 4.0)), order)
    sheet.rule()
    sheet.text("SHIP TO", "bold", 2.8)
    sheet.text(buyer[0], "bold", 3.8)
    sheet.text(buyer[1], "sans", 3.2)
    sheet.text(buyer[2], "sans", 3.2)
    sheet.text(buyer[3].upper(), "bold", 3.2)
    sheet.rule()
    sheet.text("FROM 发货方", "cjk", 2.6)
    sheet.text(supplier[0], "cjk", 3.0)
    sheet.text(supplier[1], "cjk", 2.6)
    extras = _label_2d_codes(rng, s, order, buyer)
    if extras:
        sheet.rule()
        sheet.row(extras)
    return sheet.finish()


def _label_2d_codes(
    rng: Rng, s: float, order: str, buyer: tuple[str, ...]
) -> list[tuple[Code, str]]:
    """Maybe a QR code (the order number, or a shop link the label must not carry), DM, PDF417."""
    codes = []
    if rng.random() < 0.6:
        url = str(rng.choice(FOREIGN_URLS)).format(n=rng.integers(100, 99999))
        text, role, caption = (url, "foreign_qr", "扫码关注店铺 领优惠券")
        if rng.random() < 0.5:
            text, role, caption = (order, "order_qr", "Order QR")
        codes.append((make_code(rng, "QRCode", text, role, s, 30, (1.8, 5.0)), caption))
    if rng.random() < 0.4:
        codes.append((make_code(rng, "DataMatrix", order, "order", s, 24, (1.8, 5.0)), "DM"))
    if rng.random() < 0.35:
        content = f"ORDER:{order};ZIP:{buyer[5]};CC:{buyer[4]}"
        codes.append((make_code(rng, "PDF417", content, "other", s, 60, (1.8, 4.5)), "PDF417"))
    return codes


def sticker(rng: Rng, s: float, fmt: str) -> Label:
    """A small white sticker with a Code 39 carton number or a Code 93 storage location."""
    if fmt == "Code39":
        text, caption = f"CTN-{_digits(rng, 6)}", "CARTON 箱号"
    else:
        text, caption = (
            f"LOC-{rng.choice(list('ABC'))}{_digits(rng, 2)}-{_digits(rng, 2)}",
            "库位 LOCATION",
        )
    code = make_code(rng, fmt, text, "other", s, 80, (1.5, 4.0))
    sheet = Sheet(Label("paper", code.width_mm + 2 * code.quiet_mm + 2), margin=1.5)
    sheet.text(caption, "cjk", 2.6)
    sheet.code(code, text, gap=1.0)
    return sheet.finish()


def carton_print(rng: Rng, s: float, fmt: str) -> Label:
    """A product or case code printed straight on the cardboard."""
    text = product_code(rng, fmt)
    code = make_code(rng, fmt, text, "product", s, 90, (1.5, 4.0))
    sheet = Sheet(Label("print", code.width_mm + 2 * code.quiet_mm + 4, ink=40), margin=2)
    sheet.code(code, text)
    if fmt == "ITF" and rng.random() < 0.5:  # bearer bars above and below the bars
        x0, x1 = code.x_mm - code.quiet_mm * 0.8, code.x_mm + code.width_mm + code.quiet_mm * 0.8
        top, bottom, bar = code.y_mm, code.y_mm + code.height_mm, code.module_mm * 2.5
        sheet.label.boxes += [(x0, top - bar, x1, top, 0), (x0, bottom, x1, bottom + bar, 0)]
    return sheet.finish()


def packing_list(rng: Rng) -> Label:
    """A sheet of printed text without any code, for empty frames."""
    sheet = Sheet(Label("paper", 120.0), margin=6)
    sheet.text("PACKING LIST 装箱单", "cjk", 6)
    for i in range(8):
        sheet.text(
            f"{i + 1:02d}  SKU-{_digits(rng, 6)}  x{rng.integers(1, 20)}  数量核对", "cjk", 3.5
        )
    return sheet.finish()


def _overlaps(a: Mat, others: list[Mat]) -> bool:
    a32 = a.astype(np.float32)
    return any(cv2.intersectConvexConvex(a32, o.astype(np.float32))[0] > 0 for o in others)


def place(rng: Rng, label: Label, placed: list[Label], angle: float) -> bool:
    """Put `label` near the ones already on the carton face, overlapping none of them."""
    label.angle = angle
    taken = [p.corners_plane(pad=3) for p in placed]
    reach = (
        max(math.hypot(p.w_mm, p.h_mm) for p in placed) / 2 + math.hypot(label.w_mm, label.h_mm) / 2
    )
    for attempt in range(300):
        d, a = rng.uniform(0.5, 1.0 + attempt / 100) * reach, rng.uniform(0, 2 * math.pi)
        label.cx, label.cy = placed[0].cx + d * math.cos(a), placed[0].cy + d * math.sin(a)
        if not _overlaps(label.corners_plane(), taken):
            return True
    return False


def build_labels(
    rng: Rng, s: float, ppb: float, *, platform: bool, product: str = "", sticker_fmt: str = ""
) -> list[Label]:
    """One carton's labels on its face around the waybill at (0, 0), the waybill first; maybe a
    platform label, a product code printed on the cardboard, a carton or location sticker."""
    carrier = str(rng.choice(list(CARRIERS)))
    supplier = SUPPLIERS[int(rng.integers(0, len(SUPPLIERS)))]
    first = waybill(rng, s, ppb, carrier, supplier)
    first.angle = rng.uniform(-3, 3)
    labels, more = [first], []
    if platform:
        order = "5764" + _digits(rng, 14)
        buyer = BUYERS[int(rng.integers(0, len(BUYERS)))]
        turn = float(rng.choice([0, 0, 0, 90, 180, 270])) + rng.uniform(-4, 4)
        more.append((platform_label(rng, s, order, buyer, supplier), turn))
    if product:
        more.append((carton_print(rng, s, product), float(rng.choice([0, 90, 180, 270]))))
    if sticker_fmt:
        more.append((sticker(rng, s, sticker_fmt), rng.uniform(-10, 10)))
    for label, angle in more:
        if place(rng, label, labels, angle):
            labels.append(label)
    return labels
