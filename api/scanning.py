"""Where the scanner meets the domain: decoding photos with the parcel rules applied."""

import stat
import time
from dataclasses import dataclass
from pathlib import Path

from intake.codes import misread_reason
from scanner.barcode import Barcode
from scanner.images import ImageRejected, LoadedImage, load_image
from scanner.pipeline import Engine, decode


def parcel_check(barcode: Barcode) -> str | None:
    """A linear code that starts like a carrier's waybill must fit that carrier's format."""
    return misread_reason(barcode.text) if barcode.format.is_linear else None


@dataclass(frozen=True, slots=True)
class FileReading:
    """The codes read from one image file, or why it could not be read."""

    file: str
    barcodes: list[Barcode]
    ms: float
    error: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The line `intake decode --json` prints for this file."""
        if self.error is not None:
            return {"file": self.file, "error": self.error}
        return {
            "file": self.file,
            "barcodes": [b.as_dict() for b in self.barcodes],
            "ms": round(self.ms, 1),
        }


def shown_path(path: object) -> str:
    """A file name as it can be printed and put in JSON: bytes that are not UTF-8 (a GBK name from
    a Windows share) as \\xNN escapes, never as invalid text."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def load_photo_file(path: Path, *, max_bytes: int, max_pixels: int) -> tuple[bytes, LoadedImage]:
    """A photo file's bytes and pixels; ImageRejected says in words why it cannot be used."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise ImageRejected("a folder, not an image file")
        if not stat.S_ISREG(info.st_mode):
            # A pipe or a device would be read without end, or block the station.
            raise ImageRejected("not a regular file (a pipe, socket or device)")
        if info.st_size > max_bytes:
            raise ImageRejected(
                f"file is {info.st_size:,} bytes, over the limit of {max_bytes:,}", "too_large"
            )
        with path.open("rb") as stream:
            data = stream.read(max_bytes + 1)  # the file may grow after stat()
    except FileNotFoundError as exc:
        raise ImageRejected("no such file") from exc
    except PermissionError as exc:
        raise ImageRejected("permission denied") from exc
    except OSError as exc:  # a symlink loop, a name too long, a file used as a folder...
        raise ImageRejected(f"cannot open it: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise ImageRejected(f"file is over the limit of {max_bytes:,} bytes", "too_large")
    return data, load_image(data, max_pixels=max_pixels)


def read_image_file(
    path: Path, *, max_bytes: int, max_pixels: int, engine: Engine = "pipeline"
) -> FileReading:
    """Decode one image file; a file that cannot be used becomes an error, never an exception."""
    started = time.perf_counter()
    try:
        _, image = load_photo_file(path, max_bytes=max_bytes, max_pixels=max_pixels)
    except ImageRejected as exc:
        return FileReading(shown_path(path), [], 0.0, str(exc))
    barcodes = decode(image.pixels, engine=engine, check=parcel_check)
    return FileReading(shown_path(path), barcodes, (time.perf_counter() - started) * 1000)
