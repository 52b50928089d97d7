"""The video: three cartons slid under a webcam one after another, the empty table in between."""

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from synth.drawing import (
    Scene,
    compose,
    inside,
    motion_kernel,
    seam_tape,
    symbol_quads,
    table,
    visible,
)
from synth.parcels import Code, Mat, Rng, build_labels, translate

SIZE, FPS = (1280, 720), 30
HOLD = 0.3  # share of a carton's pass spent held still
EXPOSURE = 0.12  # share of the frame interval the shutter is open (1/250 s): blur per px moved


@dataclass
class Pass:
    """One carton's trip under the camera."""

    first: int  # frame it enters
    frames: int
    sprite: Mat  # the carton face, straight on
    codes: list[tuple[Code, Mat]]  # each code's corners on the sprite
    dy: float  # lane offset from the frame's middle, px
    tilt: float  # degrees


def carton_sprite(rng: Rng, platform: bool, ppb: float) -> tuple[Mat, list[tuple[Code, Mat]]]:
    """A carton face seen straight on, its waybill at `ppb` pixels per bar, and its codes."""
    s = ppb / rng.uniform(0.32, 0.4)
    scene = Scene((0, 0), s)
    scene.labels = build_labels(rng, s, ppb, platform=platform)
    pts = np.vstack([lb.corners_plane() for lb in scene.labels])
    lo, hi = pts.min(0) - rng.uniform(12, 30, 2), pts.max(0) + rng.uniform(12, 30, 2)
    scene.carton = (float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1]))
    scene.tape = seam_tape(rng, scene, True)
    scene.size = (math.ceil((hi[0] - lo[0]) * s), math.ceil((hi[1] - lo[1]) * s))
    scene.h = np.diag([s, s, 1]) @ translate(-lo[0], -lo[1])
    return compose(rng, scene), [(code, box) for code, box, _ in symbol_quads(scene, scene.h)]


def pose(trip: Pass, f: int) -> tuple[Mat, float]:
    """The carton's affine placement in frame `f` and its speed there (px per frame)."""
    w, h = SIZE
    u = (f - trip.first) / (trip.frames - 1) * 2 - 1  # -1 entering .. 1 leaving
    travel = w + trip.sprite.shape[1] * 1.05
    # Slid in, slowing down, held still under the camera for a moment, slid out.
    d = max(abs(u) - HOLD, 0.0) / (1 - HOLD)
    x = w / 2 + math.copysign(travel / 2 * d**3, u)
    speed = travel / 2 * 3 * d**2 / (1 - HOLD) * 2 / (trip.frames - 1)
    m = cv2.getRotationMatrix2D((trip.sprite.shape[1] / 2, trip.sprite.shape[0] / 2), -trip.tilt, 1)
    m[:, 2] += (x - trip.sprite.shape[1] / 2, h / 2 + trip.dy - trip.sprite.shape[0] / 2)
    return m, speed


def _blit(frame: Mat, sprite: Mat, m: Mat, blur: float) -> bool:
    """Draw the moving carton with its motion blur; whether any of it is in frame."""
    w, h = SIZE
    warped = cv2.warpAffine(sprite, m, (w, h), flags=cv2.INTER_LINEAR)
    alpha = cv2.warpAffine(np.ones(sprite.shape[:2], np.float32), m, (w, h), flags=cv2.INTER_LINEAR)
    if not alpha.any():
        return False
    warped *= alpha[..., None]
    if blur > 1:
        kernel = motion_kernel(blur, 0.0)
        warped, alpha = cv2.filter2D(warped, -1, kernel), cv2.filter2D(alpha, -1, kernel)
    frame *= 1 - alpha[..., None]
    frame += warped
    return True


