"""Photos of cartons whose platform shipping label has known content and known defects (issue 4).

`.venv/bin/python sample_images/labels/generate.py [--out DIR]` rewrites every photo and
manifest.json here from one fixed seed. README.md here tells what the files show and what the
manifest says.
"""

import argparse
import csv
import json
import math
import os
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from synth.drawing import Scene, camera, seam_tape, symbol_quads  # noqa: E402
from synth.parcels import CARRIERS, SUPPLIERS, Label, Rng, _overlaps, translate, waybill  # noqa: E402
from synth.shiplabels import (  # noqa: E402
    BUYERS,
    FORBIDDEN_QR,
    FORBIDDEN_TEXT,
    OTHER_POSTCODE,
    Laid,
    Printed,
    compose_smudged,
    lay_out,
    text_box,
    text_px,
)

SEED = 20250611
COUNTRIES = ("US", "GB", "MY", "TH", "VN", "PH", "SG", "ID")
# Where a platform label's content is planned; the order comes from the book.
MISSING = ("buyer_name", "address", "postcode", "order_number", "supplier")


@dataclass
class Order:
    order_no: str
    iso: str
    buyer: tuple[str, str, str, str, str]  # name, street, city line, country, postcode
    supplier: tuple[str, str, str]
    carrier: str
    tracking_nos: list[str] = field(default_factory=list)


@dataclass
class Case:
    """One photo: the carton's order, its label as planned, and its waybill."""

    order: int
    label: bool = True
    registered: bool = True  # the carton's waybill is registered to its order in the book
    missing: tuple[str, ...] = ()
    other_buyer: bool = False
    other_postcode: bool = False
    order_no: str = ""  # "unknown": a number not in the book; "N": order N's number
    swap: int | None = None  # the whole label is order N's
    qr: tuple[str, ...] = ()  # "order", "tracking", or an index into FORBIDDEN_QR
    extras: tuple[str, ...] = ()
    capitals: bool = False
    package: str | None = None
    smudge: str | None = None  # "smeared" | "faded": the order area
    dup_of: int | None = None  # this carton's label is case N's label
    same_waybill: bool = False  # ... and so is its waybill
    tracking: str = ""  # filled in by plan()


def _digits(rng: Rng, n: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, n))


def order_book(rng: Rng, n: int) -> list[Order]:
    """n orders, the destinations in turn, each buyer once before any twice."""
    seen: dict[str, int] = {}
    orders = []
    for i in range(n):
        iso = COUNTRIES[i % len(COUNTRIES)]
        k = seen.get(iso, 0)
        seen[iso] = k + 1
        buyers = BUYERS[iso]
        orders.append(
            Order(
                "5764" + _digits(rng, 14),
                iso,
                buyers[k % len(buyers)],
                SUPPLIERS[int(rng.integers(0, len(SUPPLIERS)))],
                str(rng.choice(list(CARRIERS))),
            )
        )
    return orders


