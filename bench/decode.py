"""Barcode engines side by side on the sample set: read rate per condition, wrong reads, speed.

    .venv/bin/python bench/decode.py [--repeat 3] [--samples sample_images]

Engines: pyzbar alone, zxing-cpp alone (its own rotation, inversion and downscaling on), OpenCV's
own detectors (cv2.barcode + cv2.QRCodeDetector), and our pipeline. All run pinned to one core.
"""

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from api.scanning import parcel_check  # noqa: E402
from scanner.images import load_image  # noqa: E402
from scanner.pipeline import decode  # noqa: E402

Read = tuple[str, str]  # (format, text)
_OPENCV_TYPES = {
    "EAN_13": "EAN13",
    "EAN_8": "EAN8",
    "UPC_A": "UPCA",
    "UPC_E": "UPCE",
    "CODE_128": "Code128",
    "CODE_39": "Code39",
}


def opencv_read(gray: np.ndarray) -> list[Read]:
    """OpenCV's own decoders: the 1D BarcodeDetector and the QR detector."""
    found: list[Read] = []
    ok, texts, types, _ = cv2.barcode.BarcodeDetector().detectAndDecodeWithType(gray)
    if ok:
        found += [(_OPENCV_TYPES.get(k, k), t) for t, k in zip(texts, types, strict=True) if t]
    ok, texts, _, _ = cv2.QRCodeDetector().detectAndDecodeMulti(gray)
    if ok:
        found += [("QRCode", t) for t in texts if t]
    return found


def engines() -> dict[str, Callable[[np.ndarray], list[Read]]]:
    """Each engine as gray pixels -> (format, text) reads."""

    def ours(engine: str, budget: float | None = None) -> Callable[[np.ndarray], list[Read]]:
        return lambda g: [
            (str(b.format), b.text)
            for b in decode(
                g,
                engine=engine,
                check=parcel_check,  # type: ignore[arg-type]
                budget_ms=budget,
            )
        ]

    return {
        "pyzbar": ours("zbar"),
        "zxing-cpp": ours("zxing"),
        "opencv": opencv_read,
        "pipeline": ours("pipeline"),
        "pipeline, 20 ms budget": ours("pipeline", 20.0),
    }


def angle_band(deg: float) -> str:
    """The carton's turn folded into 0-90° (a code upside down reads as upright), in bands."""
    turn = deg % 180
    turn = min(turn, 180 - turn)
    if turn <= 15:
        return "0-15°"
    return "15-45°" if turn <= 45 else "45-90°"


def ppb_band(ppb: float) -> str:
    """Pixels per narrow bar, in bands."""
    for limit, name in ((2.0, "<2.0"), (2.5, "2.0-2.5"), (3.0, "2.5-3.0")):
        if ppb < limit:
            return name
    return ">=3.0"


def conditions(entry: dict, code: dict) -> dict[str, str]:
    """The condition bands one code was photographed in."""
    c = entry["conditions"]
    blurred = c.get("blur_sigma", 0) >= 1.0 or c.get("motion_blur_px", 0) >= 3
    ppb = float(code.get("ppb") or c.get("ppb") or 3)
    turn = angle_band(float(code.get("rotation_deg", c.get("rotation_deg", 0))))
    bands = {
        "angle": turn,
        "ppb": ppb_band(ppb),
        "blur": "blurred" if blurred else "sharp",
        "light": str(c.get("light", "normal")),
        # The two targets: tilted cartons, and sharp codes of 2.5 pixels per bar or more.
        "turned": "15-90°" if turn != "0-15°" else "0-15°",
    }
    if ppb >= 2.5 and not blurred:
        bands["sharp"] = ">=2.5 ppb, not blurred"
    return bands


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=Path, default=REPO / "sample_images")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per image and engine")
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    cv2.setNumThreads(1)
    manifest = json.loads((args.samples / "manifest.json").read_text())
    entries = manifest["images"] if isinstance(manifest, dict) else manifest
    runners = engines()
    hits: dict[str, dict[tuple[str, str], list[int]]] = {
        n: defaultdict(lambda: [0, 0]) for n in runners
    }
    wrong: dict[str, list[str]] = {n: [] for n in runners}
    times: dict[str, dict[str, list[float]]] = {n: defaultdict(list) for n in runners}
    for entry in entries:
        data = (args.samples / entry["file"]).read_bytes()
        gray = cv2.cvtColor(load_image(data).pixels, cv2.COLOR_BGR2GRAY)
        truth = {(c["format"], c["text"]) for c in entry["codes"]}
        size = size_class(entry, gray)
        for name, run in runners.items():
            reads: list[Read] = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                reads = run(gray)
                times[name][size].append((time.perf_counter() - started) * 1000)
            got = set(reads)
            wrong[name] += [f"{entry['file']}: {f} {t!r}" for f, t in got - truth]
            for code in entry["codes"]:
                if code.get("partial"):  # cut by the frame's edge: not expected to read
                    continue
                ok = (code["format"], code["text"]) in got
                for key, band in conditions(entry, code).items():
                    tally = hits[name][(key, band)]
                    tally[0] += ok
                    tally[1] += 1
                tally = hits[name][("all", "all")]
                tally[0] += ok
                tally[1] += 1
    report(runners, hits, wrong, times, len(entries))


def size_class(entry: dict, gray: np.ndarray) -> str:
    """Which speed target an image falls under."""
    h, w = gray.shape
    coded = "with code" if entry["codes"] else "empty"
    if w * h >= 8_000_000:
        return f"12 MP, {coded}"
    return f"{w}×{h}, {coded}"


def report(runners: dict, hits: dict, wrong: dict, times: dict, images: int) -> None:
    names = list(runners)
    print(f"## Read rate ({images} images; codes read / codes present)\n")
    print("| condition | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for key in sorted({k for n in names for k in hits[n]}, key=_order):
        cells = []
        for n in names:
            ok, total = hits[n][key]
            cells.append(f"{ok}/{total} ({100 * ok / total:.0f} %)" if total else "-")
        print(f"| {key[0]} {key[1]} | " + " | ".join(cells) + " |")
    print("\n## Wrong reads (a text or format no code in the image carries)\n")
    for n in names:
        print(f"- {n}: {len(wrong[n])}" + "".join(f"\n  - {w}" for w in wrong[n][:10]))
    print("\n## Time per frame, ms, one core (median / p95; ratio to zxing-cpp median)\n")
    print("| frames | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for size in sorted(times["pipeline"]):
        base = statistics.median(times["zxing-cpp"][size])
        cells = [
            f"{statistics.median(times[n][size]):.1f} / {_p95(times[n][size]):.1f} "
            f"(×{statistics.median(times[n][size]) / base:.2f})"
            for n in names
        ]
        print(f"| {size} | " + " | ".join(cells) + " |")


def _order(key: tuple[str, str]) -> tuple[int, str]:
    rank = {"all": 0, "turned": 1, "sharp": 2, "angle": 3, "ppb": 4, "blur": 5, "light": 6}
    return rank.get(key[0], 9), key[1]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


if __name__ == "__main__":
    main()
