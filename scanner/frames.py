"""Frames from cameras, video files and network streams, read as fast as the decoder allows.

This is the only module that opens a `cv2.VideoCapture`. The grabber thread always keeps just the
newest frame (stale frames are dropped, never queued), so a slow decode skips frames instead of
falling behind; the tracker turns per-frame reads into one report per carton presentation.
"""

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np

from scanner.barcode import Barcode


@dataclass(frozen=True, slots=True)
class Frame:
    """One captured frame, numbered in capture order, with its capture time (monotonic seconds)."""

    index: int
    captured_at: float
    pixels: np.ndarray


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """A change in the source: 'connected', 'lost' (reconnecting) or 'ended' (file done)."""

    state: str
    detail: str


def parse_source(source: str) -> int | str:
    """A camera index ("0") or a file path / stream URL, as `--camera` accepts them."""
    return int(source) if re.fullmatch(r"\d{1,2}", source) else source


class FrameGrabber:
    """Reads a source on its own thread and holds only the newest frame.

    A file is paced at its own frame rate when `realtime` is set (as a camera would deliver it);
    otherwise every frame of it is handed over in turn (offline processing, tests). A camera or
    stream that fails is reopened every `retry_seconds` until stopped.
    """

    def __init__(
        self,
        source: int | str,
        *,
        realtime: bool = True,
        retry_seconds: float = 1.0,
        on_status: Callable[[SourceStatus], None] | None = None,
    ) -> None:
        self.source = source
        self.realtime = realtime
        self.retry_seconds = retry_seconds
        self.on_status = on_status or (lambda _status: None)
        self.captured = 0  # frames read from the source
        self._latest: Frame | None = None
        self._taken = -1  # the newest frame index handed to the reader
        self._ended = False
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="frame-grabber", daemon=True)

    @property
    def is_file(self) -> bool:
        """A finite video file rather than a live camera or stream."""
        return isinstance(self.source, str) and "://" not in self.source

    def start(self) -> "FrameGrabber":
        """Start reading in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop reading and release the source."""
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        self._thread.join(timeout=5)

    def next_frame(self, after: int, timeout: float = 1.0) -> Frame | None:
        """The newest frame after frame `after`, waiting up to `timeout`; None at the end."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not self._stop.is_set():
                if self._latest is not None and self._latest.index > after:
                    self._taken = self._latest.index
                    self._lock.notify_all()
                    return self._latest
                if self._ended:
                    return None
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._lock.wait(remaining)
        return None

    @property
    def latest(self) -> Frame | None:
        """The newest frame, for showing it (it is not taken: the reader still gets it)."""
        with self._lock:
            return self._latest

    @property
    def ended(self) -> bool:
        """The file has been read to its end (live sources never end)."""
        return self._ended

    def _run(self) -> None:
        while not self._stop.is_set():
            capture = cv2.VideoCapture(self.source)
            if not capture.isOpened():
                capture.release()
                if self._give_up(f"cannot open {self.source!r}"):
                    return
                continue
            self.on_status(SourceStatus("connected", str(self.source)))
            self._read_all(capture)
            capture.release()
            if self.is_file or self._stop.is_set():
                self._finish("end of video")
                return
            self.on_status(
                SourceStatus("lost", f"{self.source!r} stopped sending frames; reconnecting")
            )
            self._stop.wait(self.retry_seconds)

    def _give_up(self, detail: str) -> bool:
        if self.is_file:
            self.on_status(SourceStatus("ended", detail))
            self._finish(detail)
            return True
        self.on_status(SourceStatus("lost", f"{detail}; retrying in {self.retry_seconds:g} s"))
        self._stop.wait(self.retry_seconds)
        return self._stop.is_set()

    def _read_all(self, capture: cv2.VideoCapture) -> None:
        fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
        period = 1.0 / fps if self.realtime and self.is_file and fps > 0 else 0.0
        started = time.monotonic()
        first = self.captured
        while not self._stop.is_set():
            ok, pixels = capture.read()
            if not ok or pixels is None:
                return
            if period:  # deliver as a camera would: no faster than the video's own rate
                due = started + (self.captured - first) * period
                self._stop.wait(max(0.0, due - time.monotonic()))
            with self._lock:
                while not period and self.is_file and self._taken < self.captured - 1:
                    if self._stop.is_set():
                        return
                    self._lock.wait(0.5)  # offline: the reader takes every frame
                self._latest = Frame(self.captured, time.monotonic(), pixels)
                self.captured += 1
                self._lock.notify_all()

    def _finish(self, detail: str) -> None:
        with self._lock:
            self._ended = True
            self._lock.notify_all()


def sharpness(gray: np.ndarray) -> float:
    """Variance of the Laplacian: higher is sharper (used to pick the evidence photo)."""
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


@dataclass
class _Presence:
    first_frame: int
    last_seen: float
    seen: int = 1
    reported: bool = False
    best_sharpness: float = -1.0
    best_frame: np.ndarray | None = field(default=None, repr=False)
    barcode: Barcode | None = None


@dataclass(frozen=True, slots=True)
class Sighting:
    """A code confirmed on enough frames: report it once for this presentation of the carton."""

    barcode: Barcode
    frame_index: int
    evidence: np.ndarray  # the sharpest frame so far in which the code was read


@dataclass(frozen=True, slots=True)
class Departure:
    """The carton carrying the code left the view; its sharpest frame is the evidence photo."""

    text: str
    evidence: np.ndarray
    sharpness: float


class PresentationTracker:
    """Confirms codes over frames and reports each once per presentation (pure, no threads)."""

    def __init__(self, *, confirm_frames: int = 2, hold_off_seconds: float = 2.0) -> None:
        self.confirm_frames = max(1, confirm_frames)
        self.hold_off_seconds = hold_off_seconds
        self._present: dict[str, _Presence] = {}

    def update(
        self, frame: Frame, barcodes: list[Barcode], gray: np.ndarray | None = None
    ) -> list[Sighting | Departure]:
        """The reports this frame causes: new confirmed sightings and departures."""
        events: list[Sighting | Departure] = []
        now = frame.captured_at
        if barcodes:
            score = sharpness(gray if gray is not None else frame.pixels)
        for barcode in barcodes:
            key = f"{barcode.format}:{barcode.text}"
            presence = self._present.get(key)
            if presence is None:
                presence = self._present[key] = _Presence(frame.index, now, seen=0)
            presence.seen += 1
            presence.last_seen = now
            presence.barcode = barcode
            if score > presence.best_sharpness:
                presence.best_sharpness, presence.best_frame = score, frame.pixels
            if not presence.reported and presence.seen >= self.confirm_frames:
                presence.reported = True
                assert presence.best_frame is not None
                events.append(Sighting(barcode, frame.index, presence.best_frame))
        events.extend(self._departures(now))
        return events

    def flush(self) -> list[Departure]:
        """Departures of everything still in view (at the end of a video)."""
        return self._departures(float("inf"))

    def _departures(self, now: float) -> list[Departure]:
        gone = [k for k, p in self._present.items() if now - p.last_seen > self.hold_off_seconds]
        events = []
        for key in gone:
            presence = self._present.pop(key)
            if presence.reported and presence.best_frame is not None and presence.barcode:
                events.append(
                    Departure(presence.barcode.text, presence.best_frame, presence.best_sharpness)
                )
        return events


@dataclass
class ReaderStats:
    """How the reader kept up: frames captured, decoded, skipped, and the decode times."""

    captured: int = 0
    decoded: int = 0
    decode_ms: list[float] = field(default_factory=list)
    lag_ms: list[float] = field(default_factory=list)  # capture to decoded, per decoded frame

    @property
    def skipped(self) -> int:
        """Frames never decoded because a newer one had arrived."""
        return self.captured - self.decoded


def read_events(
    grabber: FrameGrabber,
    decode: Callable[[np.ndarray], list[Barcode]],
    tracker: PresentationTracker,
    stats: ReaderStats | None = None,
    stop: threading.Event | None = None,
) -> Iterator[Sighting | Departure]:
    """Decode the newest frame, again and again, yielding sightings and departures."""
    last = -1
    stats = stats if stats is not None else ReaderStats()
    while not (stop is not None and stop.is_set()):
        frame = grabber.next_frame(last, timeout=0.5)
        if frame is None:
            if grabber.ended:
                break
            continue
        last = frame.index
        started = time.monotonic()
        gray = cv2.cvtColor(frame.pixels, cv2.COLOR_BGR2GRAY)
        barcodes = decode(gray)
        done = time.monotonic()
        stats.decoded += 1
        stats.decode_ms.append((done - started) * 1000)
        stats.lag_ms.append((done - frame.captured_at) * 1000)
        stats.captured = grabber.captured
        yield from tracker.update(frame, barcodes, gray)
    stats.captured = grabber.captured
    yield from tracker.flush()
