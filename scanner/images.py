"""Turning uploaded or stored image bytes into pixels, refusing what is not a usable photo."""

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow names; MPO is what many phones write for JPEG.
ACCEPTED_FORMATS = {
    "PNG": "PNG",
    "JPEG": "JPEG",
    "MPO": "JPEG",
    "WEBP": "WebP",
    "BMP": "BMP",
    "TIFF": "TIFF",
}
_MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WebP": "image/webp",
                "BMP": "image/bmp", "TIFF": "image/tiff"}  # fmt: skip
DEFAULT_MAX_PIXELS = 40_000_000  # a 12-megapixel phone photo fits three times over
# Our own cap, checked on the header before decoding, replaces Pillow's global bomb check (whose
# error would not name the image's size).
Image.MAX_IMAGE_PIXELS = None


class ImageRejected(ValueError):
    """Bytes that cannot be used as a photo; the message says why, for the user, and `kind` what
    sort of problem it is: "not_image", "too_large", "damaged" or "unusable" (no such file...)."""

    def __init__(self, message: str, kind: str = "unusable") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class LoadedImage:
    """Pixels (BGR, 8-bit, upright as the camera saw them) and where they came from."""

    pixels: np.ndarray
    format: str
    exif_rotated: bool

    @property
    def media_type(self) -> str:
        """The MIME type of the file it was decoded from ("image/jpeg")."""
        return _MEDIA_TYPES[self.format]


def load_image(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> LoadedImage:
    """Decode PNG, JPEG, WebP, BMP or TIFF bytes, honouring EXIF orientation, within a pixel cap."""
    if not data:
        raise ImageRejected("empty file (0 bytes)", "damaged")
    image = _open(data)
    _check_size(image, max_pixels)
    try:
        image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected(
            f"damaged or truncated {image.format} image ({exc})", "damaged"
        ) from exc
    upright = ImageOps.exif_transpose(image)
    exif_rotated = upright.size != image.size or image.getexif().get(0x0112, 1) != 1
    return LoadedImage(_to_bgr(upright), ACCEPTED_FORMATS[str(image.format)], exif_rotated)


def _open(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError as exc:
        raise ImageRejected(
            "not an image (PNG, JPEG, WebP, BMP or TIFF expected)", "not_image"
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected(f"unreadable image header ({exc})", "damaged") from exc
    if image.format not in ACCEPTED_FORMATS:
        raise ImageRejected(
            f"{image.format} images are not accepted (PNG, JPEG, WebP, BMP or TIFF expected)",
            "not_image",
        )
    return image


def _check_size(image: Image.Image, max_pixels: int) -> None:
    # Checked on the header, before any pixel is decoded: a small file can claim a huge image.
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageRejected(f"image has no pixels ({width}×{height})", "damaged")
    if width * height > max_pixels:
        raise ImageRejected(
            f"image is {width}×{height} pixels, over the limit of {max_pixels:,} pixels",
            "too_large",
        )


def _to_bgr(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        wide = np.asarray(image, dtype=np.uint32)
        peak = max(int(wide.max()), 1)
        gray = (wide * 255 // peak).astype(np.uint8)
        return np.stack([gray] * 3, axis=-1)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        image = background
    rgb = np.asarray(image.convert("RGB"))
    return np.ascontiguousarray(rgb[:, :, ::-1])


def thumbnail_jpeg(data: bytes, *, width: int = 240) -> bytes:
    """A small JPEG of an image (for a report's rows), at most `width` pixels wide."""
    image = _open(data)
    image.thumbnail((width, width * 4))
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=70)
    return out.getvalue()
