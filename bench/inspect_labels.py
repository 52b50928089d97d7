"""`intake inspect` on the label samples: precision and recall per defect, verdicts, time, memory.

    .venv/bin/python bench/inspect_labels.py [--repeat N] [--folder sample_images/labels]

A fresh SQLite database gets the samples' order book (`orders.csv`), then one `intake inspect
--json` process inspects every photo in manifest order (the order matters: a duplicate is only a
duplicate after its first carton). Scored against `manifest.json`:

- per defect code: precision and recall of the defects reported, and of those charged (a defect
  on evidence too weak to charge is reported for review, not charged);
- verdicts: exact, correct labels passed, `needs_review` rate, fees charged wrongly;
- time per photo (the `ms` each JSON line reports: decoding, OCR, rules, recording), by size;
  the 12-megapixel photos are inspected again `--repeat` times with `--dry-run` for a median;
- peak resident memory of the inspecting process.
"""

import argparse
import collections
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import INTAKE, REPO, machine, timed_process

FEE_FREE = {"review"}


def run(
    folder: Path, files: list[str], data_dir: Path, extra: list[str]
) -> tuple[list[dict], float]:
    env = os.environ | {"INTAKE_DATA_DIR": str(data_dir)}
    env.pop("INTAKE_DATABASE_URL", None)
    argv = [INTAKE, "inspect", "--json", "--station", "BENCH", "--operator", "bench", *extra]
    result = timed_process(argv + [str(folder / f) for f in files], env)
    if result.returncode not in (0, 2):
        sys.exit(f"intake inspect failed ({result.returncode}):\n{result.stderr}")
    return [json.loads(line) for line in result.stdout.splitlines()], result.max_rss_mb


def prepare(data_dir: Path, folder: Path) -> None:
    env = os.environ | {"INTAKE_DATA_DIR": str(data_dir)}
    env.pop("INTAKE_DATABASE_URL", None)
    for argv in (["db", "upgrade"], ["orders", "import", str(folder / "orders.csv")]):
        done = timed_process([INTAKE, *argv], env)
        if done.returncode:
            sys.exit(f"intake {' '.join(argv)} failed:\n{done.stderr}")


def score(truth: list[dict], results: list[dict]) -> dict:
    by_file = {Path(r["file"]).name: r for r in results}
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    verdicts = collections.Counter()
    wrong: list[str] = []
    for image in truth:
        got = by_file[image["file"]]
        want = set(image["defects"])
        reported = {d["code"] for d in got.get("defects", [])}
        charged = {d["code"] for d in got.get("defects", []) if d["action"] not in FEE_FREE}
        for code in want | reported:
            c = counts[code]
            c["truth"] += code in want
            c["reported"] += code in reported
            c["reported_right"] += code in reported and code in want
            c["charged"] += code in charged
            c["charged_right"] += code in charged and code in want
        verdict = got.get("verdict", "error")
        verdicts["photos"] += 1
        verdicts["exact"] += verdict == image["verdict"]
        verdicts["needs_review"] += verdict == "needs_review"
        # A wrong fee: a defect that is not there, or the wrong action (relabel for a carton
        # whose consignee is unknown, a hold for one whose consignee is known).
        wrong_action = any(
            d["action"] not in FEE_FREE and (d["action"] == "relabel") != image["consignee_known"]
            for d in got.get("defects", [])
            if d["code"] != "duplicate" or image["consignee_known"]
        )
        verdicts["wrong_fee"] += bool(charged - want) or wrong_action
        if image["verdict"] == "ok":
            verdicts["ok_truth"] += 1
            verdicts["ok_passed"] += verdict == "ok"
        if image.get("repeat_of"):
            verdicts["repeats"] += 1
            verdicts["repeats_right"] += bool(got.get("repeat"))
        if verdict != image["verdict"] or reported != want:
            wrong.append(f"  {image['file']}: truth {sorted(want)} {image['verdict']}, "
                         f"got {sorted(reported)} {verdict}")  # fmt: skip
    return {"codes": counts, "verdicts": verdicts, "wrong": wrong}


