"""The sentence-pooling (ladder) backend by behaviour."""

import numpy as np

from pipeline.models import load_model


def test_learns_saves_and_reloads_identically(ladder_dir, labelled):  # noqa: ANN001
    model = load_model(ladder_dir)
    texts = [r["text"] for r in labelled]
    out = model.predict(texts)
    assert out.rung_proba.shape == (len(texts), 5) and out.actor_proba.shape == (len(texts), 6)
    assert np.allclose(out.rung_proba.sum(1), 1.0)
    assert (out.rung_proba.argmax(1) == np.array([r["rung"] for r in labelled])).mean() >= 0.9
    again = load_model(ladder_dir).predict(texts)
    assert np.allclose(out.rung_proba, again.rung_proba, atol=1e-12)


def test_batch_and_single_predictions_agree(ladder_dir, labelled):  # noqa: ANN001
    model = load_model(ladder_dir)
    texts = [r["text"] for r in labelled[:12]]
    batch = model.predict(texts).rung_proba
    single = np.vstack([model.predict([t]).rung_proba for t in texts])
    assert np.allclose(batch, single, atol=1e-9)


def test_one_decisive_sentence_lifts_a_long_item_and_is_the_evidence(ladder_dir):  # noqa: ANN001
    model = load_model(ladder_dir)
    filler = "Regnskabet for anlægsprojekterne blev taget til efterretning. Direktionen har omorganiseret sekretariatet. "
    decisive = "Byrådet nedsætter et § 17, stk. 4-udvalg med borgere, foreninger og virksomheder."
    row = model.predict_records([{"id": "x", "text": filler * 4 + decisive}])[0]
    assert row["rung"] == 4
    assert row["evidence"][0]["sentence"] == decisive
    text = filler * 4 + decisive
    ev = row["evidence"][0]
    assert text[ev["start"]:ev["end"]] == ev["sentence"]


def test_evidence_terms_are_readable(ladder_dir):  # noqa: ANN001
    model = load_model(ladder_dir)
    row = model.predict_records([{"id": "y", "text": "Lektiecaféen drives af frivillige sammen med skolens lærere."}])[0]
    terms = [t for ev in row["evidence"] for t, _ in ev["terms"]]
    assert terms and not any(t.startswith(("w:", "p:", "b:")) for t in terms)


def test_empty_and_punctuation_only_texts_get_a_distribution(ladder_dir):  # noqa: ANN001
    out = load_model(ladder_dir).predict(["", "...", "§"])
    assert np.allclose(out.rung_proba.sum(1), 1.0)
