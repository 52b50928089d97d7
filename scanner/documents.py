"""Reading a carton photo: every code and text line, grouped into the printed documents stuck on it.

A carton at the intake station carries the domestic waybill and (if the supplier did its job) the
platform's shipping label, side by side, both turned with the carton. Text lines and codes are
grouped into documents by layout alone: turned upright by the text's own angle, lines that are
stacked in a column, or side by side on a row, belong together; the gap between two pieces of
paper is wider than the gap between two lines of one. What each document *is* (label or waybill)
is decided from its words by the caller (intake/labelread.py): this module knows no domain.
"""

import itertools
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from scanner.barcode import ALL_FORMATS, Barcode, Point
from scanner.ocr import TextLine, TextReader
from scanner.pipeline import Check, decode

# Two items are of one document when, turned upright, they overlap in columns (or rows) and the gap
# between them is under this many text-line heights. Within the label samples line gaps are
# 0.2-0.9 heights; paper margins put 2 or more between two documents.
_STACK_GAP = 1.1
_ROW_GAP = 1.6
_COLUMN_OVERLAP = 0.25  # of the narrower item's width
_ROW_OVERLAP = 0.4  # of the lower item's height
# A group of one or two short items (a country code "SG", a "PKG 1/2" box) joins the nearest
# document within this many line heights: printed far from the block, but on the same paper.
_STRAY_JOIN = 6.0
_STRAY_MAX_ITEMS = 2
_BLOCK_JOIN = 3.0
# Carton board is brown (HSV saturation 110-145 on the samples, any light); paper, print and ink
# stay under ~60. Two items with board between them are on two pieces of paper.
_BOARD_SATURATION = 90
_BOARD_VIEW_SIDE = 960
_BOARD_FRACTION = 0.06  # of the samples along the path between two items
_PATH_SAMPLES = 48


@dataclass(frozen=True, slots=True)
class Document:
    """One piece of paper on the carton: its lines in reading order, and the codes on it."""

    lines: tuple[TextLine, ...]
    codes: tuple[Barcode, ...]
    polygon: tuple[Point, ...]  # the rectangle around its text and codes, on the photo
    angle_deg: float  # how far its text is turned (clockwise positive)

    @property
    def texts(self) -> list[str]:
        """Its lines' texts, top to bottom."""
        return [line.text for line in self.lines]


@dataclass(frozen=True, slots=True)
class CartonReading:
    """Everything read on one carton photo."""

    documents: tuple[Document, ...]
    codes: tuple[Barcode, ...]
    lines: tuple[TextLine, ...]
    sharpness: float  # variance of the Laplacian over the text areas (under ~50: blurred)
    width: int
    height: int
    timings_ms: dict[str, float] = field(default_factory=dict)


