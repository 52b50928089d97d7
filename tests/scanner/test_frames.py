"""The frame reader: newest frame only, one report per carton, sharpest evidence, lost cameras."""

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from scanner.barcode import Barcode
from scanner.frames import (
    Departure,
    FrameGrabber,
    PresentationTracker,
    ReaderStats,
    Sighting,
    SourceStatus,
    parse_source,
    read_events,
)
from scanner.pipeline import decode
from tests.scanner.images import symbol

CARTONS = [("SF1234567890123", 10, 45), ("YT9876543210987", 60, 95), ("JT1112223334445", 105, 118)]


def _video(path: Path, *, frames: int = 125, flash: int | None = None) -> Path:
    """30 fps 720p: three cartons pass from left to right, with empty table in between."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 30.0, (1280, 720))
    assert writer.isOpened()
    for i in range(frames):
        frame = np.full((720, 1280, 3), (70, 75, 80), np.uint8)
        for text, first, last in CARTONS:
            if first <= i <= last:
                code = cv2.cvtColor(symbol("Code128", text, scale=3), cv2.COLOR_GRAY2BGR)
                x = 100 + (i - first) * 12
                h, w = code.shape[:2]
                frame[200 : 200 + h, x : x + w] = code
                if i != (first + last) // 2:  # one frame steadier than the others
                    frame = cv2.blur(frame, (3, 1))
        if flash is not None and i == flash:
            code = cv2.cvtColor(symbol("Code128", "SF5555555555555", scale=3), cv2.COLOR_GRAY2BGR)
            frame[450 : 450 + code.shape[0], 300 : 300 + code.shape[1]] = code
        writer.write(frame)
    writer.release()
    return path


def _decoder(gray: np.ndarray) -> list[Barcode]:
    return decode(gray)


def _run(
    source: str, *, realtime: bool, slow: float = 0.0, confirm: int = 2
) -> tuple[list[Sighting | Departure], ReaderStats]:
    def decoder(gray: np.ndarray) -> list[Barcode]:
        if slow:
            time.sleep(slow)
        return _decoder(gray)

    grabber = FrameGrabber(source, realtime=realtime).start()
    stats = ReaderStats()
    tracker = PresentationTracker(confirm_frames=confirm, hold_off_seconds=0.25)
    try:
        events = list(read_events(grabber, decoder, tracker, stats))
    finally:
        grabber.stop()
    return events, stats


def test_each_carton_is_reported_once_with_its_sharpest_frame(tmp_path: Path) -> None:
    events, stats = _run(str(_video(tmp_path / "v.avi")), realtime=False)

    sightings = [e for e in events if isinstance(e, Sighting)]
    departures = [e for e in events if isinstance(e, Departure)]
    assert [s.barcode.text for s in sightings] == [t for t, _, _ in CARTONS]
    assert sorted(d.text for d in departures) == sorted(t for t, _, _ in CARTONS)
    assert all(d.evidence.shape == (720, 1280, 3) and d.sharpness > 0 for d in departures)
    assert stats.decoded == stats.captured == 125


def test_a_slow_decoder_skips_frames_instead_of_falling_behind(tmp_path: Path) -> None:
    events, stats = _run(str(_video(tmp_path / "v.avi")), realtime=True, slow=0.06)

    sightings = [e.barcode.text for e in events if isinstance(e, Sighting)]
    assert sightings == [t for t, _, _ in CARTONS]
    assert stats.skipped > 30  # at ~12 decodes/s of a 30 fps video
    assert max(stats.lag_ms) < 250  # never more than a frame or so behind the camera


def test_a_code_seen_on_one_frame_only_is_not_reported(tmp_path: Path) -> None:
    events, _ = _run(str(_video(tmp_path / "v.avi", flash=50)), realtime=False)
    once, _ = _run(str(_video(tmp_path / "w.avi", flash=50)), realtime=False, confirm=1)

    assert "SF5555555555555" not in [e.barcode.text for e in events if isinstance(e, Sighting)]
    assert "SF5555555555555" in [e.barcode.text for e in once if isinstance(e, Sighting)]


def test_a_stream_that_cannot_connect_is_reported_not_hung() -> None:
    statuses: list[SourceStatus] = []
    grabber = FrameGrabber(
        "http://127.0.0.1:9/camera.mjpg", retry_seconds=0.2, on_status=statuses.append
    ).start()
    started = time.monotonic()
    frame = grabber.next_frame(-1, timeout=1.5)
    grabber.stop()

    assert frame is None
    assert time.monotonic() - started < 10
    assert statuses and all(s.state == "lost" for s in statuses)
    assert "retrying" in statuses[0].detail


def test_a_missing_video_file_ends_with_a_reason(tmp_path: Path) -> None:
    statuses: list[SourceStatus] = []
    grabber = FrameGrabber(str(tmp_path / "none.avi"), on_status=statuses.append).start()

    assert grabber.next_frame(-1, timeout=5) is None
    grabber.stop()
    assert grabber.ended
    assert statuses[-1].state == "ended" and "cannot open" in statuses[-1].detail


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("12", 12),
        ("cam.mp4", "cam.mp4"),
        ("rtsp://10.0.0.5/live", "rtsp://10.0.0.5/live"),
    ],
)
def test_sources_are_camera_indexes_files_or_urls(text: str, expected: int | str) -> None:
    assert parse_source(text) == expected


def test_a_stream_that_drops_is_reopened_and_says_so(tmp_path: Path) -> None:
    import functools
    import http.server
    import threading

    _video(tmp_path / "live.avi", frames=20)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    statuses: list[SourceStatus] = []
    url = f"http://127.0.0.1:{server.server_address[1]}/live.avi"
    grabber = FrameGrabber(url, retry_seconds=0.1, on_status=statuses.append).start()
    try:
        deadline = time.monotonic() + 20
        last = -1
        while time.monotonic() < deadline and [s.state for s in statuses].count("connected") < 2:
            frame = grabber.next_frame(last, timeout=0.5)
            last = frame.index if frame else last
    finally:
        grabber.stop()
        server.shutdown()

    states = [s.state for s in statuses]
    # The stream ended (the "camera" stopped sending): reported, then opened again.
    assert states[:3] == ["connected", "lost", "connected"], states
    assert "reconnecting" in statuses[1].detail
    assert last >= 19  # frames kept flowing after the reconnection
