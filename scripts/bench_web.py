#!/usr/bin/env python
"""Benchmark the web app's bounded work per request (issue 16): the slowest texts it accepts.

Serves the app (default model) with uvicorn on a free local port and times, over real HTTP:
hostile shapes at the character cap (one long paragraph, one sentence per line, "A. A. A.",
no spaces, many tiny paragraphs up to the segment cap), three of them at once, and small
requests sent while a big one is being worked on. The target: every accepted request
answers within 5 s on a 2-core machine; small ones stay well under a second.

Usage: python scripts/bench_web.py [--model models/default]
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def post(url: str, text: str) -> tuple[int, float]:
    body = json.dumps({"text": text}).encode()
    request = urllib.request.Request(url + "/api/classify", data=body, headers={"content-type": "application/json"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as e:
        status = e.code
    return status, time.perf_counter() - start


def shapes(max_chars: int, max_segments: int) -> dict[str, str]:
    docs = [json.loads(line)["text"] for line in open(ROOT / "data" / "demo" / "documents.jsonl", encoding="utf-8")]
    demo = "\n\n".join(docs)
    fit = lambda t: (t * (1 + max_chars // len(t)))[: max_chars - 10]  # noqa: E731
    tiny = "Borgerne blev inviteret.\n\n"
    return {"demo minutes": fit(demo), "one paragraph": fit(" ".join(demo.split())), "A. A. A.": fit("A. "),
            "sentence per line": fit("Borgerne blev inviteret.\n"), "no spaces": fit("x"),
            f"{max_segments} tiny paragraphs": tiny * (max_segments - 5)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    import uvicorn

    from pipeline.web import check
    from pipeline.web.app import create_app

    app = create_app(model_dir=args.model, max_upload_mb=10)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    post(url, "Borgerne blev inviteret til dialogmøde.")  # warm up
    print(f"caps: {check.MAX_CHARS} characters, {check.MAX_SEGMENTS} segments; one big text (> {check.BIG_CHARS}) at a time")
    worst = 0.0
    for name, text in shapes(check.MAX_CHARS, check.MAX_SEGMENTS).items():
        status, seconds = post(url, text)
        worst = max(worst, seconds) if status == 200 else worst
        print(f"  {name:24s} {len(text):7d} chars  {status}  {seconds:5.2f} s")
    big = shapes(check.MAX_CHARS, check.MAX_SEGMENTS)["demo minutes"]
    with ThreadPoolExecutor(4) as pool:
        bigs = [pool.submit(post, url, big) for _ in range(3)]
        time.sleep(0.2)
        smalls = [post(url, "Borgerne blev inviteret til et dialogmøde om skolen.") for _ in range(5)]
        results = [f.result() for f in bigs]
    print("  three big at once: " + ", ".join(f"{s} in {t:.2f} s" for s, t in results))
    print("  small ones meanwhile: " + ", ".join(f"{s} in {t:.2f} s" for s, t in smalls))
    worst = max([worst] + [t for s, t in results if s == 200])
    print(f"slowest accepted request: {worst:.2f} s; slowest small one: {max(t for _, t in smalls):.2f} s")
    server.should_exit = True


if __name__ == "__main__":
    main()
