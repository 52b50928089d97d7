"""The facts a decoder reports: one Barcode per code found in an image."""

from dataclasses import dataclass
from enum import StrEnum

Point = tuple[int, int]


class Format(StrEnum):
    """The symbologies a station reads (names as `intake decode` prints them)."""

    Code128 = "Code128"
    Code39 = "Code39"
    Code93 = "Code93"
    ITF = "ITF"
    EAN13 = "EAN13"
    EAN8 = "EAN8"
    UPCA = "UPCA"
    UPCE = "UPCE"
    QRCode = "QRCode"
    DataMatrix = "DataMatrix"
    PDF417 = "PDF417"

    @property
    def is_linear(self) -> bool:
        """A 1D code: read only along a scan line, hence sensitive to rotation."""
        return self not in (Format.QRCode, Format.DataMatrix, Format.PDF417)


ALL_FORMATS: frozenset[Format] = frozenset(Format)
LINEAR_FORMATS: frozenset[Format] = frozenset(f for f in Format if f.is_linear)


@dataclass(frozen=True, slots=True)
class Barcode:
    """One code read from an image: what it says, where it is, and which pass found it."""

    format: Format
    text: str
    raw: bytes
    polygon: tuple[Point, ...]  # corners in the image's own pixel coordinates
    found_by: str  # the pipeline pass, e.g. "full-frame", "located", "located+invert"

    def as_dict(self) -> dict[str, object]:
        """The code as JSON-friendly data."""
        return {
            "format": str(self.format),
            "text": self.text,
            "polygon": [list(p) for p in self.polygon],
            "found_by": self.found_by,
        }
