"""Fonts for label text: Latin from DejaVu, Chinese from whatever CJK font fontconfig lists."""

import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import ImageDraw, ImageFont

LATIN = {"sans": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf", "mono": "DejaVuSansMono-Bold.ttf"}


@lru_cache
def font_file(kind: str) -> str | None:
    """The font file for a kind of text; None when none is installed (Pillow's default then)."""
    if kind != "cjk":
        path = Path("/usr/share/fonts/truetype/dejavu") / LATIN[kind]
        return str(path) if path.exists() else None
    try:
        listing = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True)
    except OSError:
        return None
    lines = listing.stdout.splitlines()
    files = sorted(line.split(":")[0].strip() for line in lines if line.strip())
    return files[0] if files else None


@lru_cache(maxsize=256)
def font(kind: str, px: int) -> Any:
    """The font for a kind of text at a size in pixels."""
    path = font_file(kind)
    return ImageFont.truetype(path, px) if path else ImageFont.load_default(px)


def runs(text: str, kind: str) -> list[tuple[str, str]]:
    """The text split into runs per font: a CJK font may lack Latin, DejaVu has no Chinese."""
    if kind != "cjk":
        return [(kind, text)]
    out: list[tuple[str, str]] = []
    for ch in text:
        run_kind = "cjk" if ord(ch) >= 0x2E80 else "sans"
        if out and (out[-1][0] == run_kind or ch == " "):
            out[-1] = (out[-1][0], out[-1][1] + ch)
        else:
            out.append((run_kind, ch))
    if font_file("cjk") is None:  # no CJK font installed: the Latin part only
        out = [(k, t) for k, t in out if k != "cjk"]
    return out


@lru_cache(maxsize=1024)
def text_length(text: str, kind: str) -> float:
    """Width of `text` in units of its font size."""
    return sum(float(font(k, 100).getlength(t)) for k, t in runs(text, kind)) / 100


def draw_text(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    kind: str,
    px: int,
    *,
    fill: int,
    align: str = "l",
) -> None:
    """Text whose top is at xy[1], aligned l/m/r on xy[0], each run in its own font."""
    x = xy[0] - text_length(text, kind) * px * {"l": 0.0, "m": 0.5, "r": 1.0}[align]
    baseline = xy[1] + 0.8 * px
    for run_kind, run in runs(text, kind):
        draw.text((x, baseline), run, fill=fill, font=font(run_kind, px), anchor="ls")
        x += font(run_kind, px).getlength(run)
