"""OCR engines side by side on the label samples: field accuracy, time per photo, memory.

    .venv/bin/python bench/ocr.py [--one-core-limit N] [--limit N] [--engines ...]

Engines (each run on the whole photo, in its own subprocess, so that ru_maxrss is its own):
RapidOCR with speed settings (`Global.use_cls: False`, `Det.limit_type: max`,
`Det.limit_side_len: 960`), RapidOCR with its default settings, and Tesseract 5 (eng+chi_sim,
page segmentation 3, the default, and 11, sparse text). Each engine runs once on 2 cores over every
photo (times and accuracy) and once pinned to one core over the 1080p photos (the first
`--one-core-limit`, default all) and the phone photos (times only). Accuracy is scored against
the printed label fields of `sample_images/labels/manifest.json`.
Needs the candidates in the venv (not project dependencies):

    .venv/bin/pip install rapidocr onnxruntime pytesseract
    apt-get install -y tesseract-ocr tesseract-ocr-chi-sim
"""

import argparse
import difflib
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LABELS = REPO / "sample_images" / "labels"

RAPID_FAST = {
    "Global.use_cls": False,
    "Det.limit_type": "max",
    "Det.limit_side_len": 960,
}
ENGINES = ("rapid-fast", "rapid-default", "tess-psm3", "tess-psm11")


# --------------------------------------------------------------------------- worker side


