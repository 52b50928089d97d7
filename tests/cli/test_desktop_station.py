"""`intake station --no-window`: a video of cartons against a server that goes away and comes back.

Real processes: `intake serve` on a loopback port (stopped half-way and restarted on the same
database), and `intake station` reading an MJPEG video made from the label samples. Every carton
must be received exactly once: the scans made while the server was down wait in the station's
queue and go out in order when it is back, each with its idempotency key.
"""

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import cv2
import httpx
import numpy as np

from tests.conftest import INTAKE, Cli

LABELS = Path(__file__).resolve().parents[2] / "sample_images" / "labels"
MANIFEST = json.loads((LABELS / "manifest.json").read_text(encoding="utf-8"))
CARTONS = ["label_001.jpg", "label_057.jpg", "label_002.jpg", "label_066.jpg"]
FPS = 10


def _video(path: Path) -> Path:
    """Each carton 1.5 s in view, 3 s of empty belt between (longer than the hold-off)."""
    size = (1280, 720)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, size)
    belt = np.full((size[1], size[0], 3), 90, np.uint8)
    for name in CARTONS:
        photo = cv2.resize(cv2.imread(str(LABELS / name)), size, interpolation=cv2.INTER_AREA)
        for frame in [photo] * int(1.5 * FPS) + [belt] * int(3 * FPS):
            writer.write(frame)
    writer.release()
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(cli: Cli, port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [INTAKE, "serve", "--port", str(port)],
        env=os.environ | cli.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise AssertionError("intake serve did not come up")


def _tracking(name: str) -> str:
    (image,) = [i for i in MANIFEST["images"] if i["file"] == name]
    return str(image["waybill"]["tracking_no"])


def test_every_carton_is_received_once_though_the_server_went_away(
    cli: Cli, tmp_path: Path
) -> None:
    cli("orders", "import", str(LABELS / "orders.csv"))
    token = json.loads(
        cli("tokens", "create", "--role", "station", "--name", "Dock 9", "--json").stdout
    )["token"]
    port = _free_port()
    server = _serve(cli, port)
    station = subprocess.Popen(
        [INTAKE, "station", "--camera", str(_video(tmp_path / "belt.avi")),
         "--server", f"http://127.0.0.1:{port}", "--token", token, "--operator", "mei",
         "--no-window", "--queue", str(tmp_path / "queue.db")],
        env=os.environ | cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert station.stdout is not None
        for line in station.stdout:  # the first carton answered: take the server away
            lines.append(line)
            if ": received" in line:
                break
        server.terminate()
        server.wait(timeout=30)
        for line in station.stdout:  # a carton read while it is away waits in the queue
            lines.append(line)
            if line.startswith("offline"):
                break
        time.sleep(4)
        server = _serve(cli, port)
        out, _ = station.communicate(timeout=180)
        lines += out.splitlines(keepends=True)
    finally:
        station.kill()
        server.terminate()
        server.wait(timeout=30)

    text = "".join(lines)
    assert station.returncode == 0, text
    assert "offline:" in text and "online again" in text and "every scan was sent" in text
    events = {
        code: json.loads(cli("orders", "show", order_no, "--json").stdout)
        for code, order_no in ((_tracking(n), _order(n)) for n in CARTONS)
    }
    for code, view in events.items():
        assert view["status"] == "received", code
        assert [c["code"] for c in view["cartons"]] == [code]
        assert [s["outcome"] for s in view["scans"]] == ["received"], (code, text)
        assert len(view["inspections"]) == 1


def _order(name: str) -> str:
    (image,) = [i for i in MANIFEST["images"] if i["file"] == name]
    return str(image["order"]["order_no"])
