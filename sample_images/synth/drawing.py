"""Pixels: labels rasterised, a carton and a table, composed through a homography, photographed."""

import math
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw

from synth.fonts import draw_text
from synth.parcels import LINEAR, Code, Label, Mat, Rng, apply, translate

CARDBOARD = ((88, 140, 182), (80, 128, 170), (100, 150, 190), (72, 118, 160))  # BGR
TABLES = ((150, 152, 148), (70, 105, 140), (48, 48, 52))  # grey laminate, wood, black belt


@dataclass(eq=False)
class Scene:
    """A carton face with its labels, posed by a plane->image homography, seen in a frame."""

    size: tuple[int, int]
    s: float  # label raster scale, px per mm (the image scale at the waybill)
    labels: list[Label] = field(default_factory=list)
    carton: tuple[float, float, float, float] | None = None  # x0, y0, w, h on the face, mm
    tape: tuple[float, float, bool] | None = None  # seam tape: y from the carton top, height, glare
    h: Mat = field(default_factory=lambda: np.eye(3))  # carton-face mm -> image px
    # Clear tape across a label: (label, y0, y1, x of the glare peak, its spread, its strength).
    clear_tape: tuple[Label, float, float, float, float, float] | None = None


def coverage(dark: Mat, w_px: int, h_px: int) -> Mat:
    """Ink coverage (0..1) of a module grid drawn exactly w_px x h_px: fractional modules blend."""
    up = max(16, 2 * math.ceil(max(w_px / dark.shape[1], h_px / dark.shape[0])))
    if dark.shape[0] == 1:
        row = cv2.resize(
            np.repeat(dark.astype(np.float32), up, 1), (w_px, 1), interpolation=cv2.INTER_AREA
        )
        return np.repeat(row, h_px, 0)
    big = np.repeat(np.repeat(dark.astype(np.float32), up, 1), up, 0)
    return cv2.resize(big, (w_px, h_px), interpolation=cv2.INTER_AREA)


def render_label(label: Label, s: float) -> Mat:
    """The label at s px/mm, grayscale; each code's symbol at round(mm * s) exactly."""
    image = Image.new("L", (math.ceil(label.w_mm * s), math.ceil(label.h_mm * s)), 255)
    draw = ImageDraw.Draw(image)
    for x0, y0, x1, y1, fill in label.boxes:
        # A rule thinner than a pixel at this scale still draws one pixel wide.
        right, bottom = max(x0 * s, x1 * s - 1), max(y0 * s, y1 * s - 1)
        draw.rectangle((x0 * s, y0 * s, right, bottom), fill=fill or label.ink)
    for t in label.texts:
        px = max(5, round(t.size * s))
        draw_text(
            draw, (t.x * s, t.y * s), t.text, t.kind, px, fill=t.fill or label.ink, align=t.align
        )
    pixels = np.array(image)
    for code in label.codes:
        x0, y0 = round(code.x_mm * s), round(code.y_mm * s)
        w, h = round(code.width_mm * s), round(code.height_mm * s)
        ink = 255 - coverage(code.dark, w, h) * (255 - label.ink)
        region = pixels[y0 : y0 + h, x0 : x0 + w]
        region[:] = np.minimum(region, ink[: region.shape[0], : region.shape[1]]).astype(np.uint8)
    return pixels


def symbol_quads(scene: Scene, m: Mat) -> list[tuple[Code, Mat, Mat]]:
    """Each code with its symbol's corners and its quiet zone's corners through face->image `m`.

    The corners run top-left, top-right, bottom-right, bottom-left of the upright symbol, and
    match render_label's pixels: both place the symbol at round(mm * s)."""
    out = []
    for label in scene.labels:
        to_img = m @ label.to_plane() @ np.diag([1 / scene.s, 1 / scene.s, 1])
        for code in label.codes:
            x, y = round(code.x_mm * scene.s), round(code.y_mm * scene.s)
            w, h = round(code.width_mm * scene.s), round(code.height_mm * scene.s)
            qx = code.quiet_mm * scene.s
            qy = qx if code.fmt not in LINEAR else scene.s  # 1 mm above and below the bars
            box = np.array([(x, y), (x + w, y), (x + w, y + h), (x, y + h)], float)
            grown = box + np.array([(-qx, -qy), (qx, -qy), (qx, qy), (-qx, qy)])
            out.append((code, apply(to_img, box), apply(to_img, grown)))
    return out


