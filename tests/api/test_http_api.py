"""The HTTP API through a real `intake serve` on a loopback port, on SQLite and PostgreSQL: tokens
and roles on every route, the answers, and bad input answered with a JSON error, never a 500."""

import hashlib
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from tests.api.conftest import SAMPLE_ORDERS, Server, free_port
from tests.conftest import Cli

LABELS = Path(__file__).resolve().parents[2] / "sample_images" / "labels"
MANIFEST = json.loads((LABELS / "manifest.json").read_text(encoding="utf-8"))
FIRST = MANIFEST["images"][0]  # label_001: a correct label
ORDER_NO = FIRST["order"]["order_no"]
TRACKING = FIRST["waybill"]["tracking_no"]

# Every route with a token, and the roles that may call it.
ROUTES = [
    ("POST", "/scans", {"json": {"code": "X", "operator": "o"}}, {"station", "admin"}),
    ("POST", "/frames", {"files": {"frame": ("f.png", b"", "image/png")}}, {"station", "admin"}),
    ("POST", "/scans/photo", {"data": {"operator": "o"}}, {"station", "admin"}),
    ("GET", f"/orders/{ORDER_NO}", {}, {"viewer", "billing", "admin"}),
    ("GET", "/orders", {}, {"viewer", "billing", "admin"}),
    ("POST", "/orders/import", {"files": {"file": ("o.csv", b"", "text/csv")}}, {"admin"}),
    ("GET", "/mislabels?date=2026-11-29", {}, {"billing", "admin"}),
    (
        "POST",
        "/mislabels/1/resolve",
        {"json": {"resolution": "waived", "by": "x"}},
        {"billing", "admin"},
    ),
    ("GET", "/photos/" + "0" * 64, {}, {"viewer", "billing", "admin"}),
    ("GET", "/metrics", {}, {"viewer", "billing", "admin"}),
    ("GET", "/reports/mislabels?date=2026-11-29", {}, {"billing", "admin"}),
    ("GET", "/reports/sla?from=2026-11-01&to=2026-11-29", {}, {"billing", "admin"}),
]
ROLES = ("station", "viewer", "billing", "admin")


def _error(answer: httpx.Response, status: int, error: str) -> dict[str, object]:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["error"] == error and body["detail"], body
    return dict(body)


def test_only_healthz_answers_without_a_token(server: Server) -> None:
    health = httpx.get(f"{server.url}/healthz")
    assert health.json() == {"status": "ok", "database": "ok"}
    for method, path, kwargs, _roles in ROUTES:
        answer = httpx.request(method, server.url + path, **kwargs)  # type: ignore[arg-type]
        _error(answer, 401, "unauthorized")
        assert answer.headers["www-authenticate"] == "Bearer"
        forged = httpx.request(method, server.url + path, headers={"Authorization":
                               "Bearer itk_1_forged"}, **kwargs)  # type: ignore[arg-type]  # fmt: skip
        _error(forged, 401, "unauthorized")


def test_each_role_reaches_its_routes_and_no_other(server: Server) -> None:
    clients = {role: server.client(role) for role in ROLES}
    try:
        for method, path, kwargs, allowed in ROUTES:
            for role, client in clients.items():
                answer = client.request(method, path, **kwargs)  # type: ignore[arg-type]
                if role in allowed:
                    assert answer.status_code not in (401, 403), (role, path, answer.text)
                    assert answer.status_code < 500, (role, path, answer.text)
                else:
                    _error(answer, 403, "forbidden")
    finally:
        for client in clients.values():
            client.close()