def _make_engine(name: str, cores: int):
    """A callable image -> list of text lines."""
    if name.startswith("rapid"):
        from rapidocr import RapidOCR

        params = {
            "Global.log_level": "warning",
            "EngineConfig.onnxruntime.intra_op_num_threads": cores,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        if name == "rapid-fast":
            params |= RAPID_FAST
        engine = RapidOCR(params=params)

        def run(image) -> list[str]:
            result = engine(image)
            return list(result.txts or ())

        return run
    import pytesseract

    psm = name.removeprefix("tess-psm")

    def run(image) -> list[str]:
        text = pytesseract.image_to_string(image, lang="eng+chi_sim", config=f"--psm {psm}")
        return [line for line in text.splitlines() if line.strip()]

    return run


def worker(name: str, cores: int, files: list[str]) -> None:
    """Run one engine over `files`; print one JSON object with texts, times and peak RSS."""
    os.sched_setaffinity(0, set(range(cores)))
    os.environ["OMP_THREAD_LIMIT"] = str(cores)  # tesseract's OpenMP threads
    started = time.perf_counter()
    import cv2

    cv2.setNumThreads(cores)
    run = _make_engine(name, cores)
    init_s = time.perf_counter() - started
    out = {"engine": name, "cores": cores, "init_s": init_s, "photos": []}
    for i, file in enumerate(files):
        image = cv2.imread(str(LABELS / file))
        if name.startswith("tess"):
            image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        t0 = time.perf_counter()
        lines = run(image)
        seconds = time.perf_counter() - t0
        if i == 0:
            out["cold_start_s"] = time.perf_counter() - started
        out["photos"].append({"file": file, "s": seconds, "lines": lines})
    out["maxrss_self_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["maxrss_children_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    json.dump(out, sys.stdout, ensure_ascii=False)


# --------------------------------------------------------------------------- scoring


def fold(text: str) -> str:
    """Case and diacritics folded, whitespace collapsed ('Đặng' -> 'dang')."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


def partial_ratio(needle: str, hay: str) -> float:
    """Best difflib ratio of `needle` against any window of `hay` of about its length."""
    if not needle or not hay:
        return 0.0
    n = len(needle)
    if len(hay) <= n:
        return difflib.SequenceMatcher(None, needle, hay).ratio()
    best = 0.0
    for width in (n - 1, n, n + 1):
        for start in range(0, len(hay) - width + 1):
            r = difflib.SequenceMatcher(None, needle, hay[start : start + width]).ratio()
            best = max(best, r)
    return best


def substring_edits(needle: str, hay: str) -> int:
    """Fewest edits turning `needle` into some substring of `hay` (semi-global Levenshtein)."""
    prev = [0] * (len(hay) + 1)
    for i, a in enumerate(needle, 1):
        cur = [i] + [0] * len(hay)
        for j, b in enumerate(hay, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a != b))
        prev = cur
    return min(prev)


def postcode_found(postcode: str, lines: list[str]) -> bool:
    """The postcode as a token of some line, spaces and hyphens inside it ignored."""
    chars = [c for c in postcode.upper() if c.isalnum()]
    pattern = r"(?<![A-Z0-9])" + r"[\s-]?".join(map(re.escape, chars)) + r"(?![A-Z0-9])"
    return any(re.search(pattern, line.upper()) for line in lines)


def squash(text: str) -> str:
    return re.sub(r"[\s\-]", "", text.casefold())


def score(label: dict, lines: list[str]) -> dict:
    """Field results for one label photo (None where the field is not printed / not scored)."""
    res: dict = {}
    order = label.get("order_no_text")
    if order and label.get("order_no_readable") and not label.get("smudge"):
        digits = re.sub(r"\D", "", order["text"])
        res["order"] = any(digits in re.sub(r"\D", "", line) for line in lines)
    if label.get("postcode"):
        res["postcode"] = postcode_found(label["postcode"]["text"], lines)
    if label.get("buyer_name"):
        name = fold(label["buyer_name"]["text"])
        folded = [fold(line) for line in lines]
        res["buyer_exact"] = any(name in line for line in folded)
        res["buyer_fuzzy"] = max((partial_ratio(name, line) for line in folded), default=0) >= 0.8
    if label.get("supplier_name"):
        truth = "".join(label["supplier_name"]["text"].split())
        compact = ["".join(line.split()) for line in lines] or [""]
        edits = min(substring_edits(truth, line) for line in compact)
        res["supplier_acc"] = max(0.0, 1 - edits / len(truth))
        res["supplier_exact"] = edits == 0
    items = label.get("extras") or []
    if items:
        text = squash("".join(lines))
        res["forbidden"] = [squash(x["text"]) in text for x in items]
    return res


# --------------------------------------------------------------------------- driver


def run_worker(name: str, cores: int, files: list[str]) -> dict:
    cmd = [sys.executable, __file__, "--worker", name, "--cores", str(cores), *files]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise RuntimeError(f"{name} on {cores} core(s) failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def pct(values: list[bool]) -> str:
    if not values:
        return "–"
    return f"{100 * sum(values) / len(values):.0f} % ({sum(values)}/{len(values)})"


def ms_stats(seconds: list[float]) -> str:
    if not seconds:
        return "–"
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"{statistics.median(ms):.0f} / {p95:.0f}"


def group_of(image: dict) -> str:
    if image["file"].startswith("phone"):
        return "phone 4000×3000"
    return f"{image['width']}×{image['height']}"


def accuracy_table(name: str, images: list[dict], by_file: dict[str, list[str]]) -> None:
    print(f"\n#### {name}: field accuracy (2-core run)\n")
    print(
        "| photos | n | order no. exact | postcode exact | buyer exact (folded) | "
        "buyer fuzzy ≥ 0.8 | supplier (zh) char acc. | supplier exact | forbidden items found |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    groups: dict[str, list[dict]] = {}
    for image in images:
        groups.setdefault(group_of(image), []).append(image)
    turned = [
        i
        for i in images
        if min(i["conditions"]["rotation_deg"] % 360, -i["conditions"]["rotation_deg"] % 360) >= 25
    ]
    rows = [*sorted(groups.items()), ("turned ≥ 25°", turned), ("all", images)]
    for title, members in rows:
        scored = [score(i["label"], by_file[i["file"]]) for i in members]

        def col(key: str, scored: list[dict] = scored) -> list:
            return [s[key] for s in scored if key in s]

        acc = col("supplier_acc")
        forbidden = [f for s in scored for f in s.get("forbidden", [])]
        print(
            f"| {title} | {len(members)} | {pct(col('order'))} | {pct(col('postcode'))} | "
            f"{pct(col('buyer_exact'))} | {pct(col('buyer_fuzzy'))} | "
            f"{100 * statistics.mean(acc):.1f} % | {pct(col('supplier_exact'))} | "
            f"{pct(forbidden)} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--cores", type=int, default=2, help=argparse.SUPPRESS)
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument(
        "--one-core-limit", type=int, default=0, help="1080p photos on one core (0: all)"
    )
    parser.add_argument(
        "--limit", type=int, default=0, help="only the first N label photos (quick check)"
    )
    parser.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.cores, args.files)
        return

    manifest = json.loads((LABELS / "manifest.json").read_text(encoding="utf-8"))
    images = [i for i in manifest["images"] if i["label"]]
    if args.limit:
        images = images[: args.limit] + [
            i for i in images[args.limit :] if i["file"].startswith("phone")
        ]
    files = [i["file"] for i in images]
    hd = [i["file"] for i in images if (i["width"], i["height"]) == (1920, 1080)]
    phone = [i["file"] for i in images if i["file"].startswith("phone")]
    one_core_files = hd[: args.one_core_limit or None] + phone
    print(f"{len(images)} label photos ({len(hd)} at 1920×1080, {len(phone)} phone)")

    timing_rows = []
    for name in args.engines:
        for cores, subset in ((2, files), (1, one_core_files)):
            print(
                f"running {name} on {cores} core(s), {len(subset)} photos ...",
                file=sys.stderr,
                flush=True,
            )
            out = run_worker(name, cores, subset)
            secs = {p["file"]: p["s"] for p in out["photos"]}
            # cold start: import + engine creation + the first photo (a 1080p one)
            timing_rows.append(
                (
                    name,
                    cores,
                    ms_stats([secs[f] for f in hd if f in secs]),
                    ms_stats([secs[f] for f in phone if f in secs]),
                    len([f for f in hd if f in secs]),
                    out["init_s"],
                    out["cold_start_s"],
                    out["maxrss_self_mb"],
                    out["maxrss_children_mb"],
                )
            )
            if cores == 2:
                by_file = {p["file"]: p["lines"] for p in out["photos"]}
                accuracy_table(name, images, by_file)
                dump = REPO / "bench" / "out" / f"ocr-{name}.json"
                dump.parent.mkdir(parents=True, exist_ok=True)
                dump.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")

    print(
        "\n#### Time and memory (ms per photo, median / p95; whole photo, image already decoded)\n"
    )
    print(
        "| engine | cores | 1920×1080 | (n) | phone 4000×3000 | import + init | "
        "cold start (to 1st result) | peak RSS python | peak RSS child (tesseract) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, cores, hd_ms, ph_ms, n, init_s, cold_s, rss, child in timing_rows:
        print(
            f"| {name} | {cores} | {hd_ms} | {n} | {ph_ms} | {init_s:.2f} s | {cold_s:.2f} s | "
            f"{rss:.0f} MB | {child:.0f} MB |"
        )


if __name__ == "__main__":
    main()