def plan() -> tuple[list[Order], list[Case]]:
    """The cases: every defect several times, correct labels of every kind, duplicates in pairs."""
    rng = np.random.default_rng([SEED, 0])
    book = order_book(rng, 120)
    cases: list[Case] = []
    taken: set[int] = set(range(100, 120))  # the end of the book: orders other labels name

    def add(**kw: Any) -> int:
        order = kw.pop("order", None)
        if order is None:
            order = min(set(range(100)) - taken)
        taken.add(order)
        cases.append(Case(order=order, **kw))
        return len(cases) - 1

    for _ in range(5):
        add()
    add(qr=("order",))
    add(qr=("order",), capitals=True)
    add(qr=("order",))
    add(qr=("tracking",))
    add(qr=("tracking", "order"))
    for _ in range(2):
        add(capitals=True)
    vn = [i for i, o in enumerate(book) if o.iso == "VN"]
    for _ in range(2):
        add(order=next(i for i in vn if i not in taken))
    for _ in range(2):
        first = add(package="1/2")
        add(order=cases[first].order, package="2/2")
    add(label=False)
    for _ in range(2):
        add(label=False, registered=False)
    for how, reg in (("smeared", True), ("smeared", False), ("faded", True)):
        add(smudge=how, registered=reg)
    for reg in (True, True, False, False):
        add(order_no="unknown", registered=reg)
    for k, swap in enumerate((False, False, True, True)):
        other = 100 + 3 * k
        add(order_no=str(other), swap=other if swap else None)
    for what in MISSING:
        for _ in range(3):
            add(missing=(what,))
    for _ in range(3):
        add(other_buyer=True)
    for _ in range(3):
        add(other_postcode=True)
    for q in range(3):
        add(qr=(str(q),) if q % 2 else ("order", str(q)))
    for key in ("www", "https", "tme"):
        add(extras=(key,))
    for key in ("phone_us", "phone_cn", "email", "wechat", "whatsapp", "line"):
        add(extras=(key,))
    for same in (False, True):
        first = add()
        # A second carton of the order under a copy of its label: its own waybill was never
        # registered (an order has as many waybills as packages).
        add(order=cases[first].order, dup_of=first, same_waybill=same, registered=same)
    add(missing=("postcode",), extras=("wechat",))
    add(other_buyer=True, qr=("3",), capitals=True)
    add(missing=("supplier",), extras=("https", "phone_cn"))
    # tracking numbers: registered ones join their order, the others join nothing
    for i, c in enumerate(cases):
        o = book[c.order]
        if c.same_waybill and c.dup_of is not None:
            c.tracking = cases[c.dup_of].tracking
            continue
        c.tracking = CARRIERS[o.carrier][1](np.random.default_rng([SEED, 3, i]))
        if c.registered:
            o.tracking_nos.append(c.tracking)
    used = {c.order for c in cases} | {c.swap for c in cases if c.swap is not None}
    used |= {int(c.order_no) for c in cases if c.order_no.isdigit()}
    return [o if i in used else None for i, o in enumerate(book)], cases  # type: ignore[misc]


def printed(case: Case, book: list[Order]) -> Printed:
    """What the supplier printed for this case."""
    o = book[case.swap] if case.swap is not None else book[case.order]
    name, street, city, country, postcode = o.buyer
    number: str | None = o.order_no
    if case.order_no == "unknown":
        number = "5764" + _digits(np.random.default_rng([SEED, 4, case.order]), 14)
    elif case.order_no:
        number = book[int(case.order_no)].order_no
    if case.other_buyer:
        others = [b for b in BUYERS[o.iso] if b[0] != name]
        name = others[case.order % len(others)][0]
    if case.other_postcode:
        city, postcode = city.replace(postcode, OTHER_POSTCODE[postcode]), OTHER_POSTCODE[postcode]
    qr = []
    for q in case.qr:
        if q == "order":
            qr.append((number or o.order_no, "order_qr"))
        elif q == "tracking":
            qr.append((case.tracking, "tracking_qr"))
        else:
            qr.append((FORBIDDEN_QR[int(q)], "foreign_qr"))
    p = Printed(number, name, street, city, country, o.iso, postcode, o.supplier[0],
                o.supplier[1], case.package, case.capitals, qr, list(case.extras))  # fmt: skip
    if "buyer_name" in case.missing:
        p.buyer_name = None
    if "address" in case.missing:
        p.street, p.city, p.postcode_line = None, None, True
    if "postcode" in case.missing:
        p.city = re.sub(r"\s*" + re.escape(postcode) + r",?\s*", " ", city).strip(" ,")
        p.postcode = None
    if "order_number" in case.missing:
        p.order_no = None
    if "supplier" in case.missing:
        p.supplier_name = p.supplier_address = None
    return p


