"""Evidence photos through a real `intake serve`, on SQLite and PostgreSQL, kept in the folder or
in an S3-compatible store (moto's server): POST /scans/photo stores them, GET /photos/{id} and
the reports read them back, and once `intake photos prune` has removed one, GET answers 410 and
the reports name it without a thumbnail."""

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.engine import Engine

from intake.photos import photo_name
from tests.api.conftest import Server
from tests.cli import test_photos
from tests.cli.test_photos import StoreUnderTest, age_records

# The CLI's tests' fixtures: this test's photo store (folder or S3), and the S3 server.
photo_store = test_photos.photo_store
s3_endpoint = test_photos.s3_endpoint

LABELS = Path(__file__).resolve().parents[2] / "sample_images" / "labels"
ZONE = ZoneInfo("Asia/Shanghai")  # the default INTAKE_TIMEZONE


@pytest.fixture
def photo_server(photo_store: StoreUnderTest, request: pytest.FixtureRequest) -> Server:
    """`intake serve` (tests/api/conftest.py) with this test's photo store configured."""
    server: Server = request.getfixturevalue("server")
    return server


def _send(server: Server, *files: str) -> list[dict[str, Any]]:
    with server.client("station") as station:
        return [
            station.post("/scans/photo", data={"operator": "mei"},
                         files={"photo": (f, (LABELS / f).read_bytes(), "image/jpeg")}).json()
            for f in files
        ]  # fmt: skip


def _pdf_images(pdf: bytes) -> int:
    return pdf.count(b"/Subtype /Image")


def test_evidence_photos_live_in_the_configured_store_until_the_retention_removes_them(
    photo_server: Server, photo_store: StoreUnderTest, engine: Engine
) -> None:
    settled, still_open, again = _send(photo_server, "label_057.jpg", "label_063.jpg",
                                       "label_057.jpg")  # fmt: skip
    today = datetime.now(ZONE).date().isoformat()
    with photo_server.client("billing") as billing:
        served = billing.get(f"/photos/{settled['photo']}")
        report = billing.get("/reports/mislabels", params={"date": today}).json()
        pdf = billing.get("/reports/mislabels", params={"date": today, "format": "pdf"})
        defect_id = settled["defects"][0]["id"]
        resolved = billing.post(f"/mislabels/{defect_id}/resolve",
                                json={"resolution": "relabeled", "by": "li"})  # fmt: skip
    thumbnail = httpx.get(report["mislabels"][0]["photo_url"])

    # Stored once each, where the settings say, and read back from there.
    photo = (LABELS / "label_057.jpg").read_bytes()
    names = {photo_name(r["photo"], "image/jpeg") for r in (settled, still_open)}
    assert again["repeat"] and again["photo"] == settled["photo"]
    assert photo_store.names() == names
    assert photo_store.read(photo_name(settled["photo"], "image/jpeg")) == photo
    if photo_store.kind == "s3":
        assert not photo_store.folder.exists()  # nothing written beside the service
    assert served.status_code == 200 and served.content == photo
    assert served.headers["content-type"] == "image/jpeg"
    assert thumbnail.status_code == 200 and thumbnail.content[:2] == b"\xff\xd8"
    assert len(thumbnail.content) < len(photo)
    assert pdf.status_code == 200 and _pdf_images(pdf.content) == 2
    assert resolved.status_code == 200, resolved.text

    age_records(engine)
    # From cron, beside the running service.
    pruned = photo_server.cli.process("photos", "prune", "--older-than", "90", "--json")

    assert pruned.exit_code == 0, pruned.stderr
    assert (json.loads(pruned.stdout)["purged"], json.loads(pruned.stdout)["kept"]) == (1, 1)
    assert photo_store.names() == {photo_name(still_open["photo"], "image/jpeg")}
    with photo_server.client("billing") as billing:
        gone = billing.get(f"/photos/{settled['photo']}")
        kept = billing.get(f"/photos/{still_open['photo']}")
        order = billing.get(f"/orders/{settled['order_no']}").json()
        day = _found_on(order)
        reports = {fmt: billing.get("/reports/mislabels", params={"date": day, "format": fmt})
                   for fmt in ("json", "html", "pdf")}  # fmt: skip

    assert gone.status_code == 410 and gone.json()["error"] == "photo_purged"
    assert "after its retention period" in gone.json()["detail"]
    assert kept.status_code == 200
    assert [i["photo_sha256"] for i in order["inspections"]] == [settled["photo"]]
    lines = {line["order_no"]: line for line in reports["json"].json()["mislabels"]}
    assert lines[settled["order_no"]]["photo_id"] == settled["photo"]
    assert lines[settled["order_no"]]["photo_url"] is None
    assert httpx.get(lines[still_open["order_no"]]["photo_url"]).status_code == 200
    html = reports["html"].text
    assert f"/photos/{settled['photo']}" not in html and settled["photo"][:12] in html
    assert f"/photos/{still_open['photo']}" in html
    assert reports["pdf"].status_code == 200 and reports["pdf"].content.rstrip().endswith(b"%%EOF")
    assert _pdf_images(reports["pdf"].content) == 1  # the photo still kept, and only that


def _found_on(order: dict[str, Any]) -> str:
    (defect,) = order["defects"]
    found: date = datetime.fromisoformat(defect["created_at"]).astimezone(ZONE).date()
    return found.isoformat()


def test_an_unreachable_store_is_a_503_and_nothing_is_recorded(
    server: Server, tmp_path: Path
) -> None:
    from tests.api.conftest import free_port

    server.stop()
    server.cli.env.update({
        "INTAKE_PHOTO_STORE": "s3://evidence/wh1",
        "INTAKE_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",  # nobody listens there
        "AWS_ACCESS_KEY_ID": "intake-test", "AWS_SECRET_ACCESS_KEY": "intake-test",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    })  # fmt: skip
    server.start()
    with server.client("station") as station:
        photo = (LABELS / "label_001.jpg").read_bytes()
        sent = station.post("/scans/photo", data={"operator": "mei"},
                            files={"photo": ("label_001.jpg", photo, "image/jpeg")})  # fmt: skip
    inspected = server.cli.process("inspect", str(LABELS / "label_002.jpg"), "--station", "D1",
                                   "--operator", "mei")  # fmt: skip
    with server.client("viewer") as viewer:
        orders = [viewer.get(f"/orders/{n}").json() for n in _orders_of("label_001", "label_002")]

    assert sent.status_code == 503, sent.text
    assert sent.json()["error"] == "photo_store_unavailable"
    assert inspected.exit_code == 2, inspected.stderr
    lines = inspected.stderr.strip().splitlines()
    assert len(lines) == 1 and "the photo store cannot be used" in lines[0]
    assert [o["status"] for o in orders] == ["awaiting", "awaiting"]  # nothing received
    assert all(o["cartons"] == [] and o["inspections"] == [] for o in orders)


def _orders_of(*labels: str) -> list[str]:
    manifest = json.loads((LABELS / "manifest.json").read_text(encoding="utf-8"))
    by_name = {Path(i["file"]).stem: i["order"]["order_no"] for i in manifest["images"]}
    return [by_name[label] for label in labels]
