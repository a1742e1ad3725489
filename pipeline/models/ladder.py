"""Sentence-pooling backend: the codebook's "highest rung described concretely" as a model.

Why: a long minutes item whose one decisive clause sets up a følgegruppe is outvoted by
its bureaucratic remainder when a model reads the segment as one bag of words. Here:

1. Features (``pipeline.features``) are content lemmas and their bigrams (function words
   dropped, so register does not decide), the parts of unknown compounds (so
   "borgerbudgetmidlerne" shares evidence with "borgerbudget"), and the codebook's cue
   matches per sentence, with negation, demotion and, for actors, participation.
2. Stage 1: linear models (rung: multinomial logistic regression; actors: one per actor)
   on the segment's tf-idf vector. The same models score every sentence alone.
3. Stage 2: a small logistic regression combines the segment's stage-1 probabilities
   with the *maximum* over its sentences of P(rung >= k) and the strongest clean cue, so
   one decisive sentence can lift the segment. Trained on out-of-fold stage-1 outputs,
   which also calibrates the probabilities. Actors likewise per actor.

Evidence: the sentences with the highest stage-1 score for the chosen rung, with the
features that pushed them (exact for the linear part).
"""

from __future__ import annotations

import heapq
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.features import N_DENSE, WORD_CACHE_LIMIT, CueMatcher, Lexicon, TextAnalysis, analyse, concreteness
from pipeline.models.base import N_RUNGS, Backend, BatchOutput, ProgressFn, load_trusted_skops, rounded

MODEL_FILE = "ladder.skops"
TRUSTED_TYPES = [
    "builtins.dict", "builtins.list", "builtins.tuple", "builtins.str", "builtins.int", "builtins.float",
    "numpy.dtype", "numpy.ndarray", "numpy.float64", "numpy.int64", "numpy.int32", "numpy.float32", "numpy.str_",
    "sklearn.linear_model._logistic.LogisticRegression",
]


class _Featuriser:
    """Texts -> per-sentence feature names (built once per process; caches per word)."""

    def __init__(self, codebook, config) -> None:  # noqa: ANN001
        self.config = config
        self.lexicon = Lexicon()
        self.cues = CueMatcher(codebook, self.lexicon)
        self._word_feats: dict[str, tuple[str, ...]] = {}

    def _content(self, word: str, lemma: str) -> tuple[str, ...]:
        feats = self._word_feats.get(word)
        if feats is None:
            feats = self._word_feats[word] = self._content_feats(word, lemma)
        return feats

    def _content_feats(self, word: str, lemma: str) -> tuple[str, ...]:
        """A word's content features: its lemma and compound parts; () for a function word."""
        stop = self.config.drop_function_words and (lemma in self.lexicon.stop or word in self.lexicon.stop)
        if stop or not word[0].isalpha() or len(word) < 2:
            return ()
        if self.config.compounds:
            return (f"w:{lemma}", *(f"p:{p}" for p in self.lexicon.parts(word)))
        return (f"w:{lemma}",)

    def __call__(self, text: str, *, reference: bool = False) -> tuple[TextAnalysis, list[list[str]], list[float]]:
        if len(self._word_feats) > WORD_CACHE_LIMIT:
            self._word_feats.clear()
        a = analyse(text, self.lexicon, reference=reference)
        per = self.cues.cue_features(a) if self.config.cue_features else [[] for _ in a.sentences]
        if reference:
            self._content_reference(a, per)
        elif len(a.sentences) == 1:  # one sentence (most short segments): no bookkeeping per sentence
            self._content_one(a, per[0])
        else:
            self._content_many(a, per)
        return a, per, concreteness(text, a) if self.config.concreteness else [0.0] * N_DENSE

    def _content_reference(self, a: TextAnalysis, per: list[list[str]]) -> None:
        prev: list[str | None] = [None] * len(a.sentences)
        for w, lem, s in zip(a.words, a.lemmas, a.token_sent, strict=True):
            feats = self._content(w, lem)
            if not feats:
                continue
            per[s].extend(feats)
            head = feats[0]
            if prev[s] is not None:
                per[s].append(f"b:{prev[s][2:]}_{head[2:]}")
            prev[s] = head

    def _content_one(self, a: TextAnalysis, out: list[str]) -> None:
        cached, content = self._word_feats.get, self._content
        extend, append = out.extend, out.append
        prev = None
        for w, lem in zip(a.words, a.lemmas, strict=True):
            feats = cached(w)
            if feats is None:
                feats = content(w, lem)
            if not feats:
                continue
            extend(feats)
            head = feats[0][2:]
            if prev is not None:
                append(f"b:{prev}_{head}")
            prev = head

    def _content_many(self, a: TextAnalysis, per: list[list[str]]) -> None:
        cached, content = self._word_feats.get, self._content
        prev: list[str | None] = [None] * len(a.sentences)
        for w, lem, s in zip(a.words, a.lemmas, a.token_sent, strict=True):
            feats = cached(w)
            if feats is None:
                feats = content(w, lem)
            if not feats:
                continue
            out = per[s]
            out.extend(feats)
            head = feats[0][2:]
            p = prev[s]
            if p is not None:
                out.append(f"b:{p}_{head}")
            prev[s] = head


