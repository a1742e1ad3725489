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


def test_batch_featuriser_gives_the_reference_matrices_and_cue_summary(ladder_dir, texts):  # noqa: ANN001
    """The vectorised batch path (``LadderBackend.fast``) builds the same tf-idf matrices, sentence
    owners, cue summary and sentence spans as the plain per-text path, batch by batch."""
    backend = load_model(ladder_dir).backend
    for i in range(0, len(texts), 400):
        batch = texts[i:i + 400]
        got = backend.fast(batch)
        analyses, _, sents, _ = backend._analyse(batch)
        x, xs, owner = backend._matrices(sents)
        cue_rung, cue_flags = backend._cue_summary_reference(sents)
        assert np.array_equal(got.owner, owner)
        for a, b in ((got.x, x), (got.xs, xs)):
            assert a.shape == b.shape and np.array_equal(a.indptr, b.indptr)
            assert np.allclose(a.toarray(), b.toarray(), atol=1e-12, rtol=0)
        assert np.array_equal(got.cue_rung, cue_rung) and np.array_equal(got.cue_flags, cue_flags)
        assert got.sentences == [a.sentences for a in analyses]
    assert got.cue_rung[:, 1:].any() and got.cue_flags.any()  # cues were compared, not only empty rows


def test_batch_featuriser_caches_stay_bounded(ladder_dir, texts, monkeypatch):  # noqa: ANN001
    import pipeline.models.ladder_fast

    monkeypatch.setattr(pipeline.models.ladder_fast, "WORD_CACHE_LIMIT", 300)
    small, ref = load_model(ladder_dir).backend, load_model(ladder_dir).backend
    ref.reference = True
    batch = texts[-400:]
    for i in range(0, len(batch), 50):
        got = small.predict(batch[i:i + 50])
        want = ref.predict(batch[i:i + 50])
        assert np.allclose(got.rung_proba, want.rung_proba, atol=1e-6, rtol=0) and got.evidence == want.evidence
        fast = small.fast
        assert len(fast.wid) <= 300 + 50 * 120 and len(fast.chunk) <= 300 + 50 * 120
    assert len(small.fast.wid) < len({w for t in batch for w in t.lower().split()})  # it was reset on the way


def test_state_cache_loads_the_same_model_without_scikit_learn(ladder_dir, labelled, tmp_path, monkeypatch):  # noqa: ANN001
    from pipeline.models.state_cache import FrozenLogisticRegression

    monkeypatch.setenv("SAMSKAB_CACHE_DIR", str(tmp_path / "cache"))
    first = load_model(ladder_dir)  # reads ladder.skops and writes the cache
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    second = load_model(ladder_dir)  # reads the cache
    assert isinstance(second.backend.state["s1"], FrozenLogisticRegression)
    assert not isinstance(first.backend.state["s1"], FrozenLogisticRegression)
    sample = [r["text"] for r in labelled] + ODD
    a, b = first.predict(sample), second.predict(sample)
    assert np.array_equal(a.rung_proba, b.rung_proba) and np.array_equal(a.actor_proba, b.actor_proba)
    assert a.evidence == b.evidence
    # a damaged cache file is ignored (and the model file read again)
    for path in (tmp_path / "cache").glob("*.npz"):
        path.write_bytes(b"not a cache")
    third = load_model(ladder_dir)
    assert np.array_equal(third.predict(sample).rung_proba, a.rung_proba)
    monkeypatch.setenv("SAMSKAB_CACHE_DIR", "")  # off
    assert not isinstance(load_model(ladder_dir).backend.state["s1"], FrozenLogisticRegression)


@pytest.mark.parametrize("n_classes", [2, 5])
def test_frozen_logistic_regression_predicts_as_scikit_learn(n_classes):  # noqa: ANN001
    from scipy.sparse import random as sparse_random
    from sklearn.linear_model import LogisticRegression

    from pipeline.models.state_cache import FrozenLogisticRegression

    rng = np.random.default_rng(0)
    x = sparse_random(300, 40, density=0.2, format="csr", random_state=1)
    y = rng.integers(0, n_classes, 300)
    lr = LogisticRegression(C=3.0, max_iter=500).fit(x, y)
    frozen = FrozenLogisticRegression(dict(vars(lr)))
    for data in (x, x.toarray()):
        assert np.allclose(frozen.predict_proba(data), lr.predict_proba(data), atol=1e-12, rtol=0)
        assert np.array_equal(frozen.predict(data), lr.predict(data))