def label_key(case: Case, index: int) -> int:
    return case.dup_of if case.dup_of is not None else index


# --- the truth -------------------------------------------------------------------------------


def truth_defects(
    case: Case, p: Printed | None, book: list[Order], allowed: set[str]
) -> tuple[list[str], bool]:
    """The label's defects as DOMAIN.md defines them, and whether the consignee is known."""
    numbers = {o.order_no: o for o in book if o}
    registered = book[case.order] if case.registered else None
    if p is None:
        return ["no_label"], registered is not None
    if case.smudge:
        return ["unreadable"], registered is not None
    found = []
    in_book = numbers.get(p.order_no or "")
    order = registered or in_book
    if p.order_no is None:
        found.append("missing_order_number")
    elif registered and p.order_no != registered.order_no:
        found.append("order_mismatch" if in_book else "unknown_order")
    elif not registered and not in_book:
        found.append("unknown_order")
    if p.buyer_name is None:
        found.append("missing_buyer_name")
    elif order and p.buyer_name != order.buyer[0]:
        found.append("buyer_mismatch")
    if p.street is None and p.city is None:
        found.append("missing_address")
    if p.postcode is None:
        found.append("missing_postcode")
    elif order and p.postcode != order.buyer[4]:
        found.append("postcode_mismatch")
    if p.supplier_name is None:
        found.append("missing_supplier")
    if any(content not in allowed for content, _ in p.qr):
        found.append("forbidden_qr")
    codes = [FORBIDDEN_TEXT[k][3] for k in p.extras]
    found += [c for c in ("forbidden_link", "forbidden_contact") if c in codes]
    return found, order is not None


# --- the photo -------------------------------------------------------------------------------


def conditions(rng: Rng, index: int, size: tuple[int, int], steep: bool) -> dict[str, Any]:
    phone = size[0] * size[1] > 5e6
    angle = rng.uniform(25, 45) * rng.choice([-1, 1]) if steep else rng.uniform(-20, 20)
    u = rng.random()
    blur = rng.uniform(0.6, 1.3) if u < 0.15 else 0.0
    low = rng.random() < 0.12
    return {
        "rotation_deg": round(float(angle) % 360, 2),
        "blur_sigma": round(float(blur), 2),
        "motion_blur_px": 0.0,
        "light": "low" if low else "normal",
        "light_gain": round(float(rng.uniform(0.45, 0.6) if low else rng.uniform(0.9, 1.05)), 3),
        "noise_sigma": 0.0 if phone else round(float(rng.uniform(0.3, 0.9)), 2),
        "perspective": round(float(rng.uniform(0, 0.08)), 3),
        "jpeg_quality": 70 if phone else int(rng.integers(50, 68)),
    }


def pose(rng: Rng, scene: Scene, cond: dict[str, Any], target: float) -> None:
    """Rotation, keystone, scale (at most `target` px/mm, all labels in frame) and position."""
    w, h = scene.size
    pts = np.vstack([lb.corners_plane(pad=1) for lb in scene.labels])
    centre = (pts.min(0) + pts.max(0)) / 2
    reach = float(np.abs(pts - centre).max())
    a = math.radians(cond["rotation_deg"])
    rot = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    d = rng.uniform(0, 2 * math.pi)
    s = target
    for _ in range(30):
        g = cond["perspective"] / (2 - cond["perspective"]) / (reach * s)
        tilt = np.array([[1, 0, 0], [0, 1, 0], [g * math.cos(d), g * math.sin(d), 1]])
        m = tilt @ rot @ np.diag([s, s, 1]) @ translate(*(-centre).tolist())
        p = np.c_[pts, np.ones(len(pts))] @ m.T
        p = p[:, :2] / p[:, 2:]
        span = p.max(0) - p.min(0)
        room = np.array([w, h]) * 0.97 - span
        if (room >= 0).all():
            break
        s *= 0.96
    lo = -p.min(0) + np.array([w, h]) * 0.015
    t = lo + rng.uniform(0, 1, 2) * np.maximum(room, 0)
    scene.s = s
    scene.h = translate(float(t[0]), float(t[1])) @ m


