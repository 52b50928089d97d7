"""The desktop station (`intake station`): a camera on the station PC, decoding there, scans sent to
the server with their evidence frame, kept in an offline queue while the server cannot be reached.

Two threads: the reader decodes the newest frame again and again (scanner/frames.py) and puts
each carton's confirmed code, with the sharpest frame it was read on, into the queue; the sender
takes the queue in order and posts each scan to POST /scans/photo with its idempotency key, so a
scan whose answer was lost is one receipt, not two, when it is sent again.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np

from api.outbox import Outbox, PendingScan
from api.scanning import parcel_check
from scanner.frames import FrameGrabber, PresentationTracker, Sighting, SourceStatus, read_events
from scanner.pipeline import decode

# BGR, as the station page shows them: green received, amber relabel/hold/check, red unknown or
# invalid, grey already received.
COLOURS = {"received": (60, 160, 40), "ok": (60, 160, 40), "relabel": (0, 170, 255),
           "hold": (0, 170, 255), "needs_review": (0, 170, 255), "unknown": (40, 40, 220),
           "invalid": (40, 40, 220), "already_received": (150, 150, 150),
           "queued": (200, 120, 0)}  # fmt: skip
_RETRY_FIRST, _RETRY_MAX = 0.5, 5.0  # seconds between attempts while the server is away
_JPEG_QUALITY = 85


@dataclass
class StationConfig:
    """What `intake station` was started with."""

    source: int | str
    server: str
    token: str
    operator: str
    station: str | None
    queue: Path
    window: bool = True
    confirm_frames: int = 2
    hold_off_seconds: float = 2.0
    budget_ms: float | None = 20.0
    drain_seconds: float = 120.0  # after a video file ends: how long to wait for the queue
    # A carton carries several codes (waybill, order number, QR): codes confirmed within this
    # time of the last scan are the same carton, not another one.
    blank_seconds: float = 1.5
    say: Callable[[str], None] = print


@dataclass
class _Shown:
    """What the window shows under the live picture: the last answer."""

    text: str = "ready"
    colour: tuple[int, int, int] = (80, 80, 80)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set(self, text: str, key: str) -> None:
        with self.lock:
            self.text, self.colour = text, COLOURS.get(key, (80, 80, 80))


def run_station(config: StationConfig) -> int:
    """Run until the video ends and the queue is sent (0), or until stopped; 2 if scans are left
    in the queue when a video ended and the server never took them."""
    outbox = Outbox(config.queue)
    shown = _Shown()
    stop = threading.Event()
    if len(outbox):
        config.say(f"queue: {len(outbox)} scans from before, sent first")
    sender = threading.Thread(
        target=_send_loop, args=(config, outbox, shown, stop), name="sender", daemon=True
    )
    sender.start()
    grabber = FrameGrabber(config.source, on_status=lambda s: _status(config, s)).start()
    tracker = PresentationTracker(
        confirm_frames=config.confirm_frames, hold_off_seconds=config.hold_off_seconds
    )
    last_scan = -float("inf")
    try:
        for event in read_events(grabber, _decoder(config), tracker):
            if isinstance(event, Sighting):
                if time.monotonic() - last_scan < config.blank_seconds:
                    config.say(f"also read {event.barcode.text} (the same carton)")
                    continue
                last_scan = time.monotonic()
                _queue(config, outbox, shown, event)
            if config.window and not _show(grabber, shown):
                break
    except KeyboardInterrupt:
        config.say("stopped")
    finally:
        grabber.stop()
    code = _drain(config, outbox) if grabber.is_file else 0
    stop.set()
    sender.join(timeout=5)
    outbox.close()
    if config.window:
        cv2.destroyAllWindows()
    return code


def _decoder(config: StationConfig) -> Callable[[np.ndarray], Any]:
    def read(gray: np.ndarray) -> Any:
        return decode(gray, check=parcel_check, budget_ms=config.budget_ms)

    return read


def _status(config: StationConfig, status: SourceStatus) -> None:
    config.say(f"camera: {status.state} {status.detail}".rstrip())


def _queue(config: StationConfig, outbox: Outbox, shown: _Shown, sighting: Sighting) -> None:
    ok, jpeg = cv2.imencode(".jpg", sighting.evidence, [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY])
    scan = outbox.put(sighting.barcode.text, jpeg.tobytes() if ok else None)
    shown.set(f"{scan.code}: sending", "queued")
    config.say(f"read {scan.code} (queued, {len(outbox)} waiting)")


def _drain(config: StationConfig, outbox: Outbox) -> int:
    deadline = time.monotonic() + config.drain_seconds
    while len(outbox) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = len(outbox)
    if left:
        waited = f"{config.drain_seconds:.0f} s"
        config.say(f"error: {left} scans are still queued in {config.queue}: the server did "
                   f"not take them in {waited}; they go out on the next start")  # fmt: skip
        return 2
    config.say("video ended; every scan was sent")
    return 0


def _send_loop(config: StationConfig, outbox: Outbox, shown: _Shown, stop: threading.Event) -> None:
    wait = _RETRY_FIRST
    offline = False
    with httpx.Client(base_url=config.server, timeout=30.0) as client:
        while not stop.is_set():
            scan = outbox.oldest(timeout=0.5)
            if scan is None:
                continue
            answer, problem = _attempt(client, config, scan)
            if answer is None:
                if not offline:
                    config.say(f"offline: {problem}; scans are kept and sent when it is back")
                offline = True
                outbox.failed(scan, problem)
                shown.set(f"OFFLINE: {len(outbox)} queued", "queued")
                stop.wait(wait)
                wait = min(wait * 2, _RETRY_MAX)
                continue
            if offline:
                config.say(f"online again: sending {len(outbox)} queued scans")
            offline, wait = False, _RETRY_FIRST
            if answer.status_code in (401, 403):
                config.say(f"error: the server refused the token ({answer.status_code}); "
                           "the scans stay queued")  # fmt: skip
                outbox.failed(scan, f"refused {answer.status_code}")
                stop.wait(_RETRY_MAX)
                continue
            outbox.done(scan)  # answered: resending cannot change a 2xx or another 4xx
            _report(config, shown, scan, answer)


def _attempt(
    client: httpx.Client, config: StationConfig, scan: PendingScan
) -> tuple[httpx.Response | None, str]:
    """The server's answer, or None and why there is none (unreachable, or failing: retry)."""
    try:
        answer = _post(client, config, scan)
    except httpx.TransportError as exc:
        return None, f"server unreachable ({type(exc).__name__})"
    if answer.status_code >= 500:
        return None, f"server error {answer.status_code}"
    return answer, ""