def inside(poly: Mat, w: int, h: int, margin: float = 2.0) -> bool:
    """Whether the polygon lies wholly in a w x h frame, `margin` px from its edges."""
    lo, hi = poly.min(0), poly.max(0)
    return bool(lo[0] >= margin and lo[1] >= margin and hi[0] <= w - margin and hi[1] <= h - margin)


def visible(poly: Mat, w: int, h: int) -> bool:
    """Whether any of the polygon is in a w x h frame."""
    frame = np.array([(0, 0), (w, 0), (w, h), (0, h)], np.float32)
    return cv2.intersectConvexConvex(poly.astype(np.float32), frame)[0] > 0


def warp_into(
    canvas: Mat, src: Mat, m: Mat, border: float
) -> tuple[Mat, Mat, tuple[slice, slice]] | None:
    """`src` warped by `m` onto the part of `canvas` it covers: (pixels, alpha, where)."""
    h, w = src.shape[:2]
    pts = apply(m, np.array([(0, 0), (w, 0), (w, h), (0, h)], float))
    x0, y0 = (max(int(v), 0) for v in np.floor(pts.min(0)) - 1)
    x1, y1 = np.ceil(pts.max(0)).astype(int) + 1
    x1, y1 = min(int(x1), canvas.shape[1]), min(int(y1), canvas.shape[0])
    if x1 <= x0 or y1 <= y0:
        return None
    local, size = translate(-x0, -y0) @ m, (x1 - x0, y1 - y0)
    out = cv2.warpPerspective(src, local, size, flags=cv2.INTER_LINEAR, borderValue=border)
    alpha = cv2.warpPerspective(np.ones((h, w), np.float32), local, size, flags=cv2.INTER_LINEAR)
    return out, alpha, (slice(y0, y1), slice(x0, x1))