def blurred_copy(folder: Path, sigma: float) -> Path:
    """The set with every photo blurred (a shaky hand, a dirty lens): where the right answer is
    the true verdict or `needs_review`, and never a wrong fee."""
    import cv2

    out = Path(tempfile.mkdtemp(prefix="bench-inspect-blur-"))
    for name in ("manifest.json", "orders.csv"):
        shutil.copy(folder / name, out / name)
    for photo in sorted(folder.glob("*.jpg")):
        image = cv2.GaussianBlur(cv2.imread(str(photo)), (0, 0), sigma)
        cv2.imwrite(str(out / photo.name), image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    print(f"photos blurred by sigma {sigma} px into {out}")
    return out


def ratio(a: int, b: int) -> str:
    return f"{a}/{b} = {100 * a / b:.1f} %" if b else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--folder", type=Path, default=REPO / "sample_images" / "labels")
    parser.add_argument("--repeat", type=int, default=3, help="dry runs of the 12 MP photos")
    parser.add_argument(
        "--blur", type=float, default=0.0, help="blur every photo by this sigma (px) first"
    )
    args = parser.parse_args()
    folder: Path = args.folder
    if args.blur:
        folder = blurred_copy(folder, args.blur)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    truth = manifest["images"]
    print(f"# bench/inspect.py — {machine()}")
    with tempfile.TemporaryDirectory(prefix="bench-inspect-") as tmp:
        data_dir = Path(tmp)
        prepare(data_dir, folder)
        results, rss = run(folder, [i["file"] for i in truth], data_dir, [])
        big = [i["file"] for i in truth if i["width"] * i["height"] >= 10_000_000]
        again = []
        for _ in range(args.repeat):
            dry, rss_dry = run(folder, big, data_dir, ["--dry-run"])
            again += dry
            rss = max(rss, rss_dry)
    scored = score(truth, results)
    print(f"\n{len(results)} photos, peak RSS of the inspecting process {rss:.0f} MB\n")
    print(f"{'defect':22} {'truth':>5} {'recall':>18} {'precision':>18} {'charged prec.':>18}")
    for code, c in sorted(scored["codes"].items()):
        print(f"{code:22} {c['truth']:5} {ratio(c['reported_right'], c['truth']):>18} "
              f"{ratio(c['reported_right'], c['reported']):>18} "
              f"{ratio(c['charged_right'], c['charged']):>18}")  # fmt: skip
    v = scored["verdicts"]
    print(f"\nverdict exact        {ratio(v['exact'], v['photos'])}")
    print(f"correct labels passed {ratio(v['ok_passed'], v['ok_truth'])}")
    print(f"needs_review         {ratio(v['needs_review'], v['photos'])}")
    print(f"photos with a fee charged wrongly {v['wrong_fee']}")
    print(f"repeats recognised   {ratio(v['repeats_right'], v['repeats'])}")
    if scored["wrong"]:
        print("not as the manifest says:")
        print("\n".join(scored["wrong"]))
    sizes: dict[str, list[dict]] = collections.defaultdict(list)
    dims = {i["file"]: (i["width"], i["height"]) for i in truth}
    for r in results + again:
        if "ms" in r:
            w, h = dims[Path(r["file"]).name]
            sizes[f"{w}x{h}"].append(r)
    # The OCR call alone is the baseline: the whole inspection adds decoding, layout, the rules
    # and the database.
    print("\ntime per photo, ms (median; whole inspection / OCR call alone / code decoding):")
    for size, runs in sorted(sizes.items()):
        whole = statistics.median(r["ms"] for r in runs)
        ocr = statistics.median(r["timings_ms"]["text"] for r in runs)
        codes = statistics.median(r["timings_ms"]["codes"] for r in runs)
        worst = max(r["ms"] for r in runs)
        print(f"  {size:10} n={len(runs):3} whole {whole:6.0f} (max {worst:5.0f})  OCR {ocr:5.0f}  "
              f"codes {codes:4.0f}  whole/OCR {whole / ocr:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