def _writer(out: Path) -> tuple[cv2.VideoWriter, Path]:
    for name, fourcc in (("cartons.mp4", "mp4v"), ("cartons.avi", "MJPG")):
        writer = cv2.VideoWriter(str(out / name), cv2.VideoWriter_fourcc(*fourcc), FPS, SIZE)
        if writer.isOpened():
            return writer, out / name
    raise RuntimeError("OpenCV here can write neither MPEG-4 nor Motion JPEG")


def make_video(out: Path, seed: int) -> dict[str, Any]:
    """Write the clip into `out` and return its truth for the manifest."""
    rng = np.random.default_rng([seed, 9999])
    background = table(rng, *SIZE) * 0.95
    trips, start = [], 15
    for i, platform in enumerate((False, True, False)):
        sprite, codes = carton_sprite(rng, platform, (2.6, 2.4, 2.8)[i])
        frames = int(rng.integers(24, 27))
        trips.append(Pass(start, frames, sprite, codes, rng.uniform(-40, 40), (-4.0, 6.0, 2.0)[i]))
        start += frames + int(rng.integers(10, 13))
    writer, path = _writer(out)
    seen: dict[tuple[int, int, str], list[int]] = {}
    for f in range(start):
        frame = background.copy()
        for k, trip in enumerate(trips):
            if trip.first <= f < trip.first + trip.frames:
                m, speed = pose(trip, f)
                if _blit(frame, trip.sprite, m, speed * EXPOSURE):
                    seen.setdefault((k, -1, "any"), []).append(f)
                for j, (_, box) in enumerate(trip.codes):
                    pts = box @ m[:, :2].T + m[:, 2]
                    if visible(pts, *SIZE):
                        seen.setdefault((k, j, "any"), []).append(f)
                    if inside(pts, *SIZE, 4):
                        seen.setdefault((k, j, "whole"), []).append(f)
        frame = cv2.GaussianBlur(frame, (0, 0), 0.6)  # a webcam's optics
        writer.write(np.clip(frame, 0, 255).round().astype(np.uint8))
    writer.release()
    return _truth(path, start, trips, seen)


def _span(frames: list[int] | None) -> list[int] | None:
    return [frames[0], frames[-1]] if frames else None


def _truth(
    path: Path, total: int, trips: list[Pass], seen: dict[tuple[int, int, str], list[int]]
) -> dict[str, Any]:
    cartons = []
    for k, trip in enumerate(trips):
        codes = []
        turn = pose(trip, trip.first)[0][:, :2]  # the tilt stays the same all the way
        for j, (code, box) in enumerate(trip.codes):
            dx, dy = turn @ ((box[1] + box[2] - box[0] - box[3]) / 2)
            entry = {
                "format": code.fmt,
                "text": code.text,
                "role": code.role,
                "rotation_deg": round(math.degrees(math.atan2(dy, dx)) % 360, 2),
                "ppb": round(math.hypot(dx, dy) / code.dark.shape[1], 2),
                "visible": _span(seen.get((k, j, "whole"))),
                "partly_visible": _span(seen.get((k, j, "any"))),
            }
            codes.append(entry)
        waybill = seen.get((k, 0, "whole"), [])
        blur = [pose(trip, f)[1] * EXPOSURE for f in waybill] or [0.0]
        cartons.append(
            {
                "in_view": _span(seen.get((k, -1, "any"))),
                "tilt_deg": trip.tilt,
                "motion_blur_px": [round(min(blur), 1), round(max(blur), 1)],
                "codes": codes,
            }
        )
    busy = {f for (_, j, _), frames in seen.items() if j == -1 for f in frames}
    empty: list[list[int]] = []
    for f in (f for f in range(total) if f not in busy):
        if empty and empty[-1][1] == f - 1:
            empty[-1][1] = f
        else:
            empty.append([f, f])
    return {
        "file": f"video/{path.name}",
        "fps": FPS,
        "width": SIZE[0],
        "height": SIZE[1],
        "frames": total,
        "cartons": cartons,
        "empty_frames": empty,
    }