def place_beside(rng: Rng, label: Label, first: Label) -> None:
    side = float(rng.choice([-1, 1]))
    label.angle = float(rng.uniform(-4, 4))
    gap = rng.uniform(4, 9)
    for _ in range(40):
        label.cx = side * (first.w_mm / 2 + label.w_mm / 2 + gap)
        label.cy = float(rng.uniform(-12, 12) + (label.h_mm - first.h_mm) / 2 * rng.uniform(0, 1))
        if not _overlaps(label.corners_plane(pad=2), [first.corners_plane(pad=2)]):
            return
        gap += 2


def _poly(pts: np.ndarray) -> list[list[float]]:
    return [[round(float(x), 1), round(float(y), 1)] for x, y in pts]


def make_photo(job: tuple[int, Case, str, tuple[int, int], bool, list[Order], Path]) -> dict:
    index, case, name, size, steep, book, out = job
    rng = np.random.default_rng([SEED, 2, index])
    o = book[case.order]
    cond = conditions(rng, index, size, steep)
    phone = size[0] > 3000
    target = rng.uniform(9, 11) if phone else rng.uniform(5.1, 5.9) * size[1] / 1080
    wb_key = label_key(case, index) if case.same_waybill else index
    wb_rng = np.random.default_rng([SEED, 5, wb_key])
    wb = waybill(wb_rng, 1.0, 0.5, o.carrier, o.supplier, case.tracking)
    wb.angle = float(rng.uniform(-3, 3))
    scene = Scene(size, 1.0, [wb])
    p = printed(case, book) if case.label else None
    laid: Laid | None = None
    if p is not None:
        laid = lay_out(np.random.default_rng([SEED, 1, label_key(case, index)]), p)
        place_beside(rng, laid.label, wb)
        scene.labels.append(laid.label)
    pose(rng, scene, cond, target)
    pts = np.vstack([lb.corners_plane() for lb in scene.labels])
    lo = pts.min(0) - rng.uniform(20, 90, 2)
    hi = pts.max(0) + rng.uniform(20, 90, 2)
    scene.carton = (float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1]))
    scene.tape = seam_tape(rng, scene, bool(rng.random() < 0.4))
    smudges = {}
    if laid is not None and case.smudge and laid.order_area:
        smudges[1] = (laid.order_area, case.smudge)
    pixels = camera(rng, compose_smudged(rng, scene, smudges), cond, 0.0)
    params = [cv2.IMWRITE_JPEG_QUALITY, cond["jpeg_quality"], cv2.IMWRITE_JPEG_OPTIMIZE, 1]
    (out / name).write_bytes(bytes(cv2.imencode(".jpg", pixels, params)[1]))

    codes = []
    for code, box, _ in symbol_quads(scene, scene.h):
        dx, dy = (box[1] + box[2] - box[0] - box[3]) / 2
        entry = {
            "format": code.fmt,
            "text": code.text,
            "role": code.role,
            "polygon": _poly(box),
            "rotation_deg": round(math.degrees(math.atan2(dy, dx)) % 360, 2),
            "ppb": round(math.hypot(dx, dy) / code.dark.shape[1], 2),
        }
        if laid is not None and code is laid.order_code and case.smudge:
            entry["smudged"] = case.smudge
        codes.append(entry)
    cond["scale_px_per_mm"] = round(scene.s, 2)
    allowed = {o.order_no, *o.tracking_nos, case.tracking}
    if p is not None and p.order_no:
        named = next((b for b in book if b and b.order_no == p.order_no), None)
        allowed |= {p.order_no, *(named.tracking_nos if named else [])}
    defects, known = truth_defects(case, p, book, allowed)
    entry = {
        "file": name,
        "width": size[0],
        "height": size[1],
        "conditions": cond,
        "order": {
            "order_no": o.order_no,
            "buyer_name": o.buyer[0],
            "buyer_address": f"{o.buyer[1]}, {o.buyer[2]}",
            "buyer_postcode": o.buyer[4],
            "buyer_country": o.iso,
            "buyer_country_name": o.buyer[3],
            "supplier_name": o.supplier[0],
            "supplier_address": o.supplier[1],
            "tracking_no": case.tracking if case.registered else None,
            "tracking_nos": list(o.tracking_nos),
        },
        "label": _label_truth(scene, laid, p, case, codes, allowed, book) if laid else None,
        "waybill": {
            "carrier": o.carrier,
            "tracking_no": case.tracking,
            "registered": case.registered,
            "masked_phones": [m for t in wb.texts for m in re.findall(r"1\d\d\*{4}\d{4}", t.text)],
            "polygon": _poly(_corners(scene, wb)),
        },
        "codes": codes,
        "defects": defects,
        "verdict": "ok" if not defects else "relabel" if known else "hold",
        "consignee_known": known,
        "duplicate_of": None,
    }
    return entry


