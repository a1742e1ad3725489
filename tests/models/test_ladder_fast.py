"""The ladder backend's fast path equals its reference path (issue 15).

The reference is the plain per-token analysis (``reference=True``); the fast path must
give the same words, lemmas, sentences and features, hence the same probabilities and
evidence, on the labelled data and on generated segments with novel compounds.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from pipeline.codebook import load_codebook
from pipeline.config import ModelConfig
from pipeline.features import analyse
from pipeline.models import load_model
from pipeline.models.ladder import _Featuriser

ROOT = Path(__file__).resolve().parents[2]
ODD = ["", "...", "§", "§ 17, stk. 4", "İstanbul og Åbenrå. Næste sætning!", "STRASSE ß ǅemal. Ⅻ punkter",
       "jf. bl.a. pkt. 3. Herefter: 2.1.2024 kl. 10.30 i Aarhus", "linje\nlinje to\n\nTre", "ÆØÅ æøå — «citat» 1,5 mio. kr."]


def _labelled_texts() -> list[str]:
    texts = []
    for path in sorted((ROOT / "data" / "labelled").glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.open(encoding="utf-8") if line.strip()]
    return texts


def _generated(n: int, texts: list[str], seed: int = 5) -> list[str]:
    """Recombined labelled words with novel compounds (so the caches meet new words)."""
    rng = random.Random(seed)
    words = " ".join(texts).split()
    stems = sorted({w.lower() for w in words if w.isalpha() and len(w) >= 4})
    out = []
    for _ in range(n):
        seg = [rng.choice(words) for _ in range(rng.randint(50, 110))]
        for _ in range(rng.randint(1, 3)):
            seg[rng.randrange(len(seg))] = rng.choice(stems) + rng.choice(["", "s", "e"]) + rng.choice(stems)
        out.append(" ".join(seg))
    return out


@pytest.fixture(scope="module")
def texts() -> list[str]:
    labelled = _labelled_texts()
    return labelled + _generated(1500, labelled) + ODD


def test_fast_analysis_and_features_equal_the_reference(texts):  # noqa: ANN001
    fast = _Featuriser(load_codebook(), ModelConfig(backend="ladder"))
    ref = _Featuriser(load_codebook(), ModelConfig(backend="ladder"))
    for t in texts:
        a_fast, per_fast, dense_fast = fast(t)
        a_ref, per_ref, dense_ref = ref(t, reference=True)
        assert a_fast == a_ref, t[:80]
        assert per_fast == per_ref, t[:80]
        assert dense_fast == dense_ref, t[:80]
    assert analyse("Kort. Tekst", fast.lexicon).token_sent == [0, 1]


def test_fast_predictions_and_evidence_equal_the_reference(ladder_dir, labelled, texts):  # noqa: ANN001
    fast, ref = load_model(ladder_dir), load_model(ladder_dir)
    ref.backend.reference = True
    sample = [r["text"] for r in labelled] + texts[::7]
    for i in range(0, len(sample), 500):
        batch = sample[i:i + 500]
        got, want = fast.predict(batch, evidence_k=3), ref.predict(batch, evidence_k=3)
        assert np.allclose(got.rung_proba, want.rung_proba, atol=1e-6, rtol=0)
        assert np.allclose(got.actor_proba, want.actor_proba, atol=1e-6, rtol=0)
        assert got.evidence == want.evidence
    assert any(ev for ev in got.evidence)  # evidence was compared, not only empty lists


def test_word_caches_stay_bounded_and_answers_do_not_change(texts, monkeypatch):  # noqa: ANN001
    import pipeline.features
    import pipeline.models.ladder

    monkeypatch.setattr(pipeline.features, "WORD_CACHE_LIMIT", 300)
    monkeypatch.setattr(pipeline.models.ladder, "WORD_CACHE_LIMIT", 300)
    small = _Featuriser(load_codebook(), ModelConfig(backend="ladder"))
    ref = _Featuriser(load_codebook(), ModelConfig(backend="ladder"))
    for t in texts[-400:]:
        assert small(t)[1:] == ref(t, reference=True)[1:], t[:80]
        assert len(small._word_feats) <= 300 + 200 and len(small.lexicon._lemma._cache) <= len(small.lexicon.stop) + 300 + 200
        assert len(small.cues._word_hits) <= 300 + 200 and len(small.lexicon._parts) <= 300 + 200
    assert small(texts[0])[1] == ref(texts[0])[1]
