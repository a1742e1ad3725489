"""Language detection: the batch path gives detect_language's answers (issue 15)."""

from __future__ import annotations

import json
import random
from pathlib import Path

from pipeline.lang import UNDETERMINED, detect_language, detect_languages

ROOT = Path(__file__).resolve().parent.parent


def _texts() -> list[str | None]:
    texts: list[str | None] = []
    for path in sorted((ROOT / "data" / "labelled").glob("*.jsonl")):
        texts += [json.loads(line).get("text") for line in path.open(encoding="utf-8") if line.strip()]
    texts += [json.loads(line)["text"] for line in (ROOT / "tests" / "data" / "lang_samples.jsonl").open(encoding="utf-8")]
    rng = random.Random(3)
    words = " ".join(t for t in texts if t).split()
    texts += [" ".join(rng.choice(words) for _ in range(rng.randint(1, 120))) for _ in range(300)]  # generated, some short
    return texts + [None, "", "kort", "12345 " * 20, "HELT I VERSALER OG MED MANGE DANSKE ORD SOM BØR GENKENDES HER",
                    "漢字かな交じり文の例です。日本語", "x" * 900]


def test_batch_detection_equals_one_by_one():
    texts = _texts()
    expected = [detect_language(t) for t in texts]
    got: list[str] = []
    for i in range(0, len(texts), 512):
        got += detect_languages(texts[i:i + 512])
    assert got == expected
    assert {"da", UNDETERMINED} <= set(got) and len(set(got)) > 3  # the check covers several outcomes


def test_empty_batch_and_nothing_to_detect():
    assert detect_languages([]) == []
    assert detect_languages([None, "", "ja"]) == [UNDETERMINED] * 3
