"""Reading every code on a parcel photo or frame, at any angle, with the cheap pass first.

1. one full-frame zxing-cpp pass (reads upright 1D codes and 2D codes at any angle);
2. OpenCV's 1D locator on a reduced copy finds bar patterns at any angle (silent on empty frames);
3. each located box no code was read from is straightened, cropped and decoded, with further
   passes (upscaling, contrast, inversion, ZBar) only while it stays unread;
4. every read is checked (check digits, lengths, the caller's own rules) before it is reported.
"""

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Literal

import cv2
import numpy as np

from scanner.barcode import ALL_FORMATS, LINEAR_FORMATS, Barcode, Format, Point
from scanner.checks import implausible
from scanner.engines import zbar_read, zxing_read

Engine = Literal["pipeline", "zxing", "zbar"]
# A caller's extra rule (e.g. carrier waybill formats): a reason to drop the read, or None.
Check = Callable[[Barcode], str | None]

_LOCATE_WIDTH = 640  # the locator finds boxes as well at this width, in a fraction of the time
_BIG_IMAGE = 2600  # longest side above which the full-frame pass also tries downscaled copies
_MIN_CROP_SIDE = 12

_detector: cv2.barcode.BarcodeDetector | None = None


def decode(
    image: np.ndarray,
    *,
    engine: Engine = "pipeline",
    formats: Iterable[Format] = ALL_FORMATS,
    check: Check | None = None,
    budget_ms: float | None = None,
) -> list[Barcode]:
    """Every code found in a BGR or grayscale image, checked, in image coordinates.

    With `budget_ms` (video: the next frame is coming anyway), no further enhanced pass starts
    once the budget is spent; the cheap passes always run.
    """
    wanted = frozenset(formats)
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if engine == "zxing":
        found = zxing_read(gray, wanted, found_by="zxing", try_invert=True, try_downscale=True)
    elif engine == "zbar":
        found = zbar_read(gray, wanted, found_by="zbar")
    else:
        deadline = None if budget_ms is None else time.perf_counter() + budget_ms / 1000
        found = _pipeline(gray, wanted, deadline)
    return _checked(_deduplicated(found), check)


def _pipeline(
    gray: np.ndarray, formats: frozenset[Format], deadline: float | None
) -> list[Barcode]:
    big = max(gray.shape) > _BIG_IMAGE
    found = zxing_read(gray, formats, found_by="full-frame", try_downscale=big)
    linear = formats & LINEAR_FORMATS
    if not linear:
        return found
    for box in locate(gray):
        if any(_inside(_centre(b.polygon), box) for b in found if b.format.is_linear):
            continue
        found.extend(_decode_box(gray, box, linear, deadline))
    return found


def locate(gray: np.ndarray) -> list[np.ndarray]:
    """Quadrilaterals (4×2 float, image coordinates) where 1D bar patterns are, at any angle."""
    global _detector
    if _detector is None:
        _detector = cv2.barcode.BarcodeDetector()
    # Big photos keep at least half their resolution, or thin bars vanish from the copy.
    scale = min(1.0, max(_LOCATE_WIDTH / max(gray.shape), 0.5))
    small = (
        gray
        if scale == 1.0
        else cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    )
    ok, points = _detector.detect(small)
    if not ok or points is None:
        return []
    return [np.asarray(p, dtype=np.float32).reshape(4, 2) / scale for p in points]


def _upscaled(crop: np.ndarray, factor: float = 2.0) -> np.ndarray:
    return cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)


def _sharpened(crop: np.ndarray, amount: float, sigma: float) -> np.ndarray:
    blurred = cv2.GaussianBlur(crop, (0, 0), sigma)
    return cv2.addWeighted(crop, 1 + amount, blurred, -amount, 0)


_Reader = Callable[[np.ndarray, frozenset[Format], str], list[Barcode]]


def _zxing(view: np.ndarray, formats: frozenset[Format], name: str) -> list[Barcode]:
    return zxing_read(view, formats, found_by=name, try_rotate=True)


def _zbar(view: np.ndarray, formats: frozenset[Format], name: str) -> list[Barcode]:
    return zbar_read(view, formats, found_by=name)


