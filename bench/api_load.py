"""The HTTP API under load: POST /scans, GET /orders/{order_no}, POST /scans/photo.

    .venv/bin/python bench/api_load.py [--orders N] [--pg] [--workers W] [--rate R] [--seconds S]

A fresh database gets the benchmark order book (bench/out/orders-N.csv, made once), then
`intake serve --workers W` (default 2, one per core) takes 5 s of scans as a warm-up (not
measured; on PostgreSQL then VACUUM (ANALYZE): a warehouse's database holds earlier days'
cartons), then, with 32 connections:
- open loop (bench/openloop.py, what the targets mean: 32 stations sending R requests a second
  in all, latency counted from when each request was due): POST /scans, each request a different
  registered waybill (a first scan: the full decision and its writes); then GET /orders/{no} of
  random orders;
- closed loop (wrk, needs `apt-get install wrk`: each connection sends as soon as it has its
  answer): the most requests a second the server answers, for POST /scans, GET /orders/{no}
  and, as the baseline, GET /healthz (no token, one `SELECT 1`: what the HTTP stack alone
  gives on this machine);
- POST /scans/photo of 1920x1080 label photos, one at a time (end-to-end time per photo).
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
import openloop

WRK_THREADS = 2
LABELS = common.REPO / "sample_images" / "labels"
# wrk runs each thread in its own Lua state: `setup` numbers them, so that thread t of T sends the
# codes t, t + T, t + 2T... (spread over the list by a stride prime to its length): every request
# a different registered waybill.
SCANS_LUA = """
local threads = 0
function setup(thread)
  thread:set("t", threads)
  threads = threads + 1