def _corners(scene: Scene, label: Label) -> np.ndarray:
    from synth.parcels import apply

    return apply(scene.h, label.corners_plane())


def _label_truth(
    scene: Scene,
    laid: Laid,
    p: Printed,
    case: Case,
    codes: list[dict],
    allowed: set[str],
    book: list[Order],
) -> dict[str, Any]:
    lb, f = laid.label, laid.fields

    def one(key: str) -> dict[str, Any] | None:
        t = f.get(key)
        return {"text": t.text, "box": text_box(scene, lb, t)} if t else None

    order_code = next((c for c in codes if c["role"] == "order" and c["format"] == "Code128"), None)
    address = [one(k) for k in ("street", "city") if k in f]
    postcode = None
    if p.postcode:
        holder = f.get("city") or f.get("postcode_line")
        assert holder is not None
        at = holder.text.upper().rfind(p.postcode.upper())
        postcode = {"text": p.postcode, "box": text_box(scene, lb, holder, at, len(p.postcode))}
    qrs = []
    for code, c in zip(laid.qr_codes, [c for c in codes if c["format"] == "QRCode"], strict=True):
        qrs.append({"text": code.text, "role": code.role, "allowed": code.text in allowed,
                    "polygon": c["polygon"]})  # fmt: skip
    extras = []
    for key, t, skip in laid.extras:
        kind, _, item, defect = FORBIDDEN_TEXT[key]
        extras.append({"kind": kind, "text": item, "line": t.text, "defect": defect,
                       "box": text_box(scene, lb, t, skip)})  # fmt: skip
    sizes = [text_px(scene, lb, t) for k, t in f.items() if k != "country"]
    numbers = {o.order_no for o in book if o}
    return {
        "polygon": _poly(_corners(scene, lb)),
        "order_no_text": one("order_no"),
        "order_no_barcode": order_code,
        "order_no_readable": p.order_no is not None and not case.smudge,
        "order_no_in_book": p.order_no in numbers if p.order_no else None,
        "buyer_name": one("buyer_name"),
        "address": {"text": ", ".join(a["text"] for a in address if a), "lines": address}
        if address
        else None,
        "postcode": postcode,
        "country": one("country"),
        "supplier_name": one("supplier_name"),
        "supplier_address": one("supplier_address"),
        "package": one("package"),
        "capitals": p.capitals,
        "smudge": case.smudge,
        "qr_codes": qrs,
        "extras": extras,
        "min_text_px": round(min(sizes), 1) if sizes else None,
    }