@pytest.mark.slow  # starts a process pool
def test_classify_with_forked_workers_equals_one_process(ladder_dir, texts, tmp_path):  # noqa: ANN001
    from pipeline.classify import classify

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"g{i}", "text": t}, ensure_ascii=False) + "\n"
                           for i, t in enumerate(texts[-600:])), encoding="utf-8")
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    classify(src, one, model_dir=ladder_dir, batch_size=100)
    classify(src, two, model_dir=ladder_dir, batch_size=100, workers=2)
    assert one.read_bytes() == two.read_bytes()


def test_vocabulary_flags_from_the_fast_path_equal_has_vocabulary(ladder_dir, texts):  # noqa: ANN001
    from pipeline.rules import has_vocabulary

    model = load_model(ladder_dir)
    flags = []
    for i in range(0, len(texts), 500):
        flags += model.predict(texts[i:i + 500]).vocab
    assert flags == has_vocabulary(texts, model.codebook)
    assert any(flags) and not all(flags)
    rows = model.predict_records([{"id": "a", "text": texts[0], "municipality": "Aarhus"}], passthrough=("municipality",), vocab=True)
    assert list(rows[0])[-2:] == ["municipality", "vocab"]  # after the passthrough keys, as classify writes it
    # an input field named like an output field never replaces the model's value
    clash = {key: "from the input" for key in rows[0] if key not in ("id", "municipality")}
    again = model.predict_records([{"id": "a", "text": texts[0], "municipality": "Aarhus", **clash}],
                                  passthrough=("municipality", *clash), vocab=True)
    assert again == rows


def test_batch_words_and_sentences_equal_the_analysis(ladder_dir, texts):  # noqa: ANN001
    """The batch path's words (found per white-space chunk) and their sentences are the analysis's,
    also for texts that take the plain path ("İstanbul" lower-cases to two code points and
    must stay one word there, while the same letters written in lower case split in two)."""
    f = load_model(ladder_dir).backend.fast
    sample = texts + ["i̇stanbul og İstanbul. Næste", "İzmir, i̇zmir og Åbenrå."]
    chunks, sent_chunks, n_sents, text_chunks, spans, _ = f._chunks(sample)
    cids = f._chunk_ids(chunks).tolist()
    ids = [f.cflat.a[f.cstart.a[c]:f.cstart.a[c] + f.clen.a[c]].tolist() for c in cids]  # word ids per chunk
    at = sent = 0
    for t, m, k in zip(sample, text_chunks, n_sents, strict=True):
        want = analyse(t, f.lexicon)
        words = [f.words[i] for c in ids[at:at + m] for i in c]
        per_sentence = [sum(len(c) for c in ids[a:b]) for a, b in
                        zip(np.cumsum([at, *sent_chunks[sent:sent + k]])[:-1], np.cumsum([at, *sent_chunks[sent:sent + k]])[1:])]
        assert words == want.words, t[:80]
        assert per_sentence == np.bincount(np.asarray(want.token_sent, dtype=int), minlength=k).tolist(), t[:80]
        at += m
        sent += k
    assert spans[-1] == analyse(sample[-1], f.lexicon).sentences


def test_batch_featuriser_follows_the_models_state(ladder_dir):  # noqa: ANN001
    """``fast`` is rebuilt when the state's vocabulary is replaced (a refit), never used stale."""
    backend = load_model(ladder_dir).backend
    first = backend.fast
    assert backend.fast is first
    backend.state = {**backend.state, "terms": backend.state["terms"].copy()}
    backend._vocab = None
    assert backend.fast is not first


@pytest.mark.parametrize("sizes", [[3, 0, 7, 1, 5, 12, 0, 2], [0, 0, 4], [2] * 50 + [900]])  # the last takes the lexsort
def test_top_per_group_equals_the_lexsort_cut(sizes):  # noqa: ANN001
    """Evidence picks the k best of each group (sentences of a segment, features of a sentence);
    the padded-matrix sort equals ``np.lexsort`` cut at k per group, ties in index order included."""
    from pipeline.models.ladder_evidence import _top_per_group

    rng = np.random.default_rng(len(sizes))
    grp = np.repeat(np.arange(len(sizes)), sizes)
    key = rng.integers(0, 4, len(grp)).astype(float) / 2  # many ties
    starts = np.searchsorted(grp, np.arange(len(sizes)))
    for k in (1, 3, 5, 20):
        o = np.lexsort((np.arange(len(grp)), key, grp))
        want = o[np.arange(len(o)) - starts[grp[o]] < k]
        assert np.array_equal(_top_per_group(grp, key, len(sizes), k), want)