def test_a_revoked_token_stops_at_once_in_every_worker(cli: Cli, tmp_path: Path) -> None:
    # Each worker process keeps the tokens it checked; a revocation written by another process
    # (the CLI) reaches them all before the next request.
    assert cli("orders", "import", str(SAMPLE_ORDERS)).exit_code == 0
    server = Server(cli, free_port(), tmp_path / "serve.log", workers=2)
    server.start()
    try:
        token, other = server.token("viewer", "Desk 4"), server.token("viewer", "Desk 5")
        headers = {"Authorization": f"Bearer {token}"}
        # New connections spread over both workers: each checks the token and keeps it.
        for _ in range(12):
            assert httpx.get(f"{server.url}/orders/{ORDER_NO}", headers=headers).status_code == 200
        assert server.cli("tokens", "revoke", token.split("_")[1]).exit_code == 0
        for _ in range(12):
            answer = httpx.get(f"{server.url}/orders/{ORDER_NO}", headers=headers)
            _error(answer, 401, "unauthorized")
        # Another token goes on working, and a revoked one stays revoked.
        mine = {"Authorization": f"Bearer {other}"}
        for _ in range(6):
            assert httpx.get(f"{server.url}/orders/{ORDER_NO}", headers=mine).status_code == 200
            _error(httpx.get(f"{server.url}/orders/{ORDER_NO}", headers=headers), 401,
                   "unauthorized")  # fmt: skip
    finally:
        server.stop()


def test_a_scan_receives_and_a_resent_scan_is_recorded_once(server: Server) -> None:
    with server.client("station", "Dock 3") as station, server.client("viewer") as viewer:
        key = {"Idempotency-Key": "5f0c4b1e-scan-1"}
        first = station.post("/scans", json={"code": TRACKING, "operator": "mei"}, headers=key)
        again = station.post("/scans", json={"code": TRACKING, "operator": "mei"}, headers=key)
        other = station.post("/scans", json={"code": TRACKING, "operator": "mei"})
        order = viewer.get(f"/orders/{ORDER_NO}").json()

    assert first.json()["outcome"] == "received" and first.json()["order_no"] == ORDER_NO
    assert again.json()["replayed"] and again.json()["scan_id"] == first.json()["scan_id"]
    assert other.json()["outcome"] == "already_received"
    assert [s["outcome"] for s in order["scans"]] == ["received", "already_received"]
    assert [s["station"] for s in order["scans"]] == ["Dock 3", "Dock 3"]
    assert order["status"] == "received" and order["buyer"]["name"] == FIRST["order"]["buyer_name"]


def test_hostile_codes_are_answered_and_stored_escaped(server: Server) -> None:
    with server.client("station") as station, server.client("viewer") as viewer:
        for code in (
            "\x00\x01",
            "A" * 10_000,
            "<script>alert(1)</script>",
            "1'; DROP TABLE orders;--",
        ):
            answer = station.post("/scans", json={"code": code, "operator": "mei"})
            assert answer.status_code == 200 and answer.json()["outcome"] == "invalid"
            assert "\x00" not in answer.json()["raw_code"] and len(answer.json()["raw_code"]) <= 600
        assert viewer.get(f"/orders/{ORDER_NO}").status_code == 200  # the book is intact
        _error(station.post("/scans", json={"code": "A" * 20_001, "operator": "m"}), 422,
               "invalid_request")  # fmt: skip
        _error(station.post("/scans", content=b"{not json", headers={"content-type":
               "application/json"}), 422, "invalid_request")  # fmt: skip
        _error(station.post("/scans", json={"operator": "m"}), 422, "invalid_request")


def test_orders_are_looked_up_and_listed_a_page_at_a_time(server: Server) -> None:
    with server.client("viewer") as viewer:
        _error(viewer.get("/orders/5764000000000000000"), 404, "not_found")
        first = viewer.get("/orders", params={"limit": 30}).json()
        second = viewer.get("/orders", params={"limit": 30, "after": first["next_after"]}).json()
        rest = viewer.get("/orders", params={"limit": 30, "after": second["next_after"]}).json()
        _error(viewer.get("/orders", params={"status": "lost"}), 422, "invalid_input")
        _error(viewer.get("/orders", params={"limit": 0}), 422, "invalid_request")
        _error(viewer.get("/orders", params={"received_from": "2026-11-29T00:00:00"}), 422,
               "invalid_input")  # fmt: skip

    numbers = [o["order_no"] for page in (first, second, rest) for o in page["orders"]]
    assert numbers == sorted(numbers) and len(numbers) == len(set(numbers)) == 72
    assert rest["next_after"] is None


