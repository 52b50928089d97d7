"""Synthetic parcel photos, a short video and their truth manifest, for the scanner (issue 3).

`.venv/bin/python sample_images/generate.py [--out DIR] [--photos N]` rewrites every file from one
fixed seed: the same bytes on the same machine, fonts and library versions. README.md here tells
what the files show and what the manifest says.
"""

import argparse
import io
import json
import math
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image
from synth.clip import make_video
from synth.drawing import (
    Scene,
    camera,
    compose,
    glare_cover,
    inside,
    seam_tape,
    symbol_quads,
    visible,
)
from synth.parcels import Mat, Rng, build_labels, packing_list, translate

SEED = 20250603
HERE = Path(__file__).resolve().parent
BANDS = ((0.0, 15.0), (15.0, 45.0), (45.0, 90.0))  # rotation mod 90, degrees


@dataclass(frozen=True)
class Spec:
    """One image to make: file, size, scene, rotation band and the waybill's pixels per bar."""

    name: str
    size: tuple[int, int]
    scene: str  # "empty" | "carton" (no label) | "waybill" | "labels" (waybill + platform label)
    band: int = 0
    ppb: float = 3.0
    clean: bool = False  # near-upright, sharp, well lit: the copies in other file formats
    exif: int = 1
    product: str = ""  # a product code printed on the carton, in this symbology
    sticker: str = ""  # a carton (Code39) or location (Code93) sticker