end
local codes = {}
for line in io.lines("%(codes)s") do codes[#codes + 1] = line end
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
request = function()
  local k = n * %(threads)s + t
  n = n + 1
  local code = codes[(k * 7919) %% #codes + 1]
  return wrk.format(nil, "/scans", nil, '{"code":"' .. code .. '","operator":"bench"}')
end
"""
HEALTHZ_LUA = """
wrk.path = "/healthz"
"""
ORDERS_LUA = """
local numbers = {}
for line in io.lines("%(codes)s") do numbers[#numbers + 1] = line end
local n = 0
wrk.headers["Authorization"] = "Bearer %(token)s"
request = function()
  n = n + 1
  return wrk.format("GET", "/orders/" .. numbers[(n * 7919) %% #numbers + 1])
end
"""


def wrk(lua: str, values: dict[str, str], url: str, seconds: float, connections: int) -> dict:
    """One wrk run; its requests per second and latency percentiles."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua % (values | {"threads": str(WRK_THREADS)}))
    argv = ["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds:.0f}s", "--latency",
            "-s", script.name]  # fmt: skip
    done = subprocess.run([*argv, url], capture_output=True, text=True, check=True)
    os.unlink(script.name)
    out = done.stdout
    figures = {"raw": out}
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec"):
            figures["rps"] = float(parts[1])
        elif parts[:1] in (["50%"], ["99%"]):
            figures[parts[0]] = parts[1]
        elif "Non-2xx" in line:
            figures["non_2xx"] = parts[-1]
    return figures


def serve(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [common.INTAKE, "serve", "--port", str(port), "--workers", str(workers),
         "--no-access-log"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                time.sleep(10)  # the OCR models load in the background at start
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    sys.exit("intake serve did not come up")


def intake(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [common.INTAKE, *args], env=env, capture_output=True, text=True, check=True
    ).stdout


def photo_times(url: str, token: str, count: int) -> list[float]:
    photos = [p for p in sorted(LABELS.glob("label_*.jpg")) if p.stat().st_size > 60_000][:count]
    times = []
    with httpx.Client(base_url=url, timeout=60,
                      headers={"Authorization": f"Bearer {token}"}) as client:  # fmt: skip
        for photo in photos:
            started = time.perf_counter()
            upload = {"photo": (photo.name, photo.read_bytes(), "image/jpeg")}
            data = {"operator": "bench", "dry_run": "true"}
            answer = client.post("/scans/photo", data=data, files=upload)
            answer.raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL (INTAKE_TEST_PG_URL)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=500, help="open-loop requests a second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--photos", type=int, default=10)
    args = parser.parse_args()
    if shutil.which("wrk") is None:  # found missing only after minutes of import otherwise
        sys.exit("bench/api_load.py measures closed-loop maxima with wrk: apt-get install wrk")
    print(f"# bench/api_load.py — {common.machine()}")
    book = common.orders_csv(args.orders)
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        if args.pg:
            context = common.fresh_pg("api")
            url = context.__enter__()
        else:
            _path, url = common.fresh_sqlite("api.db")
        env = os.environ | {"INTAKE_DATABASE_URL": url, "INTAKE_DATA_DIR": tmp}
        started = time.perf_counter()
        intake(env, "orders", "import", str(book))
        print(f"imported {args.orders:,} orders in {time.perf_counter() - started:.0f} s")
        if args.pg:
            # A million rows just written: PostgreSQL's autovacuum would set to work on them
            # during the runs. A warehouse's order book grows by a day's orders at a time.
            started = time.perf_counter()
            common.pg_vacuum(url)
            print(f"VACUUM (ANALYZE), CHECKPOINT in {time.perf_counter() - started:.0f} s")
        tracking, order_nos = sample_codes(book)
        # Open and closed loop scan different waybills: every scan is a carton's first.
        codes_file, orders_file = Path(tmp) / "codes.txt", Path(tmp) / "orders.txt"
        codes_file.write_text("\n".join(tracking[100_000:]))
        orders_file.write_text("\n".join(order_nos))
        station = json.loads(intake(env, "tokens", "create", "--role", "station", "--name",
                                    "bench", "--json"))["token"]  # fmt: skip
        viewer = json.loads(intake(env, "tokens", "create", "--role", "viewer", "--name",
                                   "bench viewer", "--json"))["token"]  # fmt: skip
        port = 18000 + os.getpid() % 1000
        server = serve(env, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        try:
            # Warm-up, not measured: a warehouse's database holds the cartons of days before.
            # A fresh one has none, and PostgreSQL plans the foreign-key check of each new scan
            # event against an empty cartons table as a scan of the table, until autovacuum's
            # ANALYZE (a minute later) plans it anew: settled here as it would be by then.
            warm = openloop.run(
                "127.0.0.1",
                port,
                scan_requests(tracking[60_000:], station),
                rate=args.rate,
                seconds=5,
                connections=args.connections,
            )
            if args.pg:
                common.pg_vacuum(url)
            settled = ", then ANALYZE" if args.pg else ""
            print(f"warm-up: {warm.summary()['answers']} scans{settled}")
            # The machine is shared and noisy: each open-loop run three times, the median
            # run (by p99) is the figure, all three are printed.
            scans_open = [
                openloop.run(
                    "127.0.0.1",
                    port,
                    scan_requests(tracking[i * 20_000 :], station),
                    rate=args.rate,
                    seconds=args.seconds,
                    connections=args.connections,
                )
                for i in range(3)
            ]
            looks_open = [
                openloop.run(
                    "127.0.0.1",
                    port,
                    look_up_requests(order_nos, viewer),
                    rate=args.rate,
                    seconds=args.seconds,
                    connections=args.connections,
                )
                for _ in range(3)
            ]
            closed = {
                "POST /scans": wrk(SCANS_LUA, {"codes": str(codes_file), "token": station},
                                   base, args.seconds, args.connections),
                "GET /orders/{no}": wrk(ORDERS_LUA, {"codes": str(orders_file),
                                        "token": viewer}, base, args.seconds,
                                        args.connections),
                "GET /healthz (baseline)": wrk(HEALTHZ_LUA, {}, base, args.seconds,
                                               args.connections),
            }  # fmt: skip
            photos = photo_times(base, station, args.photos)
        finally:
            server.terminate()
            server.wait(timeout=30)
            if args.pg:
                context.__exit__(None, None, None)
    backend = "PostgreSQL" if args.pg else "SQLite"
    print(f"\n{backend}, {args.workers} worker(s), {args.connections} connections, "
          f"{args.seconds:.0f} s per run")  # fmt: skip
    print(f"open loop at {args.rate:.0f} requests/s (latency from when each request was due):")
    for name, loads in (("POST /scans", scans_open), ("GET /orders/{no}", looks_open)):
        runs = sorted((load.summary() for load in loads), key=lambda f: f["p99_ms"])
        f = runs[1]
        spread = ", ".join(str(r["p99_ms"]) for r in runs)
        print(f"  {name:<18} answered {f['achieved']:7.1f}/s  p50 {f['p50_ms']} ms  "
              f"p90 {f['p90_ms']} ms  p99 {f['p99_ms']} ms  max {f['max_ms']} ms  "
              f"non-2xx {f['non_2xx']}  errors {f['errors']}  "
              f"(p99 of the three runs: {spread} ms)")  # fmt: skip
    print("closed loop (wrk), most requests a second:")
    baseline = closed["GET /healthz (baseline)"].get("rps", 0)
    for name, figures in closed.items():
        rps = figures.get("rps", 0)
        print(f"  {name:<24} {rps:8.0f} req/s ({rps / baseline:4.2f} x baseline)  "
              f"p50 {figures.get('50%')}  p99 {figures.get('99%')}  "
              f"non-2xx {figures.get('non_2xx', 0)}")  # fmt: skip
    print(f"POST /scans/photo 1080p: median {statistics.median(photos):.0f} ms, "
          f"max {max(photos):.0f} ms (n={len(photos)}, one at a time)")  # fmt: skip


def scan_requests(tracking: list[str], token: str) -> Callable[[int], bytes]:
    """POST /scans of the k-th registered waybill."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def request(k: int) -> bytes:
        body = json.dumps({"code": tracking[k], "operator": "bench"}).encode()
        return openloop.http_request("POST", "/scans", headers, body)

    return request


def look_up_requests(order_nos: list[str], token: str) -> Callable[[int], bytes]:
    """GET /orders/{no} of a random order."""
    headers = {"Authorization": f"Bearer {token}"}
    return lambda k: openloop.http_request("GET", f"/orders/{order_nos[k]}", headers)


def sample_codes(book: Path) -> tuple[list[str], list[str]]:
    """Registered waybills (each scanned once at most in a run) and order numbers to look up."""
    rng = random.Random(5)
    tracking: list[str] = []
    orders: list[str] = []
    for row in common.read_csv_rows(book):
        orders.append(row["order_no"])
        tracking += [t for t in row.get("domestic_tracking_no", "").split(";") if t]
    rng.shuffle(tracking)
    rng.shuffle(orders)
    return tracking[:200_000], orders[:200_000]


if __name__ == "__main__":
    main()
