"""Schemathesis against the service's own OpenAPI description (/openapi.json), over HTTP, on a real
`intake serve` on SQLite and PostgreSQL: every route answers a token that may call it within its
description (status, content type, body schema) and never with a 5xx, valid requests or not; every
role gets a described 401/403 JSON error where it lacks the right; the hot routes, which answer
without per-request validation, answer real scans and look-ups as described.

Bounded and derandomized: the same few requests per route on every run (EXAMPLES)."""

from collections.abc import Callable, Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import Server
from tests.api.test_http_api import FIRST, LABELS, ORDER_NO, TRACKING

EXAMPLES = 8  # generated requests per route and mode
REFUSALS = 3  # per route a role may not call
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
STATION, VIEWER, BILLING, ADMIN = "station", "viewer", "billing", "admin"
EVERY_TOKEN = {STATION, VIEWER, BILLING, ADMIN}
# Who may call what (the README's table); None: no token needed.
MAY = {
    "GET /healthz": {None, *EVERY_TOKEN},
    "GET /whoami": EVERY_TOKEN,
    "GET /metrics": {VIEWER, BILLING, ADMIN},
    "POST /scans": {STATION, ADMIN},
    "POST /scans/photo": {STATION, ADMIN},
    "POST /frames": {STATION, ADMIN},
    "GET /orders/{order_no}": {VIEWER, BILLING, ADMIN},
    "GET /orders": {VIEWER, BILLING, ADMIN},
    "POST /orders/import": {ADMIN},
    "GET /mislabels": {BILLING, ADMIN},
    "POST /mislabels/{defect_id}/resolve": {BILLING, ADMIN},
    "GET /photos/{photo_id}": {VIEWER, BILLING, ADMIN},
    "GET /reports/mislabels": {BILLING, ADMIN},
    "GET /reports/sla": {BILLING, ADMIN},
}

Check = Callable[[schemathesis.Case], str | None]


def _operations(server: Server) -> Iterator[schemathesis.APIOperation]:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    for result in schema.get_all_operations():
        yield result.ok()


def _fuzz(operation: schemathesis.APIOperation, mode: GenerationMode, examples: int,
          check: Check) -> tuple[int, list[str]]:  # fmt: skip
    """Send `examples` generated requests to one operation: how many went, what `check` found."""
    sent: list[int] = []
    found: list[str] = []

    # No shrinking (every problem is kept, not raised) and no example database: the same
    # requests, in the same time, on every run.
    @hypothesis.settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        sent.append(1)
        problem = check(case)
        if problem is not None:
            found.append(f"{operation.label}: {problem}")

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        # Nothing of it can be made invalid (a path parameter that takes any text).
        assert mode is GenerationMode.NEGATIVE, operation.label
    return len(sent), found


def _validated(server: Server, token: str | None, checks: list[Any],
               expect: Callable[[int], bool] = lambda status: True) -> Check:  # fmt: skip
    """Send the case with the token; a check that fails, or an unexpected status, is a problem."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    def check(case: schemathesis.Case) -> str | None:
        try:
            answer = case.call_and_validate(base_url=server.url, headers=headers, checks=checks,
                                            timeout=30)  # fmt: skip
        except (AssertionError, BaseExceptionGroup) as exc:
            return str(exc)
        if not expect(answer.status_code):
            return f"{answer.status_code} {answer.text[:300]}\n{case.as_curl_command()}"
        return None

    return check


@pytest.mark.slow
def test_every_route_answers_within_its_description(server: Server) -> None:
    admin = server.token(ADMIN)
    problems: list[str] = []
    labels = []
    for operation in _operations(server):
        labels.append(operation.label)
        sent, found = _fuzz(operation, GenerationMode.POSITIVE, EXAMPLES,
                            _validated(server, admin, CONFORMANCE))  # fmt: skip
        assert sent, operation.label
        problems += found
        invalid = _validated(server, admin, [*CONFORMANCE, negative_data_rejection])
        problems += _fuzz(operation, GenerationMode.NEGATIVE, EXAMPLES, invalid)[1]
    assert sorted(labels) == sorted(MAY), "a route without its roles in MAY, or one gone"
    assert not problems, "\n\n".join(problems)


@pytest.mark.slow
def test_each_role_is_refused_what_it_may_not_do(server: Server) -> None:
    tokens = {None: None, **{role: server.token(role) for role in (STATION, VIEWER, BILLING)}}
    problems: list[str] = []
    refused = 0
    for operation in _operations(server):
        for role, token in tokens.items():
            if role in MAY[operation.label]:
                continue
            # No token: 401. A token without the right: 403 (or 401 for a photo link's).
            want = {401} if token is None else {401, 403}
            sent, found = _fuzz(operation, GenerationMode.POSITIVE, REFUSALS,
                                _validated(server, token, CONFORMANCE,
                                           lambda status, want=want: status in want))  # fmt: skip
            refused += sent
            problems += [f"{role} token: {p}" for p in found]
    assert refused >= 20 * REFUSALS  # every refused route was tried
    assert not problems, "\n\n".join(problems)


@pytest.mark.slow
def test_the_hot_routes_answer_real_scans_and_look_ups_as_described(server: Server) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    scan = schema["/scans"]["POST"]
    order = schema["/orders/{order_no}"]["GET"]
    photo = (LABELS / "label_057.jpg").read_bytes()
    with server.client(STATION) as station, server.client(VIEWER) as viewer:
        key = {"Idempotency-Key": "fuzz-1"}
        scans = [
            station.post("/scans", json={"code": TRACKING, "operator": "mei"}, headers=key),
            station.post("/scans", json={"code": TRACKING, "operator": "mei"}, headers=key),
            station.post("/scans", json={"code": TRACKING, "operator": "mei"}),
            station.post("/scans", json={"code": "SF9999999999999", "operator": "mei"}),
            station.post("/scans", json={"code": "\x00<b>", "operator": "mei"}),
        ]
        upload = {"photo": ("c.jpg", photo, "image/jpeg")}
        inspected = station.post("/scans/photo", data={"operator": "mei"}, files=upload).json()
        orders = [viewer.get(f"/orders/{n}") for n in (ORDER_NO, inspected["order_no"])]
        unreceived = viewer.get("/orders", params={"status": "awaiting", "limit": 1}).json()
        orders.append(viewer.get(f"/orders/{unreceived['orders'][0]['order_no']}"))

    outcomes = [s.json()["outcome"] for s in scans]
    assert outcomes == ["received", "received", "already_received", "unknown", "invalid"]
    full = orders[1].json()
    assert full["defects"] and full["inspections"] and full["cartons"] and full["scans"]
    assert orders[0].json()["buyer"]["name"] == FIRST["order"]["buyer_name"]
    assert orders[2].json()["cartons"] == []
    checks = [status_code_conformance, content_type_conformance, response_schema_conformance]
    for answer in scans:
        scan.Case(body={"code": "x", "operator": "mei"}).validate_response(answer, checks=checks)
    for answer in orders:
        looked_up = order.Case(path_parameters={"order_no": ORDER_NO})
        looked_up.validate_response(answer, checks=checks)