def test_an_order_book_is_imported_whole_or_not_at_all(server: Server) -> None:
    good = "\n".join([
        "order_no,supplier_id,supplier_name,supplier_address,buyer_name,buyer_address,"
        "buyer_postcode,buyer_country,ordered_at",
        "576499999999999901,SUP900,深圳市测试有限公司,广东省深圳市,Ann Lee,1 Main St,62704,US,"
        "2026-11-20T08:00:00+08:00",
    ])  # fmt: skip
    bad = good + "\n576499999999999902,SUP900,x,y,Bo,2 Main St,62704,ZZ,yesterday"
    with server.client("admin") as admin:
        imported = admin.post("/orders/import", files={"file": ("book.csv", good.encode())})
        refused = admin.post("/orders/import", files={"file": ("book.csv", bad.encode())})
        _error(admin.post("/orders/import", files={"file": ("book.csv", b"")}), 422,
               "import_rejected")  # fmt: skip
        present = admin.get("/orders/576499999999999901")
        absent = admin.get("/orders/576499999999999902")

    assert imported.status_code == 200, imported.text
    body = _error(refused, 422, "import_rejected")
    assert "ZZ" in json.dumps(body, ensure_ascii=False)
    assert present.status_code == 200 and absent.status_code == 404


def test_an_upload_over_the_byte_limit_is_413(server: Server) -> None:
    server.stop()
    server.cli.env["INTAKE_MAX_IMAGE_BYTES"] = "50000"
    server.start()
    with server.client("station") as station:
        photo = {"photo": ("c.jpg", (LABELS / "label_002.jpg").read_bytes())}
        answer = station.post("/scans/photo", data={"operator": "mei"}, files=photo)
    assert "50,000" in str(_error(answer, 413, "image_too_large")["detail"])


def test_a_photo_is_inspected_charged_and_its_evidence_served(server: Server) -> None:
    photo = (LABELS / "label_057.jpg").read_bytes()
    with server.client("station", "Dock 5") as station, server.client("billing") as billing:
        upload = {"photo": ("label_057.jpg", photo, "image/jpeg")}
        result = station.post("/scans/photo", data={"operator": "mei"}, files=upload).json()
        served = billing.get(f"/photos/{result['photo']}")
        guessed = billing.get("/photos/" + hashlib.sha256(b"another photo").hexdigest())
        escaped = billing.get("/photos/..%2F..%2Fetc%2Fpasswd")
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
        listed = billing.get("/mislabels", params={"date": today}).json()
        defect_id = result["defects"][0]["id"]
        resolved = billing.post(f"/mislabels/{defect_id}/resolve",
                                json={"resolution": "relabeled", "by": "li"})  # fmt: skip
        twice = billing.post(f"/mislabels/{defect_id}/resolve",
                             json={"resolution": "relabeled", "by": "li"})  # fmt: skip
        metrics = billing.get("/metrics").text

    assert result["verdict"] == "relabel" and result["outcome"] == "received"
    assert [d["code"] for d in result["defects"]] == ["forbidden_link"]
    assert served.status_code == 200 and served.content == photo
    assert served.headers["content-type"] == "image/jpeg"
    _error(guessed, 404, "not_found")
    assert escaped.status_code in (404, 422) and "root:" not in escaped.text
    (row,) = listed["mislabels"]
    assert row["order_no"] == result["order_no"] and row["photo"] == result["photo"]
    assert row["fee"] == "12.50" and row["station"] == "Dock 5" and row["supplier_name"]
    assert resolved.json()["state"] == "relabeled" and resolved.json()["resolved_by"] == "li"
    _error(twice, 422, "invalid_input")
    assert 'intake_inspections_total{verdict="relabel"} 1.0' in metrics
    assert 'intake_request_seconds_count{method="POST",route="/scans/photo"' in metrics


