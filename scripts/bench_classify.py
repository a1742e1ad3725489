#!/usr/bin/env python
"""Benchmark `samskab classify` end to end: segments/second and peak RSS.

Generates a JSONL of paragraph-length Danish segments (recombined sentences of the
labelled data, so the vocabulary is realistic and long-tailed), then runs the classify
command in a child process and reports wall time, throughput and the peak RSS of the
process tree (psutil, sampled every 0.2 s).

Usage: python scripts/bench_classify.py [--n 100000] [--workers 2] [--model models/default]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_input(path: Path, n: int, seed: int = 13) -> None:
    texts = [json.loads(line)["text"] for split in ("train", "dev", "test")
             for line in open(ROOT / "data" / "labelled" / f"{split}.jsonl", encoding="utf-8")]
    sentences = [s for t in texts for s in re.split(r"(?<=[.!?])\s+", t) if len(s.split()) > 3]
    rng = random.Random(seed)
    munis = ["Aarhus", "Odense", "Aalborg", "København", "Viborg", "Lolland", "Gladsaxe", "Vejle"]
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            k = rng.randint(3, 7)  # 60-120 words, like the paragraphs in shared/MEASURED.md
            text = " ".join(rng.choice(sentences) for _ in range(k))
            fh.write(json.dumps({"id": f"b{i}", "text": text, "municipality": munis[i % 8], "year": 2010 + i % 15}, ensure_ascii=False) + "\n")


def run(cmd: list[str]) -> tuple[float, int]:
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    ps = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.2)
    wall = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"classify failed: {proc.stderr.read().decode()[-2000:]}")
    return wall, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--model", default=None)
    ap.add_argument("--evidence", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=2048)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "segments.jsonl"
        make_input(src, args.n)
        words = sum(len(json.loads(line)["text"].split()) for line in open(src, encoding="utf-8")) / args.n
        print(f"input: {args.n} segments, {words:.0f} words on average, {src.stat().st_size / 1e6:.1f} MB")
        print(f"{'workers':>8} {'wall s':>8} {'segments/s':>11} {'peak RSS GB':>12}")
        for w in args.workers:
            out = Path(tmp) / f"out-{w}.jsonl"
            cmd = [sys.executable, "-m", "pipeline", "classify", str(src), "--out", str(out), "--workers", str(w),
                   "--batch-size", str(args.batch_size), "--evidence", str(args.evidence)]
            if args.model:
                cmd += ["--model", args.model]
            wall, peak = run(cmd)
            print(f"{w:>8} {wall:>8.1f} {args.n / wall:>11.0f} {peak / 1e9:>12.2f}")


if __name__ == "__main__":
    main()