# The passes tried on a located box that the full-frame pass did not read, cheapest first. Only the
# plain crop is trusted alone: enhanced views (sharpening above all) can turn blur into wrong bars
# that still pass a Code 128 checksum, so their reads count only when two passes agree.
_PASSES: tuple[tuple[str, Callable[[np.ndarray], np.ndarray], _Reader], ...] = (
    ("located", lambda c: c, _zxing),
    ("located+upscale", _upscaled, _zxing),
    ("located+zbar", _upscaled, _zbar),
    ("located+contrast", lambda c: cv2.createCLAHE(3.0, (4, 4)).apply(_upscaled(c)), _zxing),
    ("located+sharpen", lambda c: _sharpened(_upscaled(c), 1.5, 2.0), _zxing),
    ("located+sharpen3", lambda c: _sharpened(_upscaled(c, 3.0), 2.0, 3.0), _zxing),
    ("located+sharpen-zbar", lambda c: _sharpened(_upscaled(c), 1.5, 2.0), _zbar),
    ("located+invert", lambda c: 255 - _upscaled(c), _zxing),
)


def _decode_box(
    gray: np.ndarray, box: np.ndarray, formats: frozenset[Format], deadline: float | None
) -> list[Barcode]:
    crop, to_image = _straighten(gray, box)
    if crop is None:
        return []
    votes: dict[tuple[Format, str], int] = {}
    for i, (name, make, read) in enumerate(_PASSES):
        if i >= 2 and deadline is not None and time.perf_counter() > deadline:
            break
        view = make(crop)
        factor = view.shape[1] / crop.shape[1]
        found = read(view, formats, name)
        if found and name == "located":
            return [_mapped(b, to_image, factor) for b in found]
        for barcode in found:
            key = (barcode.format, barcode.text)
            votes[key] = votes.get(key, 0) + 1
            if votes[key] >= 2:
                return [_mapped(barcode, to_image, factor)]
    return []


def _straighten(gray: np.ndarray, box: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """The box's neighbourhood rotated so the bars stand upright, and the crop→image matrix."""
    (cx, cy), (w, h), angle = cv2.minAreaRect(box)
    if w < h:  # the long side runs across the bars: make it horizontal
        w, h, angle = h, w, angle + 90
    # Enlarged for quiet zones and for a box that cut the bars short.
    out_w, out_h = int(w * 1.25 + 16), int(h * 1.6 + 16)
    if min(w, h) < _MIN_CROP_SIDE / 2 or out_w < _MIN_CROP_SIDE:
        return None, np.eye(2, 3)
    rotation = cv2.getRotationMatrix2D((cx, cy), angle, 1.0)
    rotation[0, 2] += out_w / 2 - cx
    rotation[1, 2] += out_h / 2 - cy
    crop = cv2.warpAffine(
        gray, rotation, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return crop, cv2.invertAffineTransform(rotation)


def _contrast(crop: np.ndarray) -> np.ndarray:
    clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(4, 4))
    return clahe.apply(crop)


def _mapped(barcode: Barcode, to_image: np.ndarray, factor: float) -> Barcode:
    points = np.array(barcode.polygon, dtype=np.float64) / factor
    moved = points @ to_image[:, :2].T + to_image[:, 2]
    polygon = tuple((round(x), round(y)) for x, y in moved)
    return replace(barcode, polygon=polygon)


def _centre(polygon: tuple[Point, ...]) -> tuple[float, float]:
    xs, ys = zip(*polygon, strict=True)
    return sum(xs) / len(xs), sum(ys) / len(ys)


def _inside(point: tuple[float, float], box: np.ndarray) -> bool:
    return cv2.pointPolygonTest(box.astype(np.float32), point, False) >= 0


def _deduplicated(found: list[Barcode]) -> list[Barcode]:
    """One result per code: the same text and format read twice close together is one code."""
    kept: list[Barcode] = []
    for barcode in found:
        cx, cy = _centre(barcode.polygon)
        if not any(
            k.format == barcode.format
            and k.text == barcode.text
            and math.dist((cx, cy), _centre(k.polygon)) < _size(k.polygon)
            for k in kept
        ):
            kept.append(barcode)
    return kept


def _size(polygon: tuple[Point, ...]) -> float:
    xs, ys = zip(*polygon, strict=True)
    return float(max(max(xs) - min(xs), max(ys) - min(ys), 20))


def _checked(found: list[Barcode], check: Check | None) -> list[Barcode]:
    return [b for b in found if implausible(b) is None and (check is None or check(b) is None)]
