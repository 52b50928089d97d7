"""`intake photos prune`: evidence photos past the retention period leave the photo store, those
billing still needs stay, and the database keeps the record. On SQLite and PostgreSQL, with the
photos in the folder and in an S3-compatible store (moto's server on a loopback port).

The fixtures `photo_store` and `s3_endpoint` and the helper `age_records` serve
tests/api/test_photo_store.py too.
"""

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake import db
from intake.models import Carton, Defect, Inspection, Photo, ScanEvent
from intake.photos import (
    FolderPhotoStore,
    PruneReport,
    photo_name,
    prune_photos,
    store_photo,
)
from tests.conftest import Cli

LABELS = Path(__file__).resolve().parents[2] / "sample_images" / "labels"
AGE_DAYS = 200  # how far back the tests move a shift: past the 90-day retention they prune with
PREFIX = "warehouse-7"
_TIMES = {
    Carton: ("received_at",),
    ScanEvent: ("scanned_at",),
    Inspection: ("inspected_at",),
    Defect: ("created_at", "resolved_at"),
    Photo: ("stored_at",),
}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """An S3-compatible HTTP server on a loopback port (moto's), for the whole session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class StoreUnderTest:
    """Where the photos of one test go, seen from outside the service: the folder or a bucket."""

    kind: str
    folder: Path
    bucket: str = ""
    client: Any = None

    def names(self) -> set[str]:
        """The photos stored, as ab/cd/<sha256>.<ext>."""
        if self.kind == "folder":
            return {str(p.relative_to(self.folder)) for p in self.folder.rglob("*") if p.is_file()}
        listed = self.client.list_objects_v2(Bucket=self.bucket, Prefix=f"{PREFIX}/")
        return {o["Key"].removeprefix(f"{PREFIX}/") for o in listed.get("Contents", [])}

    def read(self, name: str) -> bytes:
        """The bytes stored under a name."""
        if self.kind == "folder":
            return (self.folder / name).read_bytes()
        answer = self.client.get_object(Bucket=self.bucket, Key=f"{PREFIX}/{name}")
        return bytes(answer["Body"].read())


@pytest.fixture(params=["folder", "s3"])
def photo_store(request: pytest.FixtureRequest, cli: Cli, tmp_path: Path) -> StoreUnderTest:
    """This test's photo store, configured in `cli.env` (and so for `intake serve` too)."""
    folder = Path(cli.env["INTAKE_DATA_DIR"]) / "photos"
    if request.param == "folder":
        return StoreUnderTest("folder", folder)
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = f"evidence-{uuid.uuid4().hex[:12]}"
    credentials = {"AWS_ACCESS_KEY_ID": "intake-test", "AWS_SECRET_ACCESS_KEY": "intake-test"}
    cli.env.update(
        credentials
        | {
            "AWS_DEFAULT_REGION": "us-east-1",
            # Nothing of this machine's own AWS set-up may leak in.
            "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "INTAKE_PHOTO_STORE": f"s3://{bucket}/{PREFIX}",
            "INTAKE_S3_ENDPOINT_URL": endpoint,
        }
    )
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="intake-test",
                          aws_secret_access_key="intake-test")  # fmt: skip
    client.create_bucket(Bucket=bucket)
    return StoreUnderTest("s3", folder, bucket, client)


def age_records(engine: Engine, days: int = AGE_DAYS) -> None:
    """Move every recorded time `days` back, as if everything so far had happened then."""
    with db.session_scope(engine) as session:
        for model, fields in _TIMES.items():
            for row in session.exec(select(model)):
                for name in fields:
                    if (value := getattr(row, name)) is not None:
                        setattr(row, name, value - timedelta(days=days))
                session.add(row)


def _inspect(cli: Cli, *photos: Path) -> dict[str, dict[str, Any]]:
    done = cli("inspect", "--json", "--station", "DOCK-7", "--operator", "mei", *map(str, photos))
    assert done.exit_code == 0, done.stderr
    return {Path(r["file"]).name: r for r in map(json.loads, done.stdout.splitlines())}


def _resolve(cli: Cli, result: dict[str, Any]) -> None:
    (defect,) = result["defects"]
    assert defect["action"] == "relabel", defect
    done = cli("mislabels", "resolve", str(defect["id"]), "--as", "relabeled", "--by", "li")
    assert done.exit_code == 0, done.stderr


def _prune(cli: Cli, *extra: str) -> dict[str, Any]:
    done = cli("photos", "prune", "--older-than", "90", "--json", *extra)
    assert done.exit_code == 0, done.stderr
    return dict(json.loads(done.stdout))


def _name(result: dict[str, Any]) -> str:
    return photo_name(result["photo"], "image/jpeg")


