"""Real test images made on the fly: codes rendered by zxing-cpp, placed, rotated, saved."""

import io
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import zxingcpp
from PIL import Image

ZX = zxingcpp.BarcodeFormat
SAMPLES = {
    "Code128": "SF1234567890123",
    "Code39": "CTN-4512",
    "Code93": "YT1234567890123",
    "ITF": "12345678901231",
    "EAN13": "5901234123457",
    "EAN8": "96385074",
    "UPCA": "036000291452",
    "UPCE": "01234565",
    "QRCode": "576400000000000001",
    "DataMatrix": "576400000000000002",
    "PDF417": "576400000000000003",
}


def symbol(fmt: str, text: str, *, scale: int = 3) -> np.ndarray:
    """A code rendered at `scale` pixels per module, grayscale, with quiet zones."""
    barcode = zxingcpp.create_barcode(text, getattr(ZX, fmt))
    pixels = np.array(zxingcpp.write_barcode_to_image(barcode, scale=scale))
    return np.pad(pixels, 10 * scale, constant_values=255)


def parcel(
    codes: list[tuple[str, str]],
    *,
    size: tuple[int, int] = (1280, 720),
    angle: float = 0.0,
    scale: int = 3,
) -> np.ndarray:
    """A cardboard-coloured BGR frame with the codes side by side, centred, turned by `angle`."""
    w, h = size
    frame = np.full((h, w, 3), (95, 140, 180), np.uint8)  # brown cardboard
    symbols = [symbol(fmt, text, scale=scale) for fmt, text in codes]
    total = sum(s.shape[1] for s in symbols) + 20 * (len(symbols) - 1)
    x = max((w - total) // 2, 0)
    for s in symbols:
        sh, sw = s.shape
        y = (h - sh) // 2
        frame[y : y + sh, x : x + sw] = cv2.cvtColor(s, cv2.COLOR_GRAY2BGR)
        x += sw + 20
    if angle:
        rotation = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        frame = cv2.warpAffine(frame, rotation, (w, h), borderValue=(95, 140, 180))
    return frame


def save(path: Path, pixels: np.ndarray, **params: object) -> Path:
    """Save BGR pixels in the format the suffix names (through Pillow, like a camera would)."""
    Image.fromarray(pixels[:, :, ::-1]).save(path, **params)
    return path


def png_claiming(width: int, height: int) -> bytes:
    """A tiny, valid-looking PNG whose header claims width×height pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def jpeg_bytes(pixels: np.ndarray, **params: object) -> bytes:
    """BGR pixels as JPEG bytes."""
    out = io.BytesIO()
    Image.fromarray(pixels[:, :, ::-1]).save(out, format="JPEG", **params)
    return out.getvalue()
