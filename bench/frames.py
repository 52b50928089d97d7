"""The frame reader on the sample video played at its own 30 fps, everything on one core.

    .venv/bin/python bench/frames.py [--loops 3]

Reports decoded frames per second, frames skipped, lag from capture to decision (p50/p99) and the
cartons reported (each must be reported once per pass of the video).
"""

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import cv2  # noqa: E402

from api.scanning import parcel_check  # noqa: E402
from scanner.frames import FrameGrabber, PresentationTracker, ReaderStats, Sighting, read_events  # noqa: E402
from scanner.pipeline import decode  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loops", type=int, default=3, help="times the video is played")
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # grabber and decoder share one core
    cv2.setNumThreads(1)
    manifest = json.loads((REPO / "sample_images" / "manifest.json").read_text())["video"]
    expected = [c["codes"][0]["text"] for c in manifest["cartons"]]
    for loop in range(args.loops):
        stats = ReaderStats()
        grabber = FrameGrabber(str(REPO / "sample_images" / manifest["file"]), realtime=True)
        grabber.start()
        tracker = PresentationTracker(confirm_frames=2, hold_off_seconds=0.5)
        events = list(
            read_events(
                grabber, lambda g: decode(g, check=parcel_check, budget_ms=20.0), tracker, stats
            )
        )
        grabber.stop()
        reported = [e.barcode.text for e in events if isinstance(e, Sighting)]
        waybills = [t for t in reported if t in expected]
        lag = sorted(stats.lag_ms)
        seconds = manifest["frames"] / manifest["fps"]
        print(
            f"pass {loop + 1}: {stats.captured} frames at {manifest['fps']} fps, "
            f"{stats.decoded} decoded ({stats.decoded / seconds:.1f}/s), {stats.skipped} skipped; "
            f"decode median {statistics.median(stats.decode_ms):.1f} ms; lag p50 "
            f"{lag[len(lag) // 2]:.1f} ms, p99 {lag[int(len(lag) * 0.99) - 1]:.1f} ms, "
            f"max {lag[-1]:.1f} ms; waybills reported {waybills} "
            f"({'each once' if waybills == expected else 'MISMATCH'}); all reports {len(reported)}"
        )


if __name__ == "__main__":
    main()
