"""The station page (/station) in real headless Chromium (Debian's), driven by Playwright.

The webcam is Chromium's fake capture device playing a Y4M video made from sample label photos;
the handheld scanner is the keyboard. Each verdict state is photographed at 1366×768: into
docs/station/ when INTAKE_SCREENSHOTS=1 (to refresh the docs), else into the test's folder.
"""

import io
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, Dialog, Page, ViewportSize, sync_playwright

from tests.api.conftest import Server
from tests.conftest import REPO

CHROMIUM = Path("/usr/bin/chromium")
LABELS = REPO / "sample_images" / "labels"
MANIFEST = json.loads((LABELS / "manifest.json").read_text(encoding="utf-8"))
EMPTY_TABLE = REPO / "sample_images" / "photo_001.jpg"  # scene "empty": no code in view
DOCS = REPO / "docs" / "station"
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}
FLAGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    "--use-fake-ui-for-media-stream",
]
# The cartons of the video, in order, and what the station must show for each.
CARTONS = [("label_003.jpg", "received"), ("label_034.jpg", "relabel"), ("label_020.jpg", "hold")]
FPS = 2
SIZE = (1280, 720)
COLOURS = {  # the overlay's background, as the browser computes it
    "received": "rgb(30, 142, 62)",
    "relabel": "rgb(242, 169, 0)",
    "hold": "rgb(242, 169, 0)",
    "unknown": "rgb(198, 40, 40)",
    "invalid": "rgb(198, 40, 40)",
    "already_received": "rgb(95, 99, 104)",
    "queued": "rgb(55, 84, 107)",
}
SOUNDS = {"received": "received", "relabel": "relabel", "hold": "hold", "needs_review": "check"}
BLANKING_S = 1.6  # a little over the page's 1.5 s

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")

Shot = Callable[[Page, str], Path]


def _photo(name: str) -> dict[str, Any]:
    (image,) = [i for i in MANIFEST["images"] if i["file"] == name]
    return dict(image)