def plan(photos: int = 56) -> list[Spec]:
    """The set: webcam photos (1 in 7 at 1080p), phone photos, one file in each other format."""
    rng = np.random.default_rng([SEED, 0])
    sizes = [(1920, 1080) if i % 7 == 3 else (1280, 720) for i in range(photos)]
    empty, bare = max(1, photos // 12), max(1, photos // 15)
    kinds = ["empty"] * empty + ["carton"] * bare
    kinds += ["waybill" if rng.random() < 0.35 else "labels" for _ in range(photos - empty - bare)]
    rng.shuffle(kinds)
    ppbs = rng.permutation(np.linspace(1.5, 4.0, photos))
    specs = [
        Spec(f"photo_{i + 1:03d}.jpg", size, kind, i % 3, round(float(p), 3), **_extras(i))
        for i, (size, kind, p) in enumerate(zip(sizes, kinds, ppbs, strict=True))
    ]
    specs.append(Spec("phone_1.jpg", (4000, 3000), "labels", 1, 2.6, product="UPCA"))
    specs.append(Spec("phone_2.jpg", (4000, 3000), "labels", 2, 3.6, sticker="Code93"))
    specs.append(Spec("phone_3_exif6.jpg", (3000, 4000), "labels", 0, 3.0, exif=6, product="EAN8"))
    for name, size, kind in (
        ("format_rgb.png", (480, 360), "waybill"),
        ("format_gray.png", (640, 480), "waybill"),
        ("format.webp", (1280, 720), "labels"),
        ("format.bmp", (400, 300), "waybill"),
        ("format.tif", (400, 300), "waybill"),
    ):
        specs.append(Spec(name, size, kind, 0, 2.4, clean=True))
    return specs


def _extras(i: int) -> dict[str, str]:
    """Every format on some cartons: a product code on 3 in 5, a sticker on 1 in 2."""
    products = ("EAN13", "UPCA", "ITF", "EAN8", "UPCE")
    return {
        "product": products[i // 5 % 5] if i % 5 < 3 else "",
        "sticker": ("Code39", "Code93")[i // 2 % 2] if i % 2 else "",
    }


def conditions(rng: Rng, spec: Spec) -> dict[str, Any]:
    """The pose and camera conditions of one image, drawn from the spec's distribution."""
    lo, hi = BANDS[spec.band]
    rotation = float(rng.integers(0, 4) * 90 + rng.uniform(lo, hi))
    if spec.clean or spec.exif != 1:  # upright as displayed
        rotation = float(rng.uniform(-6, 6) % 360)
    phone = spec.size[0] * spec.size[1] > 5e6  # held still, denoised, saved at quality 70
    u = rng.random()
    blur = (
        0.0 if u < 0.55 or spec.clean else rng.uniform(0.5, 1) if u < 0.8 else rng.uniform(1, 2.2)
    )
    motion = 0.0 if rng.random() < 0.8 or spec.clean or phone else rng.uniform(2, 10)
    low = rng.random() < 0.2 and not spec.clean
    noise = rng.uniform(3, 5) if low else rng.uniform(0.5, 1.5)
    lossless = spec.name.endswith((".png", ".bmp", ".tif"))
    gain = rng.uniform(0.22, 0.4) if low else rng.uniform(0.9, 1.08)
    return {
        "rotation_deg": round(rotation, 2),
        "ppb": None,
        "blur_sigma": round(float(blur), 2),
        "motion_blur_px": round(float(motion), 1),
        "light": "low" if low else "normal",
        "light_gain": round(float(gain), 3),
        "noise_sigma": 0.0 if phone or lossless else round(float(noise), 2),
        "glare": False,
        "perspective": round(float(rng.uniform(0, 0.03 if spec.clean else 0.15)), 3),
        "jpeg_quality": 70 if phone else round(40 + 50 * float(rng.beta(1.3, 2.2))),
        "exif_orientation": spec.exif,
    }


def homography(rng: Rng, s: float, angle: float, persp: float, reach_px: float) -> Mat:
    """Carton face mm (centred on the waybill) -> image px, before the final translation.

    `persp` is the keystone: across the waybill's diagonal the scale falls by that share."""
    a = math.radians(angle)
    rot = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    g, d = persp / (2 - persp) / reach_px, rng.uniform(0, 2 * math.pi)
    tilt = np.array([[1, 0, 0], [0, 1, 0], [g * math.cos(d), g * math.sin(d), 1]])
    return tilt @ rot @ np.diag([s, s, 1])


def frame_scene(rng: Rng, scene: Scene, base: Mat) -> None:
    """Shift the scene so that as many codes as fit lie wholly in frame, ideally none cut off."""
    w, h = scene.size
    quads = symbol_quads(scene, base)
    quads = quads[:1] + [quads[i] for i in rng.permutation(len(quads) - 1) + 1]
    best: tuple[int, Mat] | None = None
    for keep in range(len(quads), 0, -1):  # the waybill first, others dropped until the rest fit
        pts = np.vstack([q for _, _, q in quads[:keep]])
        lo, hi = -pts.min(0) + 4, np.array([w, h]) - pts.max(0) - 4
        if (hi < lo).any():
            continue
        for _ in range(40):
            t = rng.uniform(lo, hi)
            cut = sum(visible(b + t, w, h) and not inside(q + t, w, h) for _, b, q in quads)
            if best is None or cut < best[0]:
                best = (cut, t)
            if cut == 0:
                break
        if best is not None and best[0] == 0:
            break
    t = best[1] if best is not None else rng.uniform([0, 0], [w, h])
    scene.h = translate(float(t[0]), float(t[1])) @ base


def build_scene(rng: Rng, spec: Spec, cond: dict[str, Any]) -> Scene:
    """Labels on a carton on a table, posed by the conditions and framed."""
    w, h = spec.size
    s = spec.ppb / rng.uniform(0.3, 0.42)  # the waybill's module is 0.30-0.42 mm
    scene = Scene(spec.size, s)
    if spec.scene == "empty":  # the table, maybe a sheet of text lying on it
        base = homography(rng, s, cond["rotation_deg"], cond["perspective"], 90 * s)
        scene.h = translate(rng.uniform(0, w), rng.uniform(0, h)) @ base
        scene.labels = [packing_list(rng)] if rng.random() < 0.6 else []
        return scene
    if spec.scene != "carton":
        scene.labels = build_labels(
            rng,
            s,
            spec.ppb,
            platform=spec.scene == "labels",
            product=spec.product,
            sticker_fmt=spec.sticker,
        )
    pts = np.vstack([lb.corners_plane() for lb in scene.labels] or [np.zeros((1, 2))])
    lo = pts.min(0) - rng.uniform(15, 150, 2)
    hi = np.maximum(pts.max(0) + rng.uniform(15, 150, 2), lo + 220)
    scene.carton = (float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1]))
    scene.tape = seam_tape(rng, scene, bool(rng.random() < 0.5))
    first = scene.labels[0] if scene.labels else None
    reach = s * (math.hypot(first.w_mm, first.h_mm) / 2 if first else 90)
    base = homography(rng, s, cond["rotation_deg"], cond["perspective"], reach)
    if first is None:
        offset = (rng.uniform(0.3, 0.7, 2) * np.array([w, h])).tolist()
        scene.h = translate(*offset) @ base @ translate(*(-(lo + hi) / 2).tolist())
        return scene
    frame_scene(rng, scene, base)
    if rng.random() < 0.3 and not spec.clean:
        _clear_tape(rng, scene)
    return scene


def _clear_tape(rng: Rng, scene: Scene) -> None:
    """Clear tape across the waybill, its glare over part of the bars (never their whole height)."""
    label = scene.labels[0]
    code = label.codes[0]
    part = rng.uniform(0.15, 0.35) * code.height_mm
    if rng.random() < 0.5:
        y0, y1 = code.y_mm - 18, code.y_mm + part
    else:
        y0, y1 = code.y_mm + code.height_mm - part, code.y_mm + code.height_mm + 18
    x_peak = rng.uniform(code.x_mm, code.x_mm + code.width_mm)
    scene.clear_tape = (label, y0, y1, x_peak, rng.uniform(8, 30), rng.uniform(0.45, 0.85))


def truth(scene: Scene) -> list[dict[str, Any]]:
    """Every code at least partly in frame: format, text, role, polygon, rotation, pixels/bar."""
    w, h = scene.size
    codes = []
    for code, box, quiet in symbol_quads(scene, scene.h):
        if not visible(box, w, h):
            continue
        dx, dy = (box[1] + box[2] - box[0] - box[3]) / 2  # along the symbol's reading direction
        entry: dict[str, Any] = {
            "format": code.fmt,
            "text": code.text,
            "role": code.role,
            "polygon": [[round(float(x), 1), round(float(y), 1)] for x, y in box],
            "rotation_deg": round(math.degrees(math.atan2(dy, dx)) % 360, 2),
            "ppb": round(math.hypot(dx, dy) / code.dark.shape[1], 2),
        }
        if scene.clear_tape is not None and code in scene.clear_tape[0].codes:
            entry["glare_cover"] = glare_cover(scene, code)
        if not inside(quiet, w, h, 0.0):
            entry["partial"] = True
        codes.append(entry)
    return codes


def encode(pixels: Mat, name: str, cond: dict[str, Any]) -> bytes:
    """The file's bytes in the format its name asks for; EXIF orientation when it is not 1."""
    rgb = Image.fromarray(cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB))
    buf = io.BytesIO()
    if name.endswith(".jpg") and cond["exif_orientation"] == 6:
        exif = Image.Exif()
        exif[0x0112] = 6  # displayed = stored turned 90° clockwise
        stored = rgb.transpose(Image.Transpose.ROTATE_90)
        stored.save(buf, "JPEG", quality=cond["jpeg_quality"], optimize=True, exif=exif.tobytes())
    elif name.endswith(".jpg"):
        params = [cv2.IMWRITE_JPEG_QUALITY, cond["jpeg_quality"], cv2.IMWRITE_JPEG_OPTIMIZE, 1]
        return bytes(cv2.imencode(".jpg", pixels, params)[1])
    elif name.endswith("_gray.png"):
        rgb.convert("L").save(buf, "PNG", optimize=True)
    elif name.endswith(".png"):
        rgb.save(buf, "PNG", optimize=True)
    elif name.endswith(".webp"):
        rgb.save(buf, "WEBP", quality=cond["jpeg_quality"], method=4)
    elif name.endswith(".bmp"):
        rgb.convert("L").save(buf, "BMP")  # 8-bit grey: a quarter of the size of 24-bit
    else:
        rgb.save(buf, "TIFF", compression="tiff_adobe_deflate")
    return buf.getvalue()