class LadderBackend(Backend):
    name = "ladder"

    def __init__(self, config, codebook) -> None:  # noqa: ANN001
        super().__init__(config, codebook)
        self._featuriser: _Featuriser | None = None
        self.state: dict[str, Any] = {}
        self._vocab: dict[str, int] | None = None
        #: the plain per-token analysis the fast path is tested against (same outputs, slower)
        self.reference = False

    @property
    def featuriser(self) -> _Featuriser:
        if self._featuriser is None:
            self._featuriser = _Featuriser(self.codebook, self.config)
        return self._featuriser

    @property
    def fast(self):  # noqa: ANN201
        """The batch-vectorised featuriser (pipeline.models.ladder_fast), built once per loaded model."""
        found = self.__dict__.get("_fast")
        if found is None or found.terms is not self.state["terms"]:  # built for this state (fit replaces it)
            from pipeline.models.ladder_fast import FastFeaturiser

            found = self._fast = FastFeaturiser(self)
        return found

    # -- vectors --------------------------------------------------------------------
    @property
    def vocab(self) -> dict[str, int]:
        if self._vocab is None:
            self._vocab = {str(t): i for i, t in enumerate(self.state["terms"].tolist())}
        return self._vocab

    def _counts(self, units: list[list[str]]):  # noqa: ANN202
        """Raw feature counts (CSR) of feature-name lists; unknown features are dropped."""
        from scipy.sparse import csr_matrix

        vocab = self.vocab
        indptr, indices = [0], []
        for feats in units:
            found = [j for j in map(vocab.get, feats) if j is not None]
            indices.extend(found)
            indptr.append(len(indices))
        x = csr_matrix((np.ones(len(indices)), np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
                       shape=(len(units), len(self.state["idf"])))
        x.sum_duplicates()
        return x

    def _tfidf(self, counts):  # noqa: ANN001, ANN202
        """Sublinear tf x idf, rows l2-normalised (as sklearn's TfidfVectorizer)."""
        x = counts.astype(np.float64)
        x.data = (1.0 + np.log(x.data)) * self.state["idf"][x.indices]
        norms = np.sqrt(np.bincount(np.repeat(np.arange(x.shape[0]), np.diff(x.indptr)), weights=x.data ** 2,
                                    minlength=x.shape[0]))
        norms[norms == 0] = 1.0
        x.data /= np.repeat(norms, np.diff(x.indptr))
        return x

    def _matrices(self, sents: list[list[list[str]]]):  # noqa: ANN202
        """Segment and sentence tf-idf matrices, and the segment of every sentence."""
        from scipy.sparse import csr_matrix

        owner = np.array([i for i, per in enumerate(sents) for _ in per], dtype=np.int64)
        sent_counts = self._counts([s for per in sents for s in per])
        pool = csr_matrix((np.ones(len(owner)), (owner, np.arange(len(owner)))), shape=(len(sents), len(owner)))
        seg_counts = (pool @ sent_counts).tocsr()
        return self._tfidf(seg_counts), self._tfidf(sent_counts), owner

    def _analyse(self, texts: list[str]):  # noqa: ANN202
        """Analyses, segment feature lists, per-sentence feature lists, dense concreteness."""
        analyses, segs, sents, dense = [], [], [], []
        f = self.featuriser
        for t in texts:
            a, per, d = f(t, reference=self.reference)
            analyses.append(a)
            sents.append(per)
            segs.append([x for s in per for x in s])
            dense.append(d)
        return analyses, segs, sents, np.asarray(dense, dtype=np.float64).reshape(len(texts), N_DENSE)

    # -- stage 2 inputs -----------------------------------------------------------------
    @staticmethod
    def _pool(seg_rung, sent_rung, owner, n, seg_act, sent_act, cue_rung, cue_flags, dense, pool=True):  # noqa: ANN001, ANN205
        """Stage-2 design matrices from stage-1 outputs (rung and per-actor)."""
        eps = 1e-6
        cum_max = np.zeros((n, N_RUNGS - 1))
        act_max = np.full((n, seg_act.shape[1]), -10.0)
        if len(owner):
            cum = np.cumsum(sent_rung[:, ::-1], axis=1)[:, ::-1][:, 1:]  # P(rung >= k), k = 1..4
            np.maximum.at(cum_max, owner, cum)
            np.maximum.at(act_max, owner, _logit(sent_act))
        seg_cum = np.cumsum(seg_rung[:, ::-1], axis=1)[:, ::-1][:, 1:]
        if not pool:
            cum_max, act_max = seg_cum, _logit(seg_act)
        rung_x = np.hstack([np.log(seg_rung + eps), _logit(seg_cum), _logit(cum_max), cue_rung, dense])
        actor_x = [np.column_stack([_logit(seg_act[:, a]), act_max[:, a], cue_flags[:, a, :], np.log(seg_rung[:, :1] + eps), dense])
                   for a in range(seg_act.shape[1])]
        return rung_x, actor_x

    def _cue_summary(self, sents: list[list[list[str]]]) -> tuple[np.ndarray, np.ndarray]:
        """Per segment: one-hot of the highest clean cue rung (+ any negated, any demoted) and
        per actor (taking part, mentioned). The cue features are a small fixed set, found by
        one set intersection per segment instead of a string test per feature."""
        from itertools import chain

        actor_ids = self.codebook.actor_ids
        n = len(sents)
        cue_rung = np.zeros((n, N_RUNGS + 2))  # one-hot of the highest clean cue rung, any negated, any demoted
        cue_flags = np.zeros((n, len(actor_ids), 2))  # per actor: taking part, mentioned
        meaning = self._cue_meaning()
        keys = meaning.keys()
        if self.reference:
            return self._cue_summary_reference(sents)
        for i, per in enumerate(sents):
            best = 0
            for f in keys & set(chain.from_iterable(per)):
                kind, x, y = meaning[f]
                if kind == "ok":
                    best = max(best, x)
                elif kind == "rung":
                    cue_rung[i, x] = 1.0
                else:
                    cue_flags[i, x, y] = 1.0
            cue_rung[i, best] = 1.0
        return cue_rung, cue_flags

    def _cue_summary_reference(self, sents: list[list[list[str]]]) -> tuple[np.ndarray, np.ndarray]:
        actor_ids = self.codebook.actor_ids
        n = len(sents)
        cue_rung = np.zeros((n, N_RUNGS + 2))
        cue_flags = np.zeros((n, len(actor_ids), 2))
        for i, per in enumerate(sents):
            best = 0
            for s in per:
                for f in s:
                    if f.startswith("cuerung:"):
                        _, r, state = f.split(":")
                        if state == "ok":
                            best = max(best, int(r))
                        else:
                            cue_rung[i, N_RUNGS + (state == "dem")] = 1.0
                    elif f.startswith("actor:"):
                        _, a, how = f.split(":")
                        cue_flags[i, actor_ids.index(a), 0 if how == "part" else 1] = 1.0
            cue_rung[i, best] = 1.0
        return cue_rung, cue_flags

    def _cue_meaning(self) -> dict[str, tuple[str, int, int]]:
        """Cue feature name -> what it sets in ``_cue_summary`` (built once)."""
        found = self.__dict__.get("_cue_meaning_map")
        if found is None:
            found = {}
            for r in range(N_RUNGS):
                found[f"cuerung:{r}:ok"] = ("ok", r, 0)
                found[f"cuerung:{r}:neg"] = ("rung", N_RUNGS, 0)
                found[f"cuerung:{r}:dem"] = ("rung", N_RUNGS + 1, 0)
            for a, actor in enumerate(self.codebook.actor_ids):
                found[f"actor:{actor}:part"] = ("actor", a, 0)
                found[f"actor:{actor}:mention"] = ("actor", a, 1)
            self._cue_meaning_map = found
        return found

    def _stage1(self, x, xs):  # noqa: ANN001, ANN202
        s1, acts = self.state["s1"], self.state["s1_actors"]
        seg_rung = s1.predict_proba(x)
        sent_rung = s1.predict_proba(xs) if xs.shape[0] else np.zeros((0, N_RUNGS))
        seg_act = np.column_stack([m.predict_proba(x)[:, 1] for m in acts])
        sent_act = np.column_stack([m.predict_proba(xs)[:, 1] for m in acts]) if xs.shape[0] else np.zeros((0, len(acts)))
        return seg_rung, sent_rung, seg_act, sent_act

    # -- training -----------------------------------------------------------------------
    def fit(self, texts, rungs, actors, *, progress: ProgressFn | None = None) -> None:  # noqa: ANN001
        from sklearn.model_selection import StratifiedGroupKFold

        cfg = self.config
        say = progress or (lambda msg, frac: None)
        texts, rungs, actors, groups = long_items(list(texts), np.asarray(rungs), np.asarray(actors), share=cfg.augment_long,
                                                  seed=cfg.seed)
        say("analysing", 0.05)
        _, segs, sents, dense = self._analyse(list(texts))
        say("vocabulary", 0.15)
        df: dict[str, int] = {}
        for feats in segs:
            for f in set(feats):
                df[f] = df.get(f, 0) + 1
        terms = sorted(f for f, c in df.items() if c >= cfg.min_df)
        n = len(segs)
        idf = np.array([np.log((1 + n) / (1 + df[t])) + 1.0 for t in terms])
        self.state = {"terms": np.array(terms, dtype=str), "idf": idf}
        self._vocab = None
        x, xs, owner = self._matrices(sents)
        cue_rung, cue_flags = self._cue_summary(sents)

        say("stage 1, out of fold", 0.3)
        oof = {"seg_rung": np.zeros((n, N_RUNGS)), "sent_rung": np.zeros((xs.shape[0], N_RUNGS)),
               "seg_act": np.zeros((n, actors.shape[1])), "sent_act": np.zeros((xs.shape[0], actors.shape[1]))}
        folds = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=cfg.seed)
        for train_idx, test_idx in folds.split(np.zeros(n), rungs, groups):
            self.state.update(self._fit_stage1(x[train_idx], rungs[train_idx], actors[train_idx]))
            sent_mask = np.isin(owner, test_idx)
            outs = self._stage1(x[test_idx], xs[sent_mask])
            oof["seg_rung"][test_idx], oof["sent_rung"][sent_mask], oof["seg_act"][test_idx], oof["sent_act"][sent_mask] = outs
        say("stage 2", 0.7)
        rung_x, actor_x = self._pool(oof["seg_rung"], oof["sent_rung"], owner, n, oof["seg_act"], oof["sent_act"], cue_rung, cue_flags, dense,
                                     self.config.pool_sentences)
        s2 = _lr(1.0, cfg.seed, balanced=True).fit(rung_x, rungs)
        s2_actors = [_lr(1.0, cfg.seed, balanced=False).fit(actor_x[a], actors[:, a]) for a in range(actors.shape[1])]
        say("stage 1, all data", 0.8)
        self.state.update(self._fit_stage1(x, rungs, actors))
        self.state.update({"s2": s2, "s2_actors": s2_actors})
        coef = self.state["s1"].coef_
        self.state["contrib"] = (coef - coef.mean(axis=0, keepdims=True)).astype(np.float64)
        say("done", 1.0)

    def _fit_stage1(self, x, rungs, actors) -> dict[str, Any]:  # noqa: ANN001
        cfg = self.config
        s1 = _lr(cfg.C, cfg.seed, balanced=True).fit(x, rungs)
        acts = [_lr(cfg.actor_C, cfg.seed, balanced=True).fit(x, actors[:, a]) for a in range(actors.shape[1])]
        return {"s1": s1, "s1_actors": acts}

    # -- prediction -----------------------------------------------------------------------
    def _predict_all(self, texts: list[str]):  # noqa: ANN202
        if self.reference or self.config.concreteness:  # the plain path (concreteness: per text)
            analyses, _, sents, dense = self._analyse(texts)
            x, xs, owner = self._matrices(sents)
            cue_rung, cue_flags = self._cue_summary(sents)
            sentences = [a.sentences for a in analyses]
            vocab = None
        else:
            x, xs, owner, cue_rung, cue_flags, sentences, vocab = self.fast(texts)
            dense = np.zeros((len(texts), N_DENSE))
        seg_rung, sent_rung, seg_act, sent_act = self._stage1(x, xs)
        rung_x, actor_x = self._pool(seg_rung, sent_rung, owner, len(texts), seg_act, sent_act, cue_rung, cue_flags, dense,
                                     self.config.pool_sentences)
        rung = self.state["s2"].predict_proba(rung_x)
        act = np.column_stack([m.predict_proba(actor_x[a])[:, 1] for a, m in enumerate(self.state["s2_actors"])])
        return rung, act, sentences, xs, owner, vocab

    def predict_proba(self, texts):  # noqa: ANN001
        rung, act, *_ = self._predict_all(list(texts))
        return rung, act

    def predict(self, texts, *, evidence_k: int = 3) -> BatchOutput:  # noqa: ANN001
        texts = list(texts)
        rung, act, sentences, xs, owner, vocab = self._predict_all(texts)
        if not evidence_k:
            return BatchOutput(rung, act, [[] for _ in texts], vocab)
        if self.reference:
            return BatchOutput(rung, act, self._evidence(texts, sentences, rung.argmax(1), xs, owner, evidence_k))
        from pipeline.models.ladder_evidence import evidence

        return BatchOutput(rung, act, evidence(texts, sentences, rung.argmax(1), xs, owner, self.state["contrib"],
                                               self._display_terms(), evidence_k), vocab)

    def _evidence(self, texts, sentences, rungs, xs, owner, k: int) -> list[list[dict[str, Any]]]:  # noqa: ANN001
        """Top-k sentences by their own stage-1 score for the segment's rung, with terms."""
        out: list[list[dict[str, Any]]] = [[] for _ in texts]
        if not len(owner):
            return out
        contrib = self.state["contrib"]
        row_rung = rungs[owner]
        scores = np.zeros(len(owner))
        for r in np.unique(row_rung):
            mask = row_rung == r
            scores[mask] = xs[mask] @ contrib[r]
        terms = self._display_terms()
        # every feature's push towards its sentence's rung, in one product (sliced per sentence below)
        nnz_rung = np.repeat(row_rung, np.diff(xs.indptr))
        pushes = (xs.data * contrib[nnz_rung, xs.indices]).tolist()
        indices, indptr, score_list = xs.indices.tolist(), xs.indptr.tolist(), scores.tolist()
        start = 0
        for i, spans in enumerate(sentences):
            m = len(spans)
            rows = range(start, start + m)
            start += m
            r = int(rungs[i])
            for j in heapq.nlargest(k, rows, key=score_list.__getitem__):
                lo, hi = indptr[j], indptr[j + 1]
                if lo == hi:
                    continue
                top = [t for t in heapq.nlargest(5, range(lo, hi), key=pushes.__getitem__) if pushes[t] > 0]
                s, e = spans[j - (start - m)]
                out[i].append({"sentence": texts[i][s:e], "score": rounded([score_list[j]], 4)[0], "start": s, "end": e, "rung": r,
                               "terms": [[terms[indices[t]], v] for t, v in zip(top, rounded([pushes[t] for t in top], 4), strict=True)]})
        return out

    def _display_terms(self) -> list[str]:
        """Feature index -> readable term (built once per loaded model)."""
        found = self.__dict__.get("_display_list")
        if found is None:
            found = self._display_list = [_display(t) for t in self.state["terms"].tolist()]
        return found

    def top_terms(self, rung: int, n: int = 20) -> list[tuple[str, float]]:
        contrib = self.state["contrib"][rung]
        order = np.argsort(-contrib)[:n]
        return [(_display(str(self.state["terms"][i])), float(contrib[i])) for i in order]

    # -- persistence -----------------------------------------------------------------------
    def save(self, directory: Path) -> list[str]:
        import skops.io as sio

        sio.dump(self.state, Path(directory) / MODEL_FILE)
        return [MODEL_FILE]

    @classmethod
    def load(cls, directory, config, codebook):  # noqa: ANN001
        from pipeline.models import read_manifest, state_cache

        backend = cls(config, codebook)
        digest = str(read_manifest(Path(directory)).get("files", {}).get(MODEL_FILE, ""))  # verified by load_model
        state = state_cache.load_cached(digest)
        if state is None:
            state = load_trusted_skops(directory, MODEL_FILE, TRUSTED_TYPES)
            state_cache.store(digest, state)
        backend.state = state
        return backend


