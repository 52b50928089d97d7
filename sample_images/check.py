"""Check the sample set against its manifest with plain zxing-cpp: read rates, positions, misreads.

`.venv/bin/python sample_images/check.py [--dir DIR]`. This checks the truth, not a pipeline: plain
zxing-cpp reads a linear code only within about 15° of a scan axis, so tilted codes are expected
to fail. Exit status 1 when a sharp, well-lit code within 10° of an axis at 2.5 pixels per bar or
more is not read, or when a read lands more than 10 px from its polygon in the manifest.
Reads whose text is not in the manifest are listed as plain zxing-cpp's own misreads.
"""

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import zxingcpp
from PIL import Image, ImageOps

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from scanner.engines import upca_to_upce  # noqa: E402  (the scanner's own normalisation)

MATRIX = ("QRCode", "DataMatrix", "PDF417")
WEBCAM_PIXELS = 1920 * 1080


def normalised(fmt: str, text: str) -> tuple[str, str]:
    """zxing-cpp 3 reports UPC-A as EAN-13 with a leading 0, UPC-E expanded: back to 12/8 digits."""
    if fmt == "EAN13" and len(text) == 13 and text.startswith("0"):
        return "UPCA", text[1:]
    if fmt == "UPCE" and len(text) == 13:
        return fmt, upca_to_upce(text[1:]) or text
    return fmt, text


def band(rotation: float) -> str:
    r = rotation % 90
    return "0-15" if r < 15 else "15-45" if r < 45 else "45-90"


def tilt(rotation: float) -> str:
    """Degrees from the nearest scan axis, which is what limits reading a 1D code."""
    r = rotation % 90
    d = min(r, 90 - r)
    return "0-10" if d <= 10 else "10-15" if d <= 15 else "15-30" if d <= 30 else "30-45"


def ppb_band(ppb: float) -> str:
    return "1.5-2" if ppb < 2 else "2-2.5" if ppb < 2.5 else "2.5-3" if ppb < 3 else "3+"


def load(path: Path) -> np.ndarray:
    """BGR pixels as displayed, EXIF orientation applied."""
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))[:, :, ::-1].copy()