def smooth_noise(rng: Rng, w: int, h: int, cells: int) -> Mat:
    """Low-frequency noise of about unit amplitude, `cells` blobs across the longer side."""
    gw, gh = max(2, cells * w // max(w, h)), max(2, cells * h // max(w, h))
    grid = rng.normal(size=(gh + 2, gw + 2)).astype(np.float32)
    big = cv2.resize(grid, (w * (gw + 2) // gw, h * (gh + 2) // gh), interpolation=cv2.INTER_CUBIC)
    oy, ox = (big.shape[0] - h) // 2, (big.shape[1] - w) // 2
    return big[oy : oy + h, ox : ox + w]


def table(rng: Rng, w: int, h: int) -> Mat:
    """The station table or belt under the carton (BGR float)."""
    kind = int(rng.integers(0, len(TABLES)))
    img = np.array(TABLES[kind], np.float32) + 10 * smooth_noise(rng, w, h, 6)[..., None]
    if kind == 1:  # wood grain
        y = np.arange(h, dtype=np.float32)[:, None] + 15 * smooth_noise(rng, w, h, 4)
        img += (5 * np.sin(y / rng.uniform(6, 14)))[..., None]
    return img


def carton_face(
    rng: Rng, w_mm: float, h_mm: float, r: float, tape: tuple[float, float, bool] | None
) -> Mat:
    """Cardboard with fibres and darker fold edges, maybe packing tape with glare, at r px/mm."""
    w, h = math.ceil(w_mm * r), math.ceil(h_mm * r)
    base = np.array(CARDBOARD[int(rng.integers(0, len(CARDBOARD)))], np.float32)
    shade = 9 * smooth_noise(rng, w, h, 7) + 3 * smooth_noise(rng, w, h, 40)
    fibres = cv2.GaussianBlur(rng.normal(size=(h, w)).astype(np.float32), (0, 0), 4 * r, sigmaY=0.7)
    img = base + (shade + 9 * fibres)[..., None] * np.array([0.8, 1.0, 1.1], np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) / r
    edge = np.minimum.reduce([xx, yy, w_mm - xx, h_mm - yy])
    img *= (0.82 + 0.18 * np.clip(edge / 8, 0, 1))[..., None]
    if tape is not None:
        y0, height, glare = tape
        band = (yy >= y0) & (yy < y0 + height)
        img[band] = img[band] * 0.55 + np.array([45, 105, 160], np.float32) * 0.5
        img[(np.abs(yy - y0) < 0.4) | (np.abs(yy - y0 - height) < 0.4)] *= 0.8
        if glare:  # a specular streak along the glossy tape
            x0, spread = rng.uniform(0, w_mm), rng.uniform(15, 60)
            across = ((yy - y0 - height * 0.45) / (height * 0.22)) ** 2
            img += (190 * np.exp(-(((xx - x0) / spread) ** 2) - across) * band)[..., None]
    return img


def table_with_carton(rng: Rng, scene: Scene) -> Mat:
    """The table and, if the scene has one, the carton with its shadow (BGR float)."""
    w, h = scene.size
    img = table(rng, w, h)
    if scene.carton is not None:
        x0, y0, cw, ch = scene.carton
        r = min(scene.s, 2.0)  # the cardboard is smooth: a coarse raster will do
        face = carton_face(rng, cw, ch, r, scene.tape)
        m = scene.h @ translate(x0, y0) @ np.diag([1 / r, 1 / r, 1])
        shadow = warp_into(img, face[..., 0], translate(w * 0.012, h * 0.02) @ m, 0)
        if shadow is not None:
            img[shadow[2]] *= (1 - 0.45 * cv2.GaussianBlur(shadow[1], (0, 0), w / 150))[..., None]
        _paste(img, warp_into(img, face, m, 0), None)
    return img


def compose(rng: Rng, scene: Scene) -> Mat:
    """Table, carton, labels and clear tape, before the camera (BGR float)."""
    img = table_with_carton(rng, scene)
    for label in scene.labels:
        m = scene.h @ label.to_plane() @ np.diag([1 / scene.s, 1 / scene.s, 1])
        warped = warp_into(img, render_label(label, scene.s).astype(np.float32), m, 255)
        tint = np.array(rng.uniform([0.93, 0.96, 0.97], [0.98, 1.0, 1.0]), np.float32)
        _paste(img, warped, tint if label.kind == "paper" else None)
    if scene.clear_tape is not None:
        g, to_map = glare_map(scene)
        m = scene.h @ scene.clear_tape[0].to_plane() @ np.linalg.inv(to_map)
        warped = warp_into(img, g, m, 0)
        if warped is not None:
            img[warped[2]] += (250 - img[warped[2]]) * np.clip(warped[0], 0, 1)[..., None]
    return img


def _paste(
    img: Mat, warped: tuple[Mat, Mat, tuple[slice, slice]] | None, paper: Mat | None
) -> None:
    if warped is None:
        return
    pixels, alpha, where = warped
    a = alpha[..., None]
    if pixels.ndim == 2 and paper is None:  # ink printed on the cardboard darkens it
        img[where] *= 1 - a * (1 - pixels[..., None] / 255) * 0.85
    elif pixels.ndim == 2:
        img[where] = img[where] * (1 - a) + pixels[..., None] * paper * a
    else:
        img[where] = img[where] * (1 - a) + pixels * a


def glare_map(scene: Scene) -> tuple[Mat, Mat]:
    """The clear tape's glare strength (0..1) over its label at 4 px/mm, and label mm -> map."""
    assert scene.clear_tape is not None
    label, y0, y1, x_peak, spread, peak = scene.clear_tape
    r, pad = 4.0, 8.0  # the tape overhangs the label by `pad` mm on each side
    w, h = math.ceil((label.w_mm + 2 * pad) * r), math.ceil(label.h_mm * r)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) / r
    band = ((yy >= y0) & (yy < y1)).astype(np.float32)
    g = band * (0.08 + peak * np.exp(-(((xx - pad - x_peak) / spread) ** 2)))
    return cv2.GaussianBlur(g, (0, 0), 1.5), np.diag([r, r, 1]) @ translate(pad, 0)


def glare_cover(scene: Scene, code: Code) -> float:
    """Share of a code's symbol under strong glare from the clear tape."""
    g, to_map = glare_map(scene)
    xs = np.linspace(code.x_mm, code.x_mm + code.width_mm, 24)
    ys = np.linspace(code.y_mm, code.y_mm + code.height_mm, 24)
    pts = apply(to_map, np.array([(x, y) for y in ys for x in xs]))
    ix = np.clip(pts[:, 0].astype(int), 0, g.shape[1] - 1)
    iy = np.clip(pts[:, 1].astype(int), 0, g.shape[0] - 1)
    return round(float((g[iy, ix] > 0.3).mean()), 2)


def motion_kernel(length: float, angle: float) -> Mat:
    """A normalised line kernel: motion blur of `length` px in direction `angle` degrees."""
    n = math.ceil(length) | 1
    k = np.zeros((n * 8, n * 8), np.float32)
    dx, dy = math.cos(math.radians(angle)) * length * 4, math.sin(math.radians(angle)) * length * 4
    c = n * 4
    cv2.line(k, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 8)
    k = cv2.resize(k, (n, n), interpolation=cv2.INTER_AREA)
    return k / k.sum()


def camera(rng: Rng, img: Mat, cond: dict[str, Any], motion_angle: float) -> Mat:
    """Uneven light, exposure, defocus, motion blur and sensor noise: the photo as uint8 BGR."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - w / 2) ** 2 + (yy - h / 2) ** 2) / ((w / 2) ** 2 + (h / 2) ** 2)
    light = (1 - rng.uniform(0.1, 0.3) * r2) * (1 + 0.08 * smooth_noise(rng, w, h, 3))
    img = img * (light * cond["light_gain"])[..., None]
    if cond["blur_sigma"]:
        img = cv2.GaussianBlur(img, (0, 0), cond["blur_sigma"])
    if cond["motion_blur_px"]:
        img = cv2.filter2D(img, -1, motion_kernel(cond["motion_blur_px"], motion_angle))
    sigma = cond["noise_sigma"]
    if sigma:  # luminance noise, and weaker colour noise
        img += rng.normal(0, sigma, (h, w, 1)).astype(np.float32)
        img += rng.normal(0, sigma / 3, (h, w, 3)).astype(np.float32)
    return np.clip(img, 0, 255).round().astype(np.uint8)


def seam_tape(rng: Rng, scene: Scene, glare: bool) -> tuple[float, float, bool] | None:
    """Packing tape along the flap seam, kept off the codes printed on the cardboard."""
    assert scene.carton is not None
    x0, y0, cw, ch = scene.carton
    prints = [
        lb.corners_plane(pad=2).astype(np.float32) for lb in scene.labels if lb.kind == "print"
    ]
    for _ in range(20):
        y, height = y0 + rng.uniform(0.2, 0.8) * ch, float(rng.choice([48.0, 60.0]))
        band = np.array(
            [(x0, y), (x0 + cw, y), (x0 + cw, y + height), (x0, y + height)], np.float32
        )
        if not any(cv2.intersectConvexConvex(band, p)[0] > 0 for p in prints):
            return (y - y0, height, glare)
    return None