def _frame(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    assert image is not None, path
    return cv2.resize(image, SIZE, interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="session")
def carton_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Y4M, 1280×720 at 2 fps: each carton 3 s in view after 1 s of empty table; the last one 6 s
    (still in view when the test looks at the main view), then 20 s of empty table, so that the
    fake camera does not start the video again while the test runs."""
    path = tmp_path_factory.mktemp("video") / "cartons.y4m"
    empty = _frame(EMPTY_TABLE)
    scenes = []
    for i, (name, _) in enumerate(CARTONS, 1):
        scenes += [(empty, 1.0), (_frame(LABELS / name), 6.0 if i == len(CARTONS) else 3.0)]
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{SIZE[0]} H{SIZE[1]} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for frame, seconds in [*scenes, (empty, 20.0)]:
            planes = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes()
            for _ in range(round(seconds * FPS)):
                video.write(b"FRAME\n" + planes)
    return path


@contextmanager
def chromium(camera: Path | None = None) -> Iterator[Browser]:
    """Headless Chromium with a fresh profile; its camera plays `camera`, else it has none."""
    args = list(FLAGS)
    if camera is not None:
        args += [
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={camera}",
        ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def shot(tmp_path: Path) -> Shot:
    """Photograph the page (PNG, palette-reduced when that keeps it under 200 KB)."""
    folder = DOCS if os.environ.get("INTAKE_SCREENSHOTS") == "1" else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = folder / f"{name}.png"
        png = page.screenshot()
        if len(png) > 200_000:
            out = io.BytesIO()
            Image.open(io.BytesIO(png)).convert("RGB").quantize(256).save(out, "PNG", optimize=True)
            png = out.getvalue()
        path.write_bytes(png)
        assert len(png) < 200_000, f"{name}.png is {len(png):,} bytes"
        return path

    return take


def open_station(browser: Browser, server: Server, token: str, operator: str = "Mei") -> Page:
    """The station page, signed in as it is on first use: token, station name, operator."""
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{server.url}/station")
    page.fill("#f-token", token)
    page.fill("#f-station", "Dock 3")
    page.fill("#f-operator", operator)
    page.click("#setup button[type=submit]")
    page.wait_for_selector("#setup", state="hidden")
    return page


def wait_verdict(page: Page, verdict: str, timeout_s: float = 15) -> None:
    """Wait until the full-screen verdict shows `verdict`, in its colour."""
    page.wait_for_selector(
        f'#verdict[data-verdict="{verdict}"]:not([hidden])', timeout=timeout_s * 1000
    )
    colour = page.eval_on_selector("#verdict", "e => getComputedStyle(e).backgroundColor")
    assert colour == COLOURS[verdict], (verdict, colour)


def scan(page: Page, code: str) -> float:
    """A keyboard-wedge scanner: the code's characters, then Enter, wherever the focus is."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    return time.monotonic()


def after_blanking(scanned: float) -> None:
    """Wait until the blanking period that followed a scan made at `scanned` is over."""
    time.sleep(max(0.0, scanned + BLANKING_S - time.monotonic()))


def rows(page: Page) -> list[tuple[str, str]]:
    """The last scans as listed: (code, verdict), newest first."""
    found: list[list[str]] = page.eval_on_selector_all(
        "#history li", "ls => ls.map(li => [li.children[1].textContent, li.dataset.verdict])"
    )
    return [(code, verdict) for code, verdict in found]


def order(server: Server, admin: str, order_no: str) -> dict[str, Any]:
    """GET /orders/{order_no}, as the other systems see it."""
    answer = httpx.get(
        f"{server.url}/orders/{order_no}", headers={"Authorization": f"Bearer {admin}"}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def warm_up_ocr(server: Server, token: str) -> None:
    """A dry-run photo: the server loads its OCR models beside serving after it starts, and a
    station that has just been started would wait for them on its first carton."""
    answer = httpx.post(
        f"{server.url}/scans/photo",
        headers={"Authorization": f"Bearer {token}"},
        files={"photo": ("warm-up.jpg", (LABELS / "label_001.jpg").read_bytes(), "image/jpeg")},
        data={"operator": "warm-up", "dry_run": "true"},
        timeout=120,
    )
    assert answer.status_code == 200, answer.text


def test_webcam_cartons_are_received_with_their_label_verdicts(
    server: Server, carton_video: Path, shot: Shot
) -> None:
    admin = server.token("admin")
    station = server.token("station", "Dock 3")
    warm_up_ocr(server, station)
    with chromium(camera=carton_video) as browser:
        page = open_station(browser, server, station)
        # Boxes are drawn around the codes of the first carton as soon as a frame finds them.
        page.wait_for_function(
            """() => { const c = document.getElementById('boxes');
                       const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                       for (let i = 3; i < d.length; i += 4) if (d[i]) return true;
                       return false; }""",
            timeout=20_000,
        )
        for _, verdict in CARTONS:
            wait_verdict(page, verdict, timeout_s=20)
            assert page.evaluate("document.body.dataset.sound") == SOUNDS[verdict]
            if verdict != "received":  # the handheld test photographs that one
                shot(page, verdict)
        page.click("#verdict")  # dismisses it: the main view, the last carton still in view
        page.wait_for_selector("#verdict", state="hidden")
        shot(page, "station")
        listed = rows(page)
        fits = "document.documentElement.scrollHeight <= innerHeight"
        assert page.evaluate(f"{fits} && document.documentElement.scrollWidth <= innerWidth")

    assert len(listed) == len(CARTONS), listed  # one photo per carton, however long in view

    for name, verdict in CARTONS:
        photo = _photo(name)
        numbers = {photo["waybill"]["tracking_no"], photo["order"]["order_no"]}
        assert [v for code, v in listed if code in numbers] == [verdict], (name, listed)

    for name in ("label_003.jpg", "label_034.jpg"):
        photo = _photo(name)
        seen = order(server, admin, photo["order"]["order_no"])
        assert seen["cartons_received"] == 1, seen
        (carton,) = seen["cartons"]
        assert carton["state"] == "received"
        codes = {d["code"] for d in seen["defects"]}
        assert codes == set(photo["defects"]), (name, seen["defects"])
        assert {s["station"] for s in seen["scans"]} == {"Dock 3"}


def test_handheld_scanner_codes_with_enter(server: Server, shot: Shot) -> None:
    first = _photo("label_001.jpg")
    burst = _photo("label_002.jpg")
    dialogs: list[str] = []
    with chromium() as browser:
        # A mistyped token: the first scan is refused, the page asks again and keeps the scan.
        page = open_station(browser, server, "itk_0_not-a-token")

        def on_dialog(dialog: Dialog) -> None:  # alert(), confirm(): none may ever open
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.wait_for_selector("#cam-msg:has-text('No camera')")  # this browser has none
        scanned = scan(page, first["waybill"]["tracking_no"])
        page.wait_for_selector("#setup:not([hidden])")
        assert "refused" in (page.text_content("#setup-error") or "").lower()
        page.fill("#f-token", server.token("station", "Dock 3"))
        page.click("#setup button[type=submit]")
        wait_verdict(page, "received")
        assert page.text_content("#v-word") == "RECEIVED"
        assert f"Order {first['order']['order_no']}" in (page.text_content("#v-order") or "")
        assert "carton 1 of 1" in (page.text_content("#v-order") or "")
        assert page.evaluate("document.body.dataset.sound") == "received"
        shot(page, "received")

        # The field keeps the focus: a click elsewhere does not take the scanner's keys away.
        page.click("#verdict")
        page.click(".history h2")
        assert page.evaluate("document.activeElement.id") == "scan"
        after_blanking(scanned)
        scanned = scan(page, first["waybill"]["tracking_no"])
        wait_verdict(page, "already_received")
        assert page.evaluate("document.body.dataset.sound") == "already"
        shot(page, "already_received")

        after_blanking(scanned)
        scanned = scan(page, "YT9999999999999")
        wait_verdict(page, "unknown")
        assert page.evaluate("document.body.dataset.sound") == "unknown"
        shot(page, "unknown")

        after_blanking(scanned)
        script = "<script>alert(1)</script>"
        scanned = scan(page, script)
        wait_verdict(page, "invalid")
        assert page.text_content("#v-code") == f"Code: {script}"
        assert page.evaluate("document.body.dataset.sound") == "invalid"
        shot(page, "invalid")
        assert rows(page)[0] == (script, "invalid")
        assert page.locator("script").count() == 1 and dialogs == []
        assert "innerHTML" not in page.content()  # every text goes in as textContent

        # One label read in a burst (waybill, order number, a product code): one carton.
        after_blanking(scanned)
        for code in (burst["waybill"]["tracking_no"], burst["order"]["order_no"], "6901234567892"):
            scan(page, code)
        wait_verdict(page, "received")
        listed = rows(page)
        assert [v for _, v in listed] == [
            "ignored", "ignored", "received", "invalid", "unknown", "already_received", "received"
        ]  # fmt: skip

    admin = server.token("admin")
    seen = order(server, admin, burst["order"]["order_no"])
    assert len(seen["scans"]) == 1 and seen["cartons_received"] == 1, seen
    assert len(order(server, admin, first["order"]["order_no"])["scans"]) == 2


def test_scans_made_offline_are_kept_and_sent_in_order(server: Server, shot: Shot) -> None:
    photos = [_photo("label_004.jpg"), _photo("label_005.jpg")]
    codes = [p["waybill"]["tracking_no"] for p in photos]
    with chromium() as browser:
        page = open_station(browser, server, server.token("station", "Dock 3"))
        page.context.set_offline(True)
        after_blanking(scan(page, codes[0]))
        scan(page, codes[1])
        page.wait_for_selector("#banner:has-text('OFFLINE')")
        assert page.text_content("#net") == "offline"
        assert [v for _, v in rows(page)] == ["queued", "queued"]
        wait_verdict(page, "queued")
        assert page.evaluate("document.body.dataset.sound") == "queued"
        shot(page, "queued")
        page.click("#verdict")
        shot(page, "offline")
        page.context.set_offline(False)
        page.wait_for_selector("#banner", state="hidden", timeout=10_000)
        assert rows(page) == [(codes[1], "received"), (codes[0], "received")]
        assert page.evaluate("localStorage.getItem('intake.queue')") is None

    admin = server.token("admin")
    times = [order(server, admin, p["order"]["order_no"])["scans"][0]["scanned_at"] for p in photos]
    assert times == sorted(times)