def long_items(texts: list[str], rungs: np.ndarray, actors: np.ndarray, *, share: float, seed: int):  # noqa: ANN201
    """Add synthetic long items: a labelled segment placed among one to three rung-0 segments.

    Real minutes items hold one decisive clause among economy, case history and decisions;
    the codebook labels the highest rung described (rule 2), so the long item takes the
    segment's rung and the union of the actors. This teaches stage 2 to trust the best
    sentence. Each long item is grouped with its labelled segment so the out-of-fold
    predictions never see it in training.
    """
    import random

    n = len(texts)
    groups = np.arange(n)
    zeros = [i for i in range(n) if rungs[i] == 0]
    k = int(share * n)
    if not k or len(zeros) < 3:
        return texts, rungs, actors, groups
    rng = random.Random(seed)
    new_texts, new_rungs, new_actors, new_groups = [], [], [], []
    for _ in range(k):
        main = rng.randrange(n)
        parts = [main] + rng.sample([z for z in zeros if z != main][:5000], rng.randint(1, 3))
        rng.shuffle(parts)
        new_texts.append(" ".join(texts[i] for i in parts))
        new_rungs.append(max(rungs[i] for i in parts))
        new_actors.append(np.max([actors[i] for i in parts], axis=0))
        new_groups.append(main)
    return (texts + new_texts, np.concatenate([rungs, new_rungs]), np.vstack([actors, new_actors]),
            np.concatenate([groups, new_groups]))


def _lr(c: float, seed: int, *, balanced: bool):  # noqa: ANN202
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced" if balanced else None, max_iter=3000, random_state=seed)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _display(term: str) -> str:
    """Feature name -> what a reader sees ("b:borger_inddrage" -> "borger inddrage")."""
    kind, _, rest = term.partition(":")
    if kind == "b":
        return rest.replace("_", " ")
    if kind in ("cue", "cuerung", "actor"):
        return term
    return rest
