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
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = zlib.compress(b"\x00" * 64)
    return _png([(b"IHDR", header), (b"IDAT", body), (b"IEND", b"")])


def _png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    return b"\x89PNG\r\n\x1a\n" + b"".join(chunk(kind, data) for kind, data in chunks)


def jpeg_bytes(pixels: np.ndarray, **params: object) -> bytes:
    """BGR pixels as JPEG bytes."""
    return encoded(Image.fromarray(pixels[:, :, ::-1]), "JPEG", **params)


def encoded(image: Image.Image, fmt: str, **params: object) -> bytes:
    """A Pillow image as the bytes of a file in `fmt` ("PNG", "TIFF", "GIF", "PDF"...)."""
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def png_bomb(width: int, height: int) -> bytes:
    """A real, valid PNG of width×height blank 1-bit pixels: a few hundred kilobytes that decode
    to width×height bytes (50,000×50,000: 2.5 GB)."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then the packed pixels
    compressor = zlib.compressobj(9)
    rows_per_chunk = max(1, 4_000_000 // len(row))
    body = []
    for start in range(0, height, rows_per_chunk):
        body.append(compressor.compress(row * min(rows_per_chunk, height - start)))
    body.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return _png([(b"IHDR", header), (b"IDAT", b"".join(body)), (b"IEND", b"")])


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header claims width×height pixels (at most 65,535 each)."""
    data = bytearray(jpeg_bytes(np.zeros((8, 8, 3), np.uint8)))
    sof = data.index(b"\xff\xc0")  # baseline frame: marker, length, precision, height, width
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def exif_turned_jpeg(pixels: np.ndarray) -> bytes:
    """A phone's JPEG: the BGR pixels stored turned 90°, with the EXIF orientation (6) that tells a
    viewer to turn them back."""
    exif = Image.Exif()
    exif[0x0112] = 6
    turned = np.ascontiguousarray(np.rot90(pixels, k=1))
    return jpeg_bytes(turned, quality=90, exif=exif.tobytes())


def cmyk_jpeg(pixels: np.ndarray) -> bytes:
    """BGR pixels as a CMYK JPEG (what print workflows write)."""
    return encoded(Image.fromarray(pixels[:, :, ::-1]).convert("CMYK"), "JPEG", quality=90)


def gray16_png(pixels: np.ndarray) -> bytes:
    """BGR pixels as a 16-bit grayscale PNG."""
    return encoded(Image.fromarray(pixels[:, :, 1].astype(np.uint16) * 257), "PNG")


def animated_gif() -> bytes:
    """A two-frame animated GIF."""
    first, second = Image.new("RGB", (40, 40), "white"), Image.new("RGB", (40, 40), "red")
    return encoded(first, "GIF", save_all=True, append_images=[second])
