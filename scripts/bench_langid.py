#!/usr/bin/env python
"""Measure the language detector behind `lang` (pipeline.lang).

Reports, for pipeline.lang.detect_language and (when installed) the alternatives:
- held-out real Danish segments (/work/shared/real_dev or --real): how many are called Danish
  (or "und"), in full and cut to the first 20/30/45/60 characters;
- non-Danish samples (tests/data/lang_samples.jsonl: English, German, Swedish, Norwegian,
  Dutch, Polish, French, Spanish, Chinese, Arabic, Turkish, Ukrainian, Finnish, Icelandic):
  exact language and how many are wrongly called Danish;
- milliseconds per segment.

Usage: python scripts/bench_langid.py [--real PATH]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cut(text: str, n: int | None) -> str:
    return text if n is None or len(text) <= n else text[:n].rsplit(" ", 1)[0]


def measure(name: str, detect: Callable[[str], str], real: list[str], samples: list[dict]) -> None:
    detect("Varm op: indlæs modellen først, så tidsmålingen kun tæller selve genkendelsen.")
    for n in (None, 60, 45, 30, 20):
        t0 = time.perf_counter()
        called = [detect(_cut(t, n)) for t in real]
        ms = 1e3 * (time.perf_counter() - t0) / max(len(real), 1)
        da = sum(c == "da" for c in called)
        und = sum(c == "und" for c in called)
        foreign = [s for s in samples if s["lang"] != "da"]
        got = [detect(_cut(s["text"], n)) for s in foreign]
        exact = sum(g == s["lang"] for g, s in zip(got, foreign))
        as_da = [s["lang"] for g, s in zip(got, foreign) if g == "da"]
        print(f"{name:22s} {('full' if n is None else f'{n} chars'):9s} real Danish: da {da}/{len(real)}, und {und}, other "
              f"{len(real) - da - und} | non-Danish: exact {exact}/{len(foreign)}, called da {len(as_da)} {as_da or ''} | {ms:.2f} ms/segment")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--real", default="/work/shared/real_dev/real_dev.jsonl")
    args = ap.parse_args()
    real = [json.loads(line)["text"] for line in open(args.real, encoding="utf-8") if line.strip()]
    samples = [json.loads(line) for line in open(ROOT / "tests" / "data" / "lang_samples.jsonl", encoding="utf-8")]
    from pipeline.lang import detect_language

    measure("pipeline.lang", detect_language, real, samples)
    try:
        from lingua import LanguageDetectorBuilder
    except ImportError:
        return
    from lingua import Language as L

    det = LanguageDetectorBuilder.from_languages(
        L.DANISH, L.BOKMAL, L.NYNORSK, L.SWEDISH, L.ENGLISH, L.GERMAN, L.DUTCH, L.POLISH, L.FRENCH, L.SPANISH,
        L.CHINESE, L.ARABIC, L.TURKISH, L.UKRAINIAN, L.FINNISH, L.ICELANDIC, L.RUSSIAN).build()

    def lingua(text: str) -> str:
        lang = det.detect_language_of(text)
        code = lang.iso_code_639_1.name.lower() if lang else "und"
        return {"nb": "no", "nn": "no"}.get(code, code)

    measure("lingua (17 languages)", lingua, real, samples)


if __name__ == "__main__":
    main()