def read_carton(
    image: np.ndarray, *, reader: TextReader, check: Check | None = None
) -> CartonReading:
    """Decode every code and read every text line of a BGR photo; group them into documents."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    codes = decode(image, formats=ALL_FORMATS, check=check)
    timings["codes"] = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    lines = reader.read(image)
    timings["text"] = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    documents = group_documents(lines, codes, board=board_mask(image))
    timings["layout"] = (time.perf_counter() - started) * 1000
    height, width = image.shape[:2]
    return CartonReading(
        documents=tuple(documents),
        codes=tuple(codes),
        lines=tuple(lines),
        sharpness=_sharpness(image, lines),
        width=width,
        height=height,
        timings_ms=timings,
    )


class BoardMask:
    """Where the photo shows carton board (brown) rather than paper, on a reduced view."""

    def __init__(self, image: np.ndarray) -> None:
        height, width = image.shape[:2]
        self.scale = min(1.0, _BOARD_VIEW_SIDE / max(height, width))
        view = cv2.resize(image, None, fx=self.scale, fy=self.scale, interpolation=cv2.INTER_AREA)
        saturation = cv2.medianBlur(cv2.cvtColor(view, cv2.COLOR_BGR2HSV)[..., 1], 5)
        self.board = saturation > _BOARD_SATURATION

    def between(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        """Whether the straight path from a to b (photo coordinates) crosses board."""
        t = np.linspace(0.0, 1.0, _PATH_SAMPLES)
        xs = ((a[0] + (b[0] - a[0]) * t) * self.scale).astype(int)
        ys = ((a[1] + (b[1] - a[1]) * t) * self.scale).astype(int)
        height, width = self.board.shape
        inside = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
        if not inside.any():
            return False
        return float(self.board[ys[inside], xs[inside]].mean()) >= _BOARD_FRACTION


def board_mask(image: np.ndarray) -> BoardMask | None:
    """The board mask of a colour photo (None for grey photos: no colour to tell board by)."""
    return BoardMask(image) if image.ndim == 3 else None


@dataclass(slots=True)
class _Item:
    """A line or a code, turned upright: an axis-aligned box in the text's own frame."""

    line: TextLine | None
    code: Barcode | None
    centre: tuple[float, float]  # on the photo
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def group_documents(
    lines: Sequence[TextLine], codes: Sequence[Barcode], *, board: BoardMask | None = None
) -> list[Document]:
    """The documents the lines and codes make up, largest first; with the carton board's mask,
    items with board between them are never of one document."""
    if not lines and not codes:
        return []
    angle = text_angle(lines)
    turn = _rotation(-angle)
    items = [_upright(turn, line.polygon, line=line) for line in lines]
    items += [_upright(turn, code.polygon, code=code) for code in codes]
    heights = [i.height for i in items if i.line is not None]
    unit = statistics.median(heights) if heights else 20.0

    def linked(a: _Item, b: _Item) -> bool:
        return _same_block(a, b, unit) and not (board and board.between(a.centre, b.centre))

    groups = _connected(items, linked)
    groups = _join_strays(groups, unit, board)
    documents = [_document(group, angle) for group in groups]
    return sorted(documents, key=lambda d: -len(d.lines) - len(d.codes))