def test_prune_removes_old_photos_and_keeps_the_evidence_billing_needs(
    cli: Cli, photo_store: StoreUnderTest, engine: Engine, tmp_path: Path
) -> None:
    import cv2

    assert cli("orders", "import", str(LABELS / "orders.csv")).exit_code == 0
    blurred = tmp_path / "blurred.jpg"  # too blurred to charge: held for a person to review
    cv2.imwrite(
        str(blurred), cv2.GaussianBlur(cv2.imread(str(LABELS / "label_002.jpg")), (0, 0), 3)
    )
    files = [
        LABELS / f for f in ("label_001.jpg", "label_057.jpg", "label_063.jpg", "label_054.jpg")
    ]
    old = _inspect(cli, *files, blurred)
    assert old["label_001.jpg"]["defects"] == [] and old["label_063.jpg"]["defects"]
    assert old["blurred.jpg"]["verdict"] == "needs_review"
    _resolve(cli, old["label_057.jpg"])  # settled long ago, once aged
    age_records(engine)
    _resolve(cli, old["label_054.jpg"])  # found long ago, settled today
    young = _inspect(cli, LABELS / "label_033.jpg")["label_033.jpg"]
    stored = photo_store.names()
    assert stored == {_name(r) for r in [*old.values(), young]}

    dry = _prune(cli, "--dry-run")
    assert photo_store.names() == stored
    pruned = _prune(cli)
    again = _prune(cli)

    gone = {_name(old["label_001.jpg"]), _name(old["label_057.jpg"])}
    sizes = sum((LABELS / f).stat().st_size for f in ("label_001.jpg", "label_057.jpg"))
    assert (dry["purged"], dry["kept"], dry["dry_run"]) == (2, 3, True)
    assert (pruned["purged"], pruned["purged_bytes"], pruned["kept"]) == (2, sizes, 3)
    assert pruned["older_than_days"] == 90 and not pruned["dry_run"]
    assert photo_store.names() == stored - gone
    assert (again["purged"], again["kept"]) == (0, 3)
    # The record stays: the order still names the photo its inspection was made from.
    order_no = old["label_057.jpg"]["order_no"]
    shown = json.loads(cli("orders", "show", order_no, "--json").stdout)
    assert [i["photo_sha256"] for i in shown["inspections"]] == [old["label_057.jpg"]["photo"]]
    # The same photo sent again is evidence again: its bytes are back in the store.
    assert _inspect(cli, LABELS / "label_001.jpg")["label_001.jpg"]["repeat"]
    name = _name(old["label_001.jpg"])
    assert name in photo_store.names()
    assert photo_store.read(name) == (LABELS / "label_001.jpg").read_bytes()
    text = cli("photos", "prune", "--older-than", "90")
    assert text.exit_code == 0 and text.stdout.startswith("purged 0 photos (0.0 MB) stored before")
    assert "kept 3 older ones" in text.stdout


def test_bad_input_is_one_line_and_exit_status_2(cli: Cli, engine: Engine) -> None:
    assert cli("orders", "import", str(LABELS / "orders.csv")).exit_code == 0
    stored = _inspect(cli, LABELS / "label_001.jpg")["label_001.jpg"]
    age_records(engine)  # past any period: only the bad input keeps it from being purged
    folder = Path(cli.env["INTAKE_DATA_DIR"]) / "photos"
    zero = cli("photos", "prune", "--older-than", "0")
    words = cli.process("photos", "prune", "--older-than", "ninety")
    missing = cli.process("photos", "prune")
    cli.env["INTAKE_PHOTO_STORE"] = "ftp://photos.example/evidence"
    bad_store = cli("photos", "prune", "--older-than", "90")

    for result in (zero, words, missing, bad_store):
        assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1, result
    assert zero.stderr.strip() == "error: a retention period is 1 to 36,500 days, not 0"
    assert "Invalid value for '--older-than'" in words.stderr
    assert "--older-than" in missing.stderr
    assert bad_store.stderr.startswith("error: setting INTAKE_PHOTO_STORE: ")
    assert "s3://bucket/prefix" in bad_store.stderr
    assert (folder / _name(stored)).exists()  # nothing removed, nothing marked
    with Session(engine) as session:
        assert [p.purged_at for p in session.exec(select(Photo))] == [None]


def test_a_photo_stored_again_while_a_prune_runs_stays(database_url: str, tmp_path: Path) -> None:
    station, pruner = db.create_db_engine(database_url), db.create_db_engine(database_url)
    store = FolderPhotoStore(tmp_path / "photos")
    data = b"\xff\xd8 a photo of a carton"

    def send(session: Session) -> str:
        return store_photo(session, store=store, data=data, media_type="image/jpeg", width=1,
                           height=1).sha256  # fmt: skip

    with db.session_scope(station) as session:
        sha256 = send(session)
    age_records(station)
    results: list[PruneReport] = []
    with db.session_scope(station) as session:
        # A station sends the same photo again; before it commits, a prune run starts.
        send(session)
        run = threading.Thread(target=lambda: results.append(
            prune_photos(pruner, store=store, older_than_days=90)))  # fmt: skip
        run.start()
        run.join(timeout=1)  # SQLite: it waits for the station; PostgreSQL: it skips the row
    run.join(timeout=60)
    station.dispose()
    pruner.dispose()

    (report,) = results
    assert report.purged == 0
    assert store.read(sha256, "image/jpeg") == data
