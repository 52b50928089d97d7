"""Reading every code on a parcel photo or frame, at any angle, with the cheap pass first.

1. one full-frame zxing-cpp pass (reads upright 1D codes and 2D codes at any angle);
2. OpenCV's 1D locator on a reduced copy finds bar patterns at any angle (silent on empty frames);
3. each located box no code was read from is straightened, cropped and decoded, with further
   passes (upscaling, contrast, inversion, ZBar) only while it stays unread;
4. where the frame shows 2D codes (read or not), one sharpened full-frame pass for 2D codes only,
   each new read confirmed on a crop around it;
5. every read is checked (check digits, lengths, the caller's own rules) before it is reported.
"""

import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Literal

import cv2
import numpy as np

from scanner.barcode import ALL_FORMATS, LINEAR_FORMATS, Barcode, Format, Point
from scanner.checks import implausible
from scanner.engines import zbar_read, zxing_read, zxing_scan

Engine = Literal["pipeline", "zxing", "zbar"]
# A caller's extra rule (e.g. carrier waybill formats): a reason to drop the read, or None.
Check = Callable[[Barcode], str | None]

_LOCATE_WIDTH = 640  # the locator finds boxes as well at this width, in a fraction of the time
# Longest side above which the full-frame pass also tries downscaled copies, and the locator
# takes a second, finer look.
_BIG_IMAGE = 2600
_MIN_CROP_SIDE = 12
_SECOND_LOOK_MS_PER_MP = 10.0  # the sharpened 2D full-frame pass, one core (8 ms at 1280×720)

# The second look at big photos: a copy 1600 px wide (thin bars still leave a gradient there;
# twice as fast as half resolution) and windows down to 0.5 % of it, which located every code
# on the 12 MP samples bar two (the default windows, 1 % and up, found 3 of 11).
_FINE_LOCATE_WIDTH = 1600
_FINE_SCALES = [0.005, 0.01, 0.02, 0.03]

# One pair of locators per thread: a detector object keeps state between calls, and the API
# decodes uploads on a thread pool.
_local = threading.local()


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
    found, unread = zxing_scan(gray, formats, found_by="full-frame", try_downscale=big)
    linear = formats & LINEAR_FORMATS
    if linear:
        for box in locate(gray):
            if any(_inside(_centre(b.polygon), box) for b in found if b.format.is_linear):
                continue
            found.extend(_decode_box(gray, box, linear, deadline))
    matrix = formats - LINEAR_FORMATS
    # A second look for 2D codes only where the frame shows some (read or not): labels carry
    # them in groups, and a blank or 1D-only frame should not pay for it.
    has_2d = bool(unread & matrix) or any(not b.format.is_linear for b in found)
    # It is a full-frame pass: under a budget, start it only if it can end in time.
    cost_ms = _SECOND_LOOK_MS_PER_MP * gray.size / 1e6
    if matrix and has_2d and _time_left_ms(deadline) >= cost_ms:
        found.extend(_second_look_2d(gray, matrix, found))
    return found


def _time_left_ms(deadline: float | None) -> float:
    """Milliseconds until the deadline (infinite without one)."""
    return math.inf if deadline is None else (deadline - time.perf_counter()) * 1000


def _second_look_2d(
    gray: np.ndarray, formats: frozenset[Format], found: list[Barcode]
) -> list[Barcode]:
    """2D codes a sharpened full frame reads, each confirmed on a crop around it."""
    # Sharpening restores module edges softened by slight motion blur or focus; like every
    # enhanced view it may invent, so a read stands only when a second view agrees.
    view = _sharpened(gray, 1.5, 1.0)
    new = [
        b
        for b in zxing_read(view, formats, found_by="full-frame+sharpen")
        if not any(k.format == b.format and k.text == b.text for k in found)
    ]
    return [b for b in new if _confirmed_2d(gray, b)]


def _confirmed_2d(gray: np.ndarray, barcode: Barcode) -> bool:
    """Whether a second view of a 2D read's neighbourhood (upscaled crop) reads the same."""
    x, y, w, h = cv2.boundingRect(np.array(barcode.polygon, dtype=np.int32))
    margin = max(w, h) // 2 + 8  # quiet zone, and a polygon that cut the symbol short
    top, left = max(0, y - margin), max(0, x - margin)
    crop = gray[top : y + h + margin, left : x + w + margin]
    if min(crop.shape) < _MIN_CROP_SIDE:
        return False
    # The plain crop first; then one sharpened at another scale and strength than the frame was,
    # as the located passes let two different sharpenings confirm each other.
    for view in (_upscaled(crop), _sharpened(_upscaled(crop), 1.5, 2.0)):
        again = zxing_read(view, {barcode.format}, found_by="confirm")
        if any(b.text == barcode.text for b in again):
            return True
    return False


def locate(gray: np.ndarray) -> list[np.ndarray]:
    """Quadrilaterals (4×2 float, image coordinates) where 1D bar patterns are, at any angle."""
    if max(gray.shape) <= _BIG_IMAGE:
        # Half resolution, which the detector shrinks further to _LOCATE_WIDTH itself: on the
        # 1080p samples this located two codes a 640 px copy of our own did not.
        return _detect(gray, max(_LOCATE_WIDTH, max(gray.shape) // 2), fine=False)
    # Exact halving is cheap (a 12 MP photo to 0.4 directly costs 14 ms); both looks start there.
    half = cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    # On a 12 MP photo a label's codes are a few % of the frame: the default windows are too
    # coarse for most of them, so a second look uses a larger copy and small windows.
    boxes = _detect(half, _LOCATE_WIDTH, fine=False) + _detect(half, _FINE_LOCATE_WIDTH, fine=True)
    return [box * 2 for box in _distinct(boxes)]


def _detector(fine: bool) -> cv2.barcode.BarcodeDetector:
    """This thread's locator: the default windows, or small ones for big photos."""
    _detectors: dict[bool, cv2.barcode.BarcodeDetector] = _local.__dict__.setdefault(
        "detectors", {}
    )
    if fine not in _detectors:
        detector = cv2.barcode.BarcodeDetector()
        # The detector shrinks anything wider than its threshold (512 by default) itself: at
        # 640 a 720p frame's half-size copy is analysed whole, which located more of the
        # samples' codes; the fine look must keep its whole copy.
        detector.setDownsamplingThreshold(_FINE_LOCATE_WIDTH if fine else _LOCATE_WIDTH)
        if fine:
            detector.setDetectorScales(_FINE_SCALES)
        _detectors[fine] = detector
    return _detectors[fine]


def _detect(gray: np.ndarray, width: int, *, fine: bool) -> list[np.ndarray]:
    """The boxes located on a copy at most `width` wide, in the coordinates of `gray`."""
    scale = min(1.0, width / max(gray.shape))
    small = (
        gray
        if scale == 1.0
        else cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    )
    ok, points = _detector(fine).detect(small)
    if not ok or points is None:
        return []
    return [np.asarray(p, dtype=np.float32).reshape(4, 2) / scale for p in points]


def _distinct(boxes: list[np.ndarray]) -> list[np.ndarray]:
    """The boxes without those whose centre lies in one kept before (one code, found twice)."""
    kept: list[np.ndarray] = []
    for box in boxes:
        cx, cy = box.mean(axis=0)
        if not any(_inside((float(cx), float(cy)), k) for k in kept):
            kept.append(box)
    return kept


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