def text_angle(lines: Sequence[TextLine]) -> float:
    """The median angle of the text lines' baselines in degrees (clockwise positive), long lines
    counted more: they give the surest angle."""
    weighted: list[float] = []
    for line in lines:
        (x0, y0), (x1, y1) = line.polygon[0], line.polygon[1]
        length = math.hypot(x1 - x0, y1 - y0)
        if length < 8:
            continue
        weighted += [math.degrees(math.atan2(y1 - y0, x1 - x0))] * max(1, int(length // 40))
    return statistics.median(weighted) if weighted else 0.0


def _rotation(angle_deg: float) -> np.ndarray:
    radians = math.radians(angle_deg)
    cos, sin = math.cos(radians), math.sin(radians)
    return np.array([[cos, -sin], [sin, cos]])


def _upright(
    turn: np.ndarray,
    polygon: Sequence[Point],
    *,
    line: TextLine | None = None,
    code: Barcode | None = None,
) -> _Item:
    corners = np.asarray(polygon, dtype=float)
    cx, cy = corners.mean(axis=0)
    points = corners @ turn.T
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    return _Item(line, code, (float(cx), float(cy)), float(x0), float(y0), float(x1), float(y1))


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _same_block(a: _Item, b: _Item, unit: float) -> bool:
    """Stacked in one column with a line gap, or on one row with a word gap."""
    narrower = max(1.0, min(a.x1 - a.x0, b.x1 - b.x0))
    vertical_gap = max(a.y0, b.y0) - min(a.y1, b.y1)
    if _overlap(a.x0, a.x1, b.x0, b.x1) >= _COLUMN_OVERLAP * narrower:
        return vertical_gap <= _STACK_GAP * unit
    lower = max(1.0, min(a.height, b.height))
    if _overlap(a.y0, a.y1, b.y0, b.y1) >= _ROW_OVERLAP * lower:
        horizontal_gap = max(a.x0, b.x0) - min(a.x1, b.x1)
        return horizontal_gap <= _ROW_GAP * unit
    return False


def _connected(items: list[_Item], linked: Callable[[_Item, _Item], bool]) -> list[list[_Item]]:
    """Connected components of the items under `linked` (a few dozen items: pairs are cheap)."""
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            if linked(items[i], items[j]):
                parent[root(i)] = root(j)
    groups: dict[int, list[_Item]] = {}
    for i, item in enumerate(items):
        groups.setdefault(root(i), []).append(item)
    return list(groups.values())


def _join_strays(
    groups: list[list[_Item]], unit: float, board: BoardMask | None
) -> list[list[_Item]]:
    """Groups on one piece of paper that the layout rules left apart join up: a short one ("SG",
    "PKG 1/2") within _STRAY_JOIN line heights, a block (the signature box under a waybill, a
    label's lower half under a smear) within _BLOCK_JOIN; never across carton board."""
    groups = sorted(groups, key=len, reverse=True)
    merged = True
    while merged:
        merged = False
        for i, j in itertools.combinations(range(len(groups)), 2):
            a, b = groups[i], groups[j]
            reach = _STRAY_JOIN if min(len(a), len(b)) <= _STRAY_MAX_ITEMS else _BLOCK_JOIN
            p, q = _closest_pair(a, b)
            if _gap([p], [q]) > reach * unit:
                continue
            if board and board.between(p.centre, q.centre):
                continue
            groups[i] = a + b
            del groups[j]
            merged = True
            break
    return groups


def _closest_pair(a: list[_Item], b: list[_Item]) -> tuple[_Item, _Item]:
    return min(((p, q) for p in a for q in b), key=lambda pq: _gap([pq[0]], [pq[1]]))


def _gap(a: list[_Item], b: list[_Item]) -> float:
    """The shortest box-to-box distance between two groups."""
    best = math.inf
    for p in a:
        for q in b:
            dx = max(0.0, max(p.x0, q.x0) - min(p.x1, q.x1))
            dy = max(0.0, max(p.y0, q.y0) - min(p.y1, q.y1))
            best = min(best, math.hypot(dx, dy))
    return best


def _document(group: list[_Item], angle: float) -> Document:
    """One group as a document, read in its own text's angle: two pieces of paper on one carton
    are seldom stuck on quite straight with each other, and a few degrees reorder long lines."""
    own_lines = [i.line for i in group if i.line is not None]
    own = text_angle(own_lines) if own_lines else angle
    turn = _rotation(-own)
    items = [
        _upright(turn, i.line.polygon, line=i.line) if i.line is not None
        else _upright(turn, i.code.polygon, code=i.code) if i.code is not None
        else i
        for i in group
    ]  # fmt: skip
    lines = _reading_order([i for i in items if i.line is not None])
    codes = sorted((i for i in items if i.code is not None), key=lambda i: (i.y0, i.x0))
    x0 = min(i.x0 for i in items)
    y0 = min(i.y0 for i in items)
    x1 = max(i.x1 for i in items)
    y1 = max(i.y1 for i in items)
    corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]) @ _rotation(own).T
    return Document(
        lines=tuple(i.line for i in lines if i.line is not None),
        codes=tuple(i.code for i in codes if i.code is not None),
        polygon=tuple((round(float(x)), round(float(y))) for x, y in corners),
        angle_deg=round(own, 1),
    )


def _reading_order(items: list[_Item]) -> list[_Item]:
    """Rows top to bottom (an item whose middle is within half a line of the row's first joins
    it), each row left to right."""
    if not items:
        return []
    half = statistics.median(i.height for i in items) / 2
    rows: list[list[_Item]] = []
    for item in sorted(items, key=lambda i: (i.y0 + i.y1) / 2):
        middle = (item.y0 + item.y1) / 2
        if rows and middle - (rows[-1][0].y0 + rows[-1][0].y1) / 2 <= half:
            rows[-1].append(item)
        else:
            rows.append([item])
    return [item for row in rows for item in sorted(row, key=lambda i: i.x0)]


def _sharpness(image: np.ndarray, lines: Sequence[TextLine]) -> float:
    """How sharp the text is: the variance of the Laplacian over the text lines' boxes."""
    if not lines:
        return 0.0
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    values = []
    for line in lines[:40]:
        x, y, w, h = line.box
        crop = gray[max(0, y) : y + h, max(0, x) : x + w]
        if crop.size >= 64:
            values.append(float(cv2.Laplacian(crop, cv2.CV_64F).var()))
    return statistics.median(values) if values else 0.0