def test_the_openapi_description_is_served(server: Server) -> None:
    spec = httpx.get(f"{server.url}/openapi.json").json()
    assert {"/scans", "/scans/photo", "/orders/{order_no}", "/mislabels"} <= set(spec["paths"])
    assert httpx.get(f"{server.url}/docs").status_code == 200


def test_whoami_names_the_token_and_its_rights(server: Server) -> None:
    with server.client("billing", "Billing desk") as billing:
        me = billing.get("/whoami").json()
    assert me == {"name": "Billing desk", "role": "billing", "may": ["bill", "look_up"]}
    _error(httpx.get(f"{server.url}/whoami"), 401, "unauthorized")


def test_the_daily_report_over_http(server: Server) -> None:
    photo = (LABELS / "label_057.jpg").read_bytes()
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    with server.client("station") as station, server.client("billing") as billing:
        upload = {"photo": ("label_057.jpg", photo, "image/jpeg")}
        found = station.post("/scans/photo", data={"operator": "mei"}, files=upload).json()
        as_json = billing.get("/reports/mislabels", params={"date": today})
        as_csv = billing.get("/reports/mislabels", params={"date": today, "format": "csv"})
        as_html = billing.get("/reports/mislabels", params={"date": today, "format": "html"})
        as_pdf = billing.get("/reports/mislabels", params={"date": today, "format": "pdf"})
        empty = billing.get("/reports/mislabels", params={"date": "2020-01-01"})
        sla = billing.get("/reports/sla", params={"from": today, "to": today, "format": "csv"})
        bad_date = billing.get("/reports/mislabels", params={"date": "2026-02-30"})
        unknown = billing.get("/reports/mislabels", params={"date": today, "supplier": "NOPE"})
        bad_format = billing.get("/reports/mislabels", params={"date": today, "format": "xls"})
        backwards = billing.get("/reports/sla", params={"from": today, "to": "2020-01-01"})

    report = as_json.json()
    (line,) = report["mislabels"]
    assert line["defect_codes"] == ["forbidden_link"] and line["order_no"] == found["order_no"]
    # The photo link opens without a token (a browser's <img>, a supplier), and only as signed.
    link = line["photo_url"]
    assert link.startswith(f"{server.url}/photos/{found['photo']}?width=240&expires=")
    thumbnail = httpx.get(link)
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/jpeg"
    assert thumbnail.content[:2] == b"\xff\xd8" and len(thumbnail.content) < len(photo)
    _error(httpx.get(link.replace("width=240", "width=1200")), 403, "link_invalid")
    _error(httpx.get(link[:-4] + "0000"), 403, "link_invalid")
    other = hashlib.sha256(b"x").hexdigest()
    _error(httpx.get(link.replace(found["photo"], other)), 403, "link_invalid")
    assert report["totals"]["cartons_mislabeled"] == 1
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="mislabels-' in as_csv.headers["content-disposition"]
    assert as_csv.content.startswith(b"\xef\xbb\xbf") and found["order_no"] in as_csv.text
    assert as_html.headers["content-type"] == "text/html; charset=utf-8"
    assert found["order_no"] in as_html.text and "<svg" in as_html.text
    thumbnail_src = f'src="{server.url}/photos/{found["photo"]}?width=240&amp;expires='
    assert thumbnail_src in as_html.text  # the thumbnail, through a signed link
    assert as_pdf.headers["content-type"] == "application/pdf"
    assert as_pdf.content.startswith(b"%PDF") and as_pdf.content.rstrip().endswith(b"%%EOF")
    assert empty.json()["empty"] is True and empty.json()["mislabels"] == []
    assert sla.status_code == 200 and sla.text.lstrip("\ufeff").startswith("section,order_no")
    _error(bad_date, 422, "invalid_request")
    assert "unknown supplier" not in str(_error(unknown, 422, "unknown_supplier")["detail"])
    _error(bad_format, 422, "invalid_request")
    _error(backwards, 422, "invalid_input")
