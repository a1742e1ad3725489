"""Default backend: TF-IDF over spaCy lemmas (+ optional character n-grams) and linear models.

Rung: class-weighted multinomial logistic regression, probabilities calibrated by
cross-validation (sigmoid), optionally blended with an ordinal (cumulative-link style)
model because rungs are ordered. Actors: one-vs-rest logistic regressions.
Evidence is exact for the linear part: each sentence's score is the sum of its word
n-grams' contributions (tf-idf weight x coefficient) to the chosen rung.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from pipeline.models.base import Backend, BatchOutput, ProgressFn, load_trusted_skops
from pipeline.nlp import Analyser, Analysis

MODEL_FILE = "tfidf.skops"

# Types the skops file may contain. Anything else in a model file is refused at load.
TRUSTED_TYPES = [
    "builtins.dict", "builtins.list", "builtins.tuple", "builtins.str", "builtins.int", "builtins.float",
    "numpy.dtype", "numpy.ndarray", "numpy.float64", "numpy.int64", "numpy.int32", "numpy.float32", "numpy.str_",
    "scipy.sparse._csr.csr_matrix", "scipy.sparse._csr.csr_array",
    "sklearn.feature_extraction.text.TfidfVectorizer", "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.calibration.CalibratedClassifierCV", "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration", "sklearn.isotonic.IsotonicRegression",
    "sklearn.multiclass.OneVsRestClassifier", "sklearn.preprocessing._label.LabelBinarizer",
    "sklearn.utils._bunch.Bunch", "collections.defaultdict", "builtins.set",
]


def affix_text(lemma_text: str, *, min_len: int = 8) -> str:
    """Prefix and suffix tokens of the long words of a lemma text.

    Danish compounds put the head last ("borger|inddragelse", "frivillig|center"), so a
    word's first and last characters carry most of what character n-grams would add,
    at a fraction of the cost.
    """
    out = []
    for w in lemma_text.split():
        if len(w) >= min_len and w.isalpha():
            out.extend((f"{w[:4]}>", f"{w[:6]}>", f"<{w[-5:]}", f"<{w[-7:]}"))
    return " ".join(out)


class TfidfBackend(Backend):
    name = "tfidf"

    def __init__(self, config, codebook) -> None:  # noqa: ANN001
        super().__init__(config, codebook)
        self._analyser: Analyser | None = None
        self.state: dict[str, Any] = {}

    # -- featurisation ------------------------------------------------------------
    @property
    def analyser(self) -> Analyser:
        if self._analyser is None:
            self._analyser = Analyser()
        return self._analyser

    def _sub_texts(self, lemma_texts: list[str]) -> list[str]:
        """Input of the sub-word vectoriser: the lemma text (char n-grams) or affix tokens."""
        if self.config.char_mode == "affix":
            return [affix_text(t) for t in lemma_texts]
        return lemma_texts

    def _features(self, lemma_texts: list[str]):
        from scipy.sparse import hstack

        word = self.state["word"].transform(lemma_texts)
        if self.state.get("char") is None:
            return word
        return hstack([word, self.state["char"].transform(self._sub_texts(lemma_texts))], format="csr")

    # -- training -----------------------------------------------------------------
    def fit(self, texts, rungs, actors, *, progress: ProgressFn | None = None) -> None:  # noqa: ANN001
        from scipy.sparse import hstack
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier

        cfg = self.config
        say = progress or (lambda msg, frac: None)
        say("lemmatising", 0.05)
        lemma_texts = self.analyser.lemma_texts(texts)
        say("vectorising", 0.2)
        word = TfidfVectorizer(token_pattern=r"\S+", lowercase=False, ngram_range=tuple(cfg.word_ngrams),
                               min_df=cfg.min_df, sublinear_tf=True, max_features=cfg.max_features, dtype=np.float32)
        xw = word.fit_transform(lemma_texts)
        char = None
        x = xw
        if cfg.use_char and cfg.char_mode == "affix":
            # prefixes/suffixes of long words: the parts of Danish compounds, ~5x cheaper than char n-grams
            char = TfidfVectorizer(token_pattern=r"\S+", lowercase=False, min_df=cfg.min_df, sublinear_tf=True,
                                   max_features=cfg.max_features, dtype=np.float32)
            x = hstack([xw, char.fit_transform(self._sub_texts(lemma_texts))], format="csr")
        elif cfg.use_char and cfg.char_ngrams[1] > 0:
            char = TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(cfg.char_ngrams), min_df=cfg.min_df,
                                   sublinear_tf=True, max_features=cfg.max_features, dtype=np.float32)
            x = hstack([xw, char.fit_transform(lemma_texts)], format="csr")
        rungs = np.asarray(rungs)
        say("rung classifier", 0.4)

        def lr(c: float) -> LogisticRegression:
            return LogisticRegression(C=c, class_weight="balanced", max_iter=3000, random_state=cfg.seed)

        if cfg.calibration == "none":
            rung_model = lr(cfg.C).fit(x, rungs)
            linear = rung_model
        else:
            rung_model = CalibratedClassifierCV(lr(cfg.C), method=cfg.calibration, cv=5, ensemble=False).fit(x, rungs)
            linear = rung_model.calibrated_classifiers_[0].estimator
        ordinal = []
        if cfg.ordinal_blend > 0:
            say("ordinal model", 0.6)
            for k in range(4):
                ordinal.append(lr(cfg.C).fit(x, (rungs > k).astype(int)))
        say("actor classifiers", 0.8)
        actor_model = OneVsRestClassifier(
            LogisticRegression(C=cfg.actor_C, class_weight="balanced", max_iter=3000, random_state=cfg.seed)
        ).fit(x, np.asarray(actors))
        for vec in (word, char):
            if vec is not None and hasattr(vec, "stop_words_"):
                del vec.stop_words_  # the pruned terms: large, and not needed to transform
        n_word = xw.shape[1]
        coef = linear.coef_[:, :n_word].astype(np.float64)
        self.state = {
            "word": word, "char": char, "rung": rung_model, "ordinal": ordinal, "actors": actor_model,
            # contribution of each word feature to each rung, relative to the mean rung
            "contrib": (coef - coef.mean(axis=0, keepdims=True)).astype(np.float32),
        }
        say("done", 1.0)

    # -- prediction ---------------------------------------------------------------
    def _proba_from_features(self, x) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
        rung = self.state["rung"].predict_proba(x)
        if self.state["ordinal"] and self.config.ordinal_blend > 0:
            gt = np.column_stack([m.predict_proba(x)[:, 1] for m in self.state["ordinal"]])
            gt = np.minimum.accumulate(gt, axis=1)  # P(y>k) must not increase with k
            cum = np.column_stack([np.ones(len(gt)), gt, np.zeros(len(gt))])
            ordinal = np.clip(cum[:, :-1] - cum[:, 1:], 0, None)
            ordinal /= ordinal.sum(1, keepdims=True)
            w = self.config.ordinal_blend
            rung = (1 - w) * rung + w * ordinal
        actors = self.state["actors"].predict_proba(x)
        return rung, actors

    def predict_proba(self, texts):  # noqa: ANN001
        x = self._features(self.analyser.lemma_texts(texts))
        return self._proba_from_features(x)

    def predict(self, texts, *, evidence_k: int = 3) -> BatchOutput:  # noqa: ANN001
        analyses = list(self.analyser.analyse(texts))
        x = self._features([a.lemma_text for a in analyses])
        rung, actors = self._proba_from_features(x)
        if not evidence_k:
            return BatchOutput(rung, actors, [[] for _ in texts])
        return BatchOutput(rung, actors, self._evidence_batch(texts, analyses, rung.argmax(1), evidence_k))

    def _evidence_batch(self, texts: list[str], analyses: list[Analysis], rungs, k: int) -> list[list[dict[str, Any]]]:  # noqa: ANN001
        """Score every sentence by its own linear score for its document's chosen rung.

        All sentences of the batch are vectorised in one call and scored with one sparse
        product per rung (sentence tf-idf x the rung's coefficients relative to the mean
        rung); only the top ``k`` per document are turned into records, with their terms.
        """
        owner: list[tuple[int, int]] = []
        sent_texts: list[str] = []
        for i, a in enumerate(analyses):
            per: list[list[str]] = [[] for _ in a.sentences]
            for lemma, sent in zip(a.lemmas, a.token_sent, strict=True):
                per[sent].append(lemma)
            for s, lemmas in enumerate(per):
                if lemmas:
                    owner.append((i, s))
                    sent_texts.append(" ".join(lemmas))
        out: list[list[dict[str, Any]]] = [[] for _ in texts]
        if not owner:
            return out
        xs = self.state["word"].transform(sent_texts)
        contrib = self.state["contrib"]
        row_rung = np.array([int(rungs[i]) for i, _ in owner])
        scores = np.zeros(len(owner), dtype=np.float64)
        for r in np.unique(row_rung):
            mask = row_rung == r
            scores[mask] = xs[mask] @ contrib[r]
        by_doc: dict[int, list[int]] = {}
        for j, (i, _) in enumerate(owner):
            by_doc.setdefault(i, []).append(j)
        terms_of = self._terms()
        for i, rows in by_doc.items():
            rung = int(rungs[i])
            for j in sorted(rows, key=lambda j: -scores[j])[:k]:
                a, b = analyses[i].sentences[owner[j][1]]
                lo, hi = xs.indptr[j], xs.indptr[j + 1]
                feats = xs.indices[lo:hi]
                values = xs.data[lo:hi] * contrib[rung][feats]
                top = np.argsort(-values)[:5]
                out[i].append({"sentence": texts[i][a:b], "score": round(float(scores[j]), 4), "start": a, "end": b,
                               "rung": rung, "terms": [[terms_of[feats[t]], round(float(values[t]), 4)] for t in top if values[t] > 0]})
        return out

    def _terms(self) -> list[str]:
        """Feature index -> word n-gram (built once per loaded model)."""
        terms = self.__dict__.get("_term_list")
        if terms is None:
            terms = self._term_list = self.state["word"].get_feature_names_out().tolist()
        return terms

    def top_terms(self, rung: int, n: int = 20) -> list[tuple[str, float]]:
        """The word n-grams that push most towards ``rung`` (for model cards)."""
        names = self.state["word"].get_feature_names_out()
        contrib = self.state["contrib"][rung]
        order = np.argsort(-contrib)[:n]
        return [(str(names[i]), float(contrib[i])) for i in order]

    # -- persistence --------------------------------------------------------------
    def save(self, directory: Path) -> list[str]:
        import skops.io as sio

        # skops writes a dict entry by entry (slow for 10^5 n-grams); store each
        # vocabulary as one array of terms ordered by feature index instead.
        vocabularies, terms = {}, {}
        for key in ("word", "char"):
            vec = self.state.get(key)
            if vec is not None:
                vocabularies[key] = vec.vocabulary_
                terms[key] = np.array(sorted(vec.vocabulary_, key=vec.vocabulary_.get), dtype=str)
                vec.vocabulary_ = {}
        try:
            sio.dump({**self.state, "vocabulary_terms": terms}, Path(directory) / MODEL_FILE)
        finally:
            for key, vocab in vocabularies.items():
                self.state[key].vocabulary_ = vocab
        return [MODEL_FILE]

    @classmethod
    def load(cls, directory, config, codebook):  # noqa: ANN001
        backend = cls(config, codebook)
        state = load_trusted_skops(directory, MODEL_FILE, TRUSTED_TYPES)
        for key, terms in state.pop("vocabulary_terms", {}).items():
            state[key].vocabulary_ = {str(t): i for i, t in enumerate(terms.tolist())}
        backend.state = state
        return backend