def position_error(code: dict[str, Any], found: zxingcpp.Barcode) -> float:
    """How far zxing-cpp's corners lie from the manifest's polygon (2D codes: from its corners).

    zxing-cpp places a 1D code on the scan lines it read, so only the distance outside counts."""
    poly = np.array(code["polygon"], np.float32)
    p = found.position
    corners = (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
    pts = np.array([(q.x, q.y) for q in corners], np.float32)
    if code["format"] in MATRIX:
        errors = min((np.abs(np.roll(pts, k, 0) - poly).max(1) for k in range(4)), key=max)
        # zxing-cpp places one end of a tilted PDF417 loosely (seen 50 px off): judge the other.
        return float(sorted(errors)[1] if code["format"] == "PDF417" else max(errors))
    outside = [-cv2.pointPolygonTest(poly, (float(x), float(y)), True) for x, y in pts]
    return max(0.0, *outside)


def sharp(entry: dict[str, Any]) -> bool:
    c = entry["conditions"]
    return not c["blur_sigma"] and not c["motion_blur_px"] and c["light"] == "normal"


def check_image(
    entry: dict[str, Any], img: np.ndarray, tables: dict[str, dict[str, list[int]]]
) -> tuple[list[str], list[str], list[str]]:
    """Tally one image's codes into `tables`; its problems, zxing-cpp's misreads and misses."""
    problems, misreads, misses, read = [], [], [], set()
    codes = entry["codes"]
    for r in zxingcpp.read_barcodes(img):
        key = normalised(r.format.name, r.text)
        same = [i for i, c in enumerate(codes) if (c["format"], c["text"]) == key]
        if not same:  # not in the manifest
            misreads.append(f"{entry['file']}: {key[0]} {key[1]!r}")
            continue
        error, best = min((position_error(codes[i], r), i) for i in same)  # a text may be twice
        if error > 10:
            problems.append(f"{entry['file']}: {key[1]} read {error:.0f} px off its polygon")
        read.add(best)
    for i, code in enumerate(codes):
        if code.get("partial"):
            continue
        ok = i in read
        near_axis = tilt(code["rotation_deg"]) == "0-10"
        keys = {
            "rotation mod 90": band(code["rotation_deg"]),
            "degrees from the nearest axis": tilt(code["rotation_deg"]),
            "pixels per bar": ppb_band(code["ppb"]),
            "format": code["format"],
            "sharp & lit / blurred or dark": "sharp" if sharp(entry) else "blurred or dark",
        }
        if sharp(entry) and near_axis:
            keys["sharp, within 10° of an axis: pixels per bar"] = ppb_band(code["ppb"])
        for table, key in keys.items():
            tables[table][key][0] += ok
            tables[table][key][1] += 1
        upright_sharp = near_axis and sharp(entry) and not code.get("glare_cover")
        if upright_sharp and code["ppb"] >= 2.5 and not ok:
            note = f"{entry['file']}: {code['format']} {code['text']} upright, sharp, unread"
            # Full-frame zxing-cpp misses small codes in 12-megapixel photos: not a truth problem.
            (problems if entry["width"] * entry["height"] <= WEBCAM_PIXELS else misses).append(note)
    return problems, misreads, misses


def check_video(video: dict[str, Any], folder: Path) -> list[str]:
    """Frames and fps as the manifest says; plain zxing-cpp's reads of each carton; stray reads."""
    capture = cv2.VideoCapture(str(folder / video["file"]))
    fps, frames = capture.get(cv2.CAP_PROP_FPS), []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append([normalised(r.format.name, r.text) for r in zxingcpp.read_barcodes(frame)])
    capture.release()
    problems = []
    if len(frames) != video["frames"] or round(fps) != video["fps"]:
        problems.append(f"video: {len(frames)} frames at {fps} fps")
    print(f"\nvideo: {len(frames)} frames at {fps:g} fps")
    allowed: dict[tuple[str, str], set[int]] = defaultdict(set)
    for k, carton in enumerate(video["cartons"], 1):
        for code in carton["codes"]:
            key, span = (code["format"], code["text"]), code["partly_visible"]
            allowed[key] |= set(range(span[0], span[1] + 1)) if span else set()
            hits = [f for f, keys in enumerate(frames) if key in keys]
            print(
                f"  carton {k} {code['role']:8} {code['text']:20} whole in frames "
                f"{code['visible']}, read by plain zxing-cpp in {len(hits)} frames"
            )
    for f, keys in enumerate(frames):
        problems += [
            f"video frame {f}: {key} read where no carton shows it"
            for key in keys
            if f not in allowed.get(key, set())
        ]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dir", type=Path, default=HERE, help="the sample folder (default: here)")
    args = parser.parse_args()
    manifest = json.loads((args.dir / "manifest.json").read_text(encoding="utf-8"))
    tables: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    problems, misreads, misses = [], [], []
    for entry in manifest["images"]:
        img = load(args.dir / entry["file"])
        if (img.shape[1], img.shape[0]) != (entry["width"], entry["height"]):
            problems.append(f"{entry['file']}: {img.shape[1]}x{img.shape[0]} as displayed")
        found = check_image(entry, img, tables)
        problems += found[0]
        misreads += found[1]
        misses += found[2]
    if "video" in manifest:
        problems += check_video(manifest["video"], args.dir)
    for table, rows in tables.items():
        print(f"\n{table}: read / codes (plain zxing-cpp)")
        for key in sorted(rows):
            ok, n = rows[key]
            print(f"  {key:18} {ok:4d} / {n:4d}  {100 * ok / n:5.1f} %")
    print("\nmisreads of plain zxing-cpp:", *misreads or ["none"], sep="\n  ")
    print("\nupright, sharp, unread in phone photos:", *misses or ["none"], sep="\n  ")
    print("\nproblems with the truth:", *problems or ["none"], sep="\n  ")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