def _dump(manifest: dict[str, Any]) -> str:
    text = json.dumps(manifest, indent=1, ensure_ascii=False)
    text = re.sub(r"\[\s*(-?[\d.]+),\s*(-?[\d.]+)\s*\]", r"[\1, \2]", text)
    box = r"\[\s*(-?\d+),\s*(-?\d+),\s*(-?\d+),\s*(-?\d+)\s*\]"
    return re.sub(box, r"[\1, \2, \3, \4]", text) + "\n"


def write_order_book(path: Path, book: list[Order], cases: list[Case]) -> None:
    """The order book the photos are checked against, as `intake orders import` reads it."""
    packages: dict[int, int] = {}
    for case in cases:
        if case.package:  # "PKG 1/2"
            packages[case.order] = int(case.package.rsplit("/", 1)[1])
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["order_no", "supplier_id", "supplier_name", "supplier_address",
                         "buyer_name", "buyer_address", "buyer_postcode", "buyer_country",
                         "carrier", "domestic_tracking_no", "packages", "ordered_at",
                         "ready_to_ship_at"])  # fmt: skip
        for i, o in enumerate(book):
            if o is None:  # an order number that labels name but the book lacks
                continue
            name, street, city, _country, postcode = o.buyer
            writer.writerow([
                o.order_no, f"SUP{SUPPLIERS.index(o.supplier) + 1:03d}", o.supplier[0],
                o.supplier[1], name, f"{street}, {city}", postcode, o.iso, o.carrier,
                ";".join(o.tracking_nos), packages.get(i, 1), "2026-11-20T08:00:00+08:00",
                "2026-11-21T10:00:00+08:00",
            ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write (default: here)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument(
        "--seed", type=int, default=SEED, help="another seed: a held-out set (use with --out)"
    )
    args = parser.parse_args()
    globals()["SEED"] = args.seed  # read by plan() and by the forked workers
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    book, cases = plan()
    n = len(cases)
    srng = np.random.default_rng([SEED, 6])
    small = set(srng.choice(n, 10, replace=False).tolist())
    phones = {5, n - 12}
    small -= phones
    steep = set(srng.choice(n, 6, replace=False).tolist())
    jobs = []
    for i, case in enumerate(cases):
        size = (4000, 3000) if i in phones else (1280, 720) if i in small else (1920, 1080)
        name = f"phone_label_{i + 1:03d}.jpg" if i in phones else f"label_{i + 1:03d}.jpg"
        jobs.append((i, case, name, size, i in steep, book, out))
    for old in out.glob("*label_*.jpg"):
        old.unlink()
    with ProcessPoolExecutor(max(1, args.jobs)) as pool:
        entries = list(pool.map(make_photo, jobs))
    for i, case in enumerate(cases):
        entries[i]["repeat_of"] = None
        if case.dup_of is not None and case.same_waybill:
            # The same label and the same waybill: the station cannot tell this from the first
            # carton photographed again, so it is a repeat (the first inspection stands).
            entries[i]["repeat_of"] = entries[case.dup_of]["file"]
            entries[i]["verdict"] = entries[case.dup_of]["verdict"]
        elif case.dup_of is not None:
            entries[i]["duplicate_of"] = entries[case.dup_of]["file"]
            entries[i]["defects"].append("duplicate")
            entries[i]["verdict"] = "relabel" if entries[i]["consignee_known"] else "hold"
    orders = [
        {"order_no": o.order_no, "buyer_name": o.buyer[0], "buyer_postcode": o.buyer[4],
         "buyer_country": o.iso, "supplier_name": o.supplier[0], "tracking_nos": o.tracking_nos}
        for o in book if o
    ]  # fmt: skip
    manifest = {
        "generator": "sample_images/labels/generate.py",
        "seed": SEED,
        "order_book": orders,
        "images": entries,
    }
    (out / "manifest.json").write_text(_dump(manifest), encoding="utf-8")
    write_order_book(out / "orders.csv", book, cases)
    print(f"{len(entries)} photos and manifest.json in {out}")


if __name__ == "__main__":
    main()