def _post(client: httpx.Client, config: StationConfig, scan: PendingScan) -> httpx.Response:
    data = {"operator": config.operator, "code": scan.code}
    if config.station:
        data["station"] = config.station
    files = {"photo": ("frame.jpg", scan.photo or b"", "image/jpeg")}
    headers = {"Authorization": f"Bearer {config.token}", "Idempotency-Key": scan.key}
    return client.post("/scans/photo", data=data, files=files, headers=headers)


def _report(
    config: StationConfig, shown: _Shown, scan: PendingScan, answer: httpx.Response
) -> None:
    try:
        body = answer.json()
    except ValueError:
        body = {}
    if answer.status_code >= 400:
        detail = body.get("detail", answer.text[:200])
        config.say(f"{scan.code}: refused ({answer.status_code} {body.get('error')}): {detail}")
        shown.set(f"{scan.code}: refused", "invalid")
        return
    outcome, verdict = body.get("outcome", "?"), body.get("verdict", "?")
    key = (
        "already_received"
        if outcome == "already_received"
        else (outcome if outcome in ("unknown", "invalid") else verdict)
    )
    defects = ", ".join(d["code"] for d in body.get("defects", []))
    replayed = " (sent before: first answer)" if body.get("replayed") else ""
    config.say(f"{scan.code}: {outcome} {verdict}{' ' + defects if defects else ''}; "
               f"order {body.get('order_no') or '-'}{replayed}")  # fmt: skip
    shown.set(f"{scan.code}: {key.replace('_', ' ').upper()}", key)


def _show(grabber: FrameGrabber, shown: _Shown) -> bool:
    """Draw the newest frame with the last answer under it; False when the operator quits."""
    frame = grabber.latest
    if frame is None:
        return True
    picture = frame.pixels.copy()
    with shown.lock:
        text, colour = shown.text, shown.colour
    height, width = picture.shape[:2]
    band = max(60, height // 8)
    cv2.rectangle(picture, (0, height - band), (width, height), colour, -1)
    cv2.putText(picture, text, (20, height - band // 3), cv2.FONT_HERSHEY_SIMPLEX,
                band / 50, (255, 255, 255), max(2, band // 25))  # fmt: skip
    cv2.imshow("intake station", picture)
    return (cv2.waitKey(1) & 0xFF) not in (ord("q"), 27)
