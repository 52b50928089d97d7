"""Reading printed text: RapidOCR (PP-OCR models shipped inside the wheel, ONNX Runtime on the CPU).

Chosen by measurement (bench/ocr.py, docs/benchmarks.md): it read every order number and postcode
of the label samples where Tesseract read under a tenth. The engine is built once per process and
warmed up with an image that holds text: RapidOCR loads its recogniser only when it first sees
text, and it must never try to fetch a model at run time (there is no network at a station).
"""

import threading
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from scanner.barcode import Point

# On a 12-megapixel phone photo the label is a small part of the frame: at 960 px its captions
# were lost (phone_label_006); 1280 px found them for +0.1 s, 1600 px for +0.6 s.
_DETECTION_SIDE = 960
_DETECTION_SIDE_LARGE = 1280
_LARGE_PHOTO_SIDE = 2500
# Speed settings measured on the label samples: no angle classifier (labels are upright within
# ±45°, and the detector's boxes follow the tilt), text detection on the photo scaled to at most
# 960 px, which kept every field readable from 720p to 12 megapixels; recognition reads each line
# from the full-resolution photo.
_PARAMS: dict[str, Any] = {
    "Global.log_level": "warning",
    "Global.use_cls": False,
    "Det.limit_type": "max",
    "Det.limit_side_len": _DETECTION_SIDE,
    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
}


@dataclass(frozen=True, slots=True)
class TextLine:
    """One line of text read on the photo: what it says, how sure the reader is, where it is."""

    text: str
    confidence: float  # 0..1, the recogniser's own score
    polygon: tuple[Point, ...]  # four corners in the photo's pixel coordinates, clockwise

    @property
    def box(self) -> tuple[int, int, int, int]:
        """The upright bounding box (x, y, width, height) on the photo."""
        xs = [p[0] for p in self.polygon]
        ys = [p[1] for p in self.polygon]
        return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


class TextReader:
    """A warmed-up RapidOCR engine; one photo at a time (it already uses every core given)."""

    def __init__(self, threads: int) -> None:
        from rapidocr import RapidOCR  # imported here: ~1 s, and only inspection needs it

        params = _PARAMS | {"EngineConfig.onnxruntime.intra_op_num_threads": threads}
        self._engine = RapidOCR(params=params)
        self._lock = threading.Lock()
        self.read(_warm_up_image())

    def read(self, image: np.ndarray) -> list[TextLine]:
        """Every text line RapidOCR finds in a BGR image."""
        large = max(image.shape[:2]) > _LARGE_PHOTO_SIDE
        with self._lock:  # the ONNX sessions are shared; serialise rather than oversubscribe
            # The detector reads its size limit at each call; RapidOCR has no per-call option.
            detector: Any = self._engine.text_det  # None until the first photo loads it
            if detector is not None:
                detector.limit_side_len = _DETECTION_SIDE_LARGE if large else _DETECTION_SIDE
            result: Any = self._engine(image)  # a RapidOCROutput: detection and recognition ran
        if result.boxes is None or result.txts is None or result.scores is None:
            return []
        lines = []
        for quad, text, score in zip(result.boxes, result.txts, result.scores, strict=True):
            polygon = tuple((round(float(x)), round(float(y))) for x, y in quad)
            if text.strip():
                lines.append(TextLine(text.strip(), float(score), polygon))
        return lines


_readers: dict[int, TextReader] = {}
_readers_lock = threading.Lock()


def text_reader(threads: int = 2) -> TextReader:
    """The process's one text reader (loading the models takes seconds and ~300 MB). Made once
    even when the server's warm-up thread and a first photo ask for it at the same moment."""
    with _readers_lock:
        if threads not in _readers:
            _readers[threads] = TextReader(threads)
        return _readers[threads]


def _warm_up_image() -> np.ndarray:
    """A small picture of printed words and digits: enough for both models to load."""
    image = np.full((120, 640, 3), 255, np.uint8)
    for row, words in enumerate(("Order No 5764 1234", "SHIP TO Emily 62704")):
        cv2.putText(image, words, (20, 50 + row * 45), cv2.FONT_HERSHEY_SIMPLEX, 1, (0, 0, 0), 2)
    return image
