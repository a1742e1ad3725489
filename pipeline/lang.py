"""Language of a text: ISO 639-1 code, or ``"und"`` when the text is too short to tell.

Detector: py3langid (a maintained fork of langid.py: naive Bayes over byte n-grams, 97
languages, a 4 MB model shipped in the wheel, offline, ~0.15 ms per segment). Measured
with ``scripts/bench_langid.py``: all 170 real Danish segments of the held-out set are
called Danish, and every non-Danish sample in ``tests/data/lang_samples.jsonl``
(Norwegian and Swedish included) gets its own language. Below ``MIN_LETTERS`` letters
the guess is unreliable (a 20-character Danish heading is called Danish only ~70% of
the time), so such texts are ``"und"`` and count as Danish downstream.
"""

from __future__ import annotations

import functools
from typing import Any

UNDETERMINED = "und"
#: Codes counted as Danish text downstream (trends keep these rows by default).
DANISH_CODES = frozenset({"da", UNDETERMINED})
MIN_LETTERS = 30
_SAMPLE_CHARS = 2000  # the first 2,000 characters decide; longer texts only cost time


@functools.lru_cache(maxsize=1)
def _identifier() -> Any:
    from pathlib import Path

    import py3langid
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_modelpath(Path(py3langid.__file__).parent / MODEL_FILE, norm_probs=False)


def _letters(text: str) -> int:
    """Letters, where a CJK ideograph, kana or hangul syllable (a word, or most of one) counts 3."""
    return sum((3 if ord(ch) >= 0x2E80 else 1) for ch in text if ch.isalpha())


def detect_language(text: str | None) -> str:
    """ISO 639-1 code of ``text``'s language; ``"und"`` when it has fewer than MIN_LETTERS letters."""
    if not text:
        return UNDETERMINED
    sample = text[:_SAMPLE_CHARS]
    if _letters(sample) < MIN_LETTERS:
        return UNDETERMINED
    return str(_identifier().classify(sample)[0])


def detect_languages(texts: list[str | None]) -> list[str]:
    return [detect_language(t) for t in texts]


def is_danish(lang: str | None) -> bool:
    """Rows without ``lang`` (older files) count as Danish."""
    return lang is None or lang in DANISH_CODES