def make_image(index: int, spec: Spec, out: Path) -> dict[str, Any]:
    """Render, photograph and write one image; return its manifest entry."""
    rng = np.random.default_rng([SEED, index])
    cond = conditions(rng, spec)
    scene = build_scene(rng, spec, cond)
    pixels = camera(rng, compose(rng, scene), cond, rng.uniform(0, 180))
    codes = truth(scene)
    cond["glare"] = scene.clear_tape is not None or (scene.tape is not None and scene.tape[2])
    cond["ppb"] = next((c["ppb"] for c in codes if c["role"] == "waybill"), None)
    if not spec.name.endswith((".jpg", ".webp")):
        cond["jpeg_quality"] = None
    (out / spec.name).write_bytes(encode(pixels, spec.name, cond))
    w, h = spec.size
    return {
        "file": spec.name,
        "width": w,
        "height": h,
        "scene": spec.scene,
        "conditions": cond,
        "codes": codes,
    }


def _dump(manifest: dict[str, Any]) -> str:
    """Indented JSON with each point on one line: readable, and a diff stays small."""
    text = json.dumps(manifest, indent=1, ensure_ascii=False)
    return re.sub(r"\[\s*(-?[\d.]+),\s*(-?[\d.]+)\s*\]", r"[\1, \2]", text) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=HERE, help="folder to write (default: this one)"
    )
    parser.add_argument(
        "--photos", type=int, default=56, help="webcam photos to make (default: 56)"
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    args = parser.parse_args()
    out: Path = args.out
    (out / "video").mkdir(parents=True, exist_ok=True)
    specs = plan(args.photos)
    with ProcessPoolExecutor(max(1, args.jobs)) as pool:
        video = pool.submit(make_video, out / "video", SEED)
        entries = list(pool.map(make_image, range(1, len(specs) + 1), specs, [out] * len(specs)))
    manifest = {"generator": "sample_images/generate.py", "seed": SEED, "images": entries}
    manifest["video"] = video.result()
    (out / "manifest.json").write_text(_dump(manifest), encoding="utf-8")
    print(f"{len(entries)} images and video/{Path(manifest['video']['file']).name} in {out}")


if __name__ == "__main__":
    main()
