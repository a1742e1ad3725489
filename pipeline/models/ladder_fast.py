"""Batch-vectorised featuriser for the ladder backend (issue 15).

The reference (``_Featuriser.__call__`` + ``LadderBackend._matrices`` / ``_cue_summary`` /
``_evidence``) builds feature-name strings per sentence and looks them up one by one. Here
the same features come from integer records per distinct word, gathered for a whole batch
with numpy:

* every distinct word gets, once, an id and a record: whether it is a content word, its
  lemma's id for bigrams, the model-vocabulary ids of its features (``w:`` lemma and ``p:``
  compound parts that the model knows) and whether it starts a cue match;
* a batch is split into sentences and the sentences into white-space chunks; a word never
  spans white space, so each distinct chunk gets, once, an id and a record (its word ids,
  its vocabulary-cue flags); a batch's chunk ids are one dictionary ``map`` and its word ids
  a ragged gather over the chunk records; unigram and part features are a ragged gather,
  bigrams are ``prev_lemma * K + lemma`` keys looked up with ``np.searchsorted`` in the
  sorted keys of the model's known bigrams, and the CSR matrices are built from the index
  arrays;
* cue matches come from the words' one-word cue hits (a ragged gather); multi-word cues are
  checked in Python where their first word matches (the next word against the second part,
  memoised per cue and word; the rest memoised per following words); negation,
  demotion and participation are decided per sentence with numpy, as
  ``CueMatcher.cue_features`` decides them;
* the vocabulary flag (``rules.has_vocabulary``) is read from the same chunk records;
* evidence is chosen from the same sparse products (``pipeline.models.ladder_evidence``).

Texts whose length changes when lower-cased (a few non-Danish letters) take the plain
per-text analysis, as in ``features.analyse``.

Same answers as the reference; ``tests/models/test_ladder_fast.py`` compares them.
"""

from __future__ import annotations

from itertools import repeat
from typing import Any, NamedTuple

import numpy as np

from pipeline.features import WORD, WORD_CACHE_LIMIT, _analyse_reference, sentence_spans
from pipeline.models.base import N_RUNGS

ODD = "odd"  # tags the words of a text analysed by the plain path (see __call__)
NOT_CONTENT = -2  # head id of a word that gives no content feature (function word, number, ...)
UNKNOWN_HEAD = -1  # a content word whose lemma is in no known bigram (it still breaks bigram chains)


class Batch(NamedTuple):
    """What stage 1/2 and the evidence need from a batch of texts."""

    x: Any  # segment tf-idf (CSR)
    xs: Any  # sentence tf-idf (CSR)
    owner: np.ndarray  # segment of every sentence
    cue_rung: np.ndarray
    cue_flags: np.ndarray
    sentences: list[list[tuple[int, int]]]  # character spans of each text's sentences
    vocab: list[bool]  # rules.has_vocabulary of each text, from the same chunks


class _Grow:
    """A growing 1-d numpy array (amortised appends)."""

    def __init__(self, dtype: Any, fill: int = 0) -> None:
        self.a = np.full(1024, fill, dtype=dtype)
        self.n = 0
        self.fill = fill

    def append(self, values: list[int]) -> int:
        start = self.n
        need = start + len(values)
        if need > len(self.a):
            bigger = np.full(max(need, 2 * len(self.a)), self.fill, dtype=self.a.dtype)
            bigger[:start] = self.a[:start]
            self.a = bigger
        self.a[start:need] = values
        self.n = need
        return start


class FastFeaturiser:
    """Texts -> ``Batch`` for one loaded ladder model (built once per process)."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.featuriser = backend.featuriser
        self.lexicon = self.featuriser.lexicon
        self.cues = self.featuriser.cues
        self.use_cues = bool(backend.config.cue_features)
        self.terms = backend.state["terms"]  # the state this was built for
        terms = self.terms.tolist()
        self.n_features = len(terms)
        self.term_id: dict[str, int] = backend.vocab
        lemma_id: dict[str, int] = {}
        for t in terms:
            if t.startswith("w:"):
                lemma_id.setdefault(t[2:], len(lemma_id))
        pairs = []
        for j, t in enumerate(terms):
            if t.startswith("b:"):
                rest = t[2:]
                # every "_" could be the joint (lemmas may hold one): register each reading;
                # a pair (a, b) is found only if "a_b" is the term, so this is exact
                k = rest.find("_")
                while k >= 0:
                    a = lemma_id.setdefault(rest[:k], len(lemma_id))
                    b = lemma_id.setdefault(rest[k + 1:], len(lemma_id))
                    pairs.append((a, b, j))
                    k = rest.find("_", k + 1)
        self.lemma_id = lemma_id
        self.k = max(len(lemma_id), 1)
        keys = np.array([a * self.k + b for a, b, _ in pairs], dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        self.bigram_keys = keys[order]
        self.bigram_feat = np.array([j for _, _, j in pairs], dtype=np.int64)[order]
        self.meaning = backend._cue_meaning()
        self.n_actors = len(backend.codebook.actor_ids)
        self._reset()

    # -- per-word records ------------------------------------------------------------------
    def _reset(self) -> None:
        self.wid: dict[str, int] = {}
        self.head = _Grow(np.int64, NOT_CONTENT)
        self.fstart = _Grow(np.int64)
        self.flen = _Grow(np.int64)
        self.fflat = _Grow(np.int64)
        self.cue = _Grow(np.bool_, 0)
        self.multi = _Grow(np.bool_, 0)
        self.sstart = _Grow(np.int64)
        self.slen = _Grow(np.int64)
        self.sflat = _Grow(np.int64)
        self.hits: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
        self.lemmas: list[str] = []
        self.words: list[str] = []
        #: white-space separated chunk of lower-cased text -> chunk id (a word never spans white
        #: space, so a sentence's words are its chunks' words, found once per distinct chunk); per
        #: chunk id: its word ids (``cflat[cstart:cstart + clen]``), whether it holds a one-word
        #: vocabulary cue, whether one of its words can start a multi-word one, and its words as
        #: the vocabulary flagger reads them (``VocabularyFlagger.chunk``)
        self.chunk: dict[str | tuple[str, str], int] = {}
        self.cstart = _Grow(np.int64)
        self.clen = _Grow(np.int64)
        self.cflat = _Grow(np.int64)
        self.cvocab = _Grow(np.bool_, 0)
        self.cmulti = _Grow(np.bool_, 0)
        self.cwords: list[tuple[str, ...]] = []
        self.rest_memo: dict[tuple[int, bytes], bool] = {}
        #: (multi-word cue, id of the word after its first word) -> does that word match the cue's second part
        self.second_memo: dict[tuple[int, int], bool] = {}

    def _add(self, words: list[str]) -> None:
        """Records of new words (each once)."""
        lemma = self.lexicon.lemma
        content = self.featuriser._content_feats
        first_hits = self.cues._first_hits
        term_id, lemma_id = self.term_id, self.lemma_id
        heads, starts, lens, flat, cue = [], [], [], [], []
        multi, sstarts, slens, sflat = [], [], [], []
        base, sbase = self.fflat.n, self.sflat.n
        for w in dict.fromkeys(words):
            lem = lemma(w)
            feats = content(w, lem)
            if feats:
                heads.append(lemma_id.get(feats[0][2:], UNKNOWN_HEAD))
                ids = [j for j in map(term_id.get, feats) if j is not None]
            else:
                heads.append(NOT_CONTENT)
                ids = []
            starts.append(base + len(flat))
            lens.append(len(ids))
            flat += ids
            h = first_hits(w, lem) if self.use_cues else ((), ())
            cue.append(bool(h[0] or h[1]))
            multi.append(bool(h[1]))
            sstarts.append(sbase + len(sflat))
            slens.append(len(h[0]))
            sflat += h[0]
            self.hits.append(h)
            self.lemmas.append(lem)
            self.words.append(w)
            self.wid[w] = len(self.wid)
        self.head.append(heads)
        self.fstart.append(starts)
        self.flen.append(lens)
        self.fflat.append(flat)
        self.cue.append(cue)
        self.multi.append(multi)
        self.sstart.append(sstarts)
        self.slen.append(slens)
        self.sflat.append(sflat)

    def _ids(self, words: list[str]) -> np.ndarray:
        ids = list(map(self.wid.get, words))
        if None in ids:
            self._add([w for w, i in zip(words, ids, strict=True) if i is None])
            ids = list(map(self.wid.__getitem__, words))
        return np.array(ids, dtype=np.int64)

    def _chunk_ids(self, chunks: list[str | tuple[str, str]]) -> np.ndarray:
        """Chunk id of each chunk (a ``(ODD, word)`` pair is that one word), new chunks recorded."""
        get = self.chunk.get
        cids = np.fromiter(map(get, chunks, repeat(-1)), dtype=np.int64, count=len(chunks))
        missing = np.flatnonzero(cids < 0)
        if len(missing):
            self._add_chunks(list(dict.fromkeys(map(chunks.__getitem__, missing.tolist()))))
            cids[missing] = np.fromiter(map(self.chunk.__getitem__, map(chunks.__getitem__, missing.tolist())),
                                        dtype=np.int64, count=len(missing))
        return cids

    def _add_chunks(self, new: list[str | tuple[str, str]]) -> None:
        """Records of new chunks (each once): word ids, and the vocabulary flagger's view of them."""
        from pipeline.rules import vocabulary_flagger

        split = [[c[1]] if isinstance(c, tuple) else WORD.findall(c) for c in new]
        ids = self._ids([w for ws in split for w in ws]).tolist()
        flagger = vocabulary_flagger(self.backend.codebook)
        decide, multi_first = flagger.chunk, flagger.multi_first if flagger.multi else None
        base, first = self.cflat.n, len(self.chunk)
        starts, lens, hits, multi = [], [], [], []
        at = 0
        for c, ws in zip(new, split, strict=True):
            starts.append(base + at)
            lens.append(len(ws))
            at += len(ws)
            if isinstance(c, tuple):  # a word of a text on the plain path: its text asks the flagger itself
                hit, words = False, ()
            else:
                hit, words = decide(c)
            hits.append(hit)
            multi.append(multi_first is not None and any(w.startswith(multi_first) for w in words))
            self.cwords.append(words)
        self.chunk.update(zip(new, range(first, first + len(new)), strict=True))
        self.cflat.append(ids)
        self.cstart.append(starts)
        self.clen.append(lens)
        self.cvocab.append(hits)
        self.cmulti.append(multi)

    def _chunks(self, texts: list[str]):  # noqa: ANN202
        """Sentences and their white-space chunks: (chunks, chunks per sentence, sentences per text,
        chunks per text, sentence spans per text, the texts analysed by the plain path)."""
        chunks: list[str | tuple[str, str]] = []
        sent_chunks: list[int] = []
        n_sents: list[int] = []
        text_chunks: list[int] = []
        spans_all: list[list[tuple[int, int]]] = []
        odd: list[int] = []
        for i, t in enumerate(texts):
            low = t.lower()
            before = len(chunks)
            if len(low) != len(t):  # a few non-Danish letters change length: the plain path
                odd.append(i)
                a = _analyse_reference(t, self.lexicon)
                spans = a.sentences
                chunks += [(ODD, w) for w in a.words]  # each word its own "chunk", never split again
                sent_chunks += np.bincount(np.asarray(a.token_sent, dtype=np.int64), minlength=len(spans)).tolist()
            else:
                spans = sentence_spans(t) or [(0, len(t))]
                for s, e in spans:  # sentences begin and end between chunks
                    cs = low[s:e].split()
                    chunks += cs
                    sent_chunks.append(len(cs))
            spans_all.append(spans)
            n_sents.append(len(spans))
            text_chunks.append(len(chunks) - before)
        return chunks, sent_chunks, n_sents, text_chunks, spans_all, odd

    # -- a batch ------------------------------------------------------------------------------
    def __call__(self, texts: list[str]) -> Batch:
        from scipy.sparse import csr_matrix

        if max(len(self.wid), len(self.chunk), len(self.rest_memo), len(self.second_memo)) > WORD_CACHE_LIMIT:
            self._reset()
        self.lexicon.trim()
        chunks, sent_chunks, n_sents, text_chunks, spans_all, odd = self._chunks(texts)
        n, n_sent = len(texts), len(sent_chunks)
        cids = self._chunk_ids(chunks)
        lens = self.clen.a[cids]
        total = int(lens.sum())
        wids = self.cflat.a[np.repeat(self.cstart.a[cids] - (np.cumsum(lens) - lens), lens) + np.arange(total, dtype=np.int64)]
        owner = np.repeat(np.arange(n, dtype=np.int64), n_sents)
        tok_sent = np.repeat(np.repeat(np.arange(n_sent, dtype=np.int64), sent_chunks), lens)
        n_words = np.bincount(owner[tok_sent], minlength=n)

        # content words: their known features (ragged gather) and bigrams of consecutive heads
        head = self.head.a[wids]
        c = np.flatnonzero(head != NOT_CONTENT)
        c_w, c_sent, c_head = wids[c], tok_sent[c], head[c]
        lens = self.flen.a[c_w]
        total = int(lens.sum())
        ends = np.cumsum(lens)
        offs = np.arange(total, dtype=np.int64) - np.repeat(ends - lens, lens)
        rows = [np.repeat(c_sent, lens)]
        cols = [self.fflat.a[np.repeat(self.fstart.a[c_w], lens) + offs]]
        if len(c) > 1:
            same = (c_sent[1:] == c_sent[:-1]) & (c_head[1:] >= 0) & (c_head[:-1] >= 0)
            pick = np.flatnonzero(same)
            keys = c_head[pick] * self.k + c_head[pick + 1]
            if len(self.bigram_keys) and len(keys):
                pos = np.minimum(np.searchsorted(self.bigram_keys, keys), len(self.bigram_keys) - 1)
                hit = self.bigram_keys[pos] == keys
                rows.append(c_sent[pick + 1][hit])
                cols.append(self.bigram_feat[pos[hit]])

        # cue matches (with the cue summary filled in on the way)
        cue_rung = np.zeros((n, N_RUNGS + 2))
        cue_rung[:, 0] = 1.0
        cue_flags = np.zeros((n, self.n_actors, 2))
        if self.use_cues:
            cue_tok = np.flatnonzero(self.cue.a[wids])
            if len(cue_tok):
                r, cc = self._cue_features(cue_tok, wids, tok_sent, owner, n_words, cue_rung, cue_flags)
                rows.append(r)
                cols.append(cc)
        rows_a, cols_a = np.concatenate(rows), np.concatenate(cols)
        ones = np.ones(len(rows_a))
        sent_counts = csr_matrix((ones, (rows_a, cols_a)), shape=(n_sent, self.n_features))
        sent_counts.sum_duplicates()
        seg_counts = csr_matrix((ones, (owner[rows_a], cols_a)), shape=(n, self.n_features))
        seg_counts.sum_duplicates()
        tfidf = self.backend._tfidf
        vocab = self._vocab(texts, cids, text_chunks, odd)
        return Batch(tfidf(seg_counts), tfidf(sent_counts), owner, cue_rung, cue_flags, spans_all, vocab)

    def _vocab(self, texts: list[str], cids: np.ndarray, text_chunks: list[int], odd: list[int]) -> list[bool]:
        """``rules.has_vocabulary`` of each text from its white-space chunks: true when one of them holds
        a one-word cue (``VocabularyFlagger.chunk``, decided once per distinct chunk), else the
        multi-word cues over all their words, asked only where a word could start one (``multi_match``
        is false without such a word); texts of the plain path ask the flagger itself."""
        from pipeline.rules import vocabulary_flagger

        flagger = vocabulary_flagger(self.backend.codebook)
        ends = np.cumsum(np.asarray(text_chunks, dtype=np.int64))
        starts = ends - np.asarray(text_chunks, dtype=np.int64)
        hit = np.concatenate([[0], np.cumsum(self.cvocab.a[cids])])
        multi = np.concatenate([[0], np.cumsum(self.cmulti.a[cids])])
        out = ((hit[ends] - hit[starts]) > 0).tolist()
        cwords = self.cwords
        cmulti = self.cmulti.a
        for i in np.flatnonzero((hit[ends] == hit[starts]) & (multi[ends] > multi[starts])).tolist():
            # a match starts at a word that can start one: the words before the first chunk holding
            # such a word cannot, and a match only reads on to the right
            text = cids[starts[i]:ends[i]]
            first = int(np.argmax(cmulti[text]))
            out[i] = flagger.multi_match([w for c in text[first:].tolist() for w in cwords[c]])
        for i in odd:
            out[i] = flagger(texts[i])
        return out

    def _cue_features(self, cue_tok, wids, tok_sent, owner, n_words, cue_rung, cue_flags):  # noqa: ANN001, ANN202
        """``CueMatcher.cue_features`` for the batch, vectorised over the cue matches: (sentence rows,
        feature ids) of the cue features; fills the cue summary (as ``LadderBackend._cue_summary``)."""
        meta = self._cue_meta()
        cues = self.cues
        w = wids[cue_tok]
        lens = self.slen.a[w]
        total = int(lens.sum())
        offs = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
        hit_pos = [np.repeat(cue_tok, lens)]
        hit_e = [self.sflat.a[np.repeat(self.sstart.a[w], lens) + offs]]
        multi_tok = cue_tok[self.multi.a[w]]
        if len(multi_tok):  # multi-word cues: the rest of the pattern checked in Python, in the text only
            text_end = np.cumsum(n_words)
            ends = text_end[np.searchsorted(text_end, multi_tok, side="right")].tolist()
            entries, hits, lemmas, words = cues.entries, self.hits, self.lemmas, self.words
            extra_pos, extra_e = [], []
            memo = self.rest_memo  # (cue, the words that follow) -> does the rest of the cue match
            second = self.second_memo
            nexts = wids[np.minimum(multi_tok + 1, len(wids) - 1)].tolist()
            for g, hi, wid, nxt in zip(multi_tok.tolist(), ends, wids[multi_tok].tolist(), nexts, strict=True):
                for e in hits[wid][1]:
                    parts = entries[e][3]
                    if parts[1] != "?":  # the next word must match the second part (most candidates stop here)
                        if g + 1 >= hi:
                            continue
                        ok = second.get((e, nxt))
                        if ok is None:
                            ok = second[(e, nxt)] = cues._part_ok(parts[1], words[nxt], lemmas[nxt])
                        if not ok:
                            continue
                        if len(parts) == 2:
                            extra_pos.append(g)
                            extra_e.append(e)
                            continue
                    following = wids[g + 1:min(g + 1 + 2 * len(parts), hi)]
                    key = (e, following.tobytes())
                    ok = memo.get(key)
                    if ok is None:
                        ids = following.tolist()
                        ok = memo[key] = cues._rest_ok(parts, 1, [words[x] for x in ids], [lemmas[x] for x in ids], 0)
                    if ok:
                        extra_pos.append(g)
                        extra_e.append(e)
            hit_pos.append(np.asarray(extra_pos, dtype=np.int64))
            hit_e.append(np.asarray(extra_e, dtype=np.int64))
        pos, e = np.concatenate(hit_pos), np.concatenate(hit_e)
        if not len(pos):
            return pos, e
        kind, target, sent = meta["kind"][e], meta["target"][e], tok_sent[pos]
        n_sent = len(owner)
        # negated: the nearest negation before the match, in its sentence, within the window
        is_neg = kind == 2
        neg_order = np.argsort(pos[is_neg], kind="stable")
        npos, nsent = pos[is_neg][neg_order], sent[is_neg][neg_order]
        j = np.searchsorted(npos, pos, side="left") - 1
        jj = np.maximum(j, 0)
        negated = (j >= 0) & (nsent[jj] == sent) & (pos - npos[jj] <= cues.window) if len(npos) else np.zeros(len(pos), bool)
        demoted = np.zeros(n_sent, dtype=bool)
        demoted[sent[kind == 3]] = True
        taking_part = np.zeros(n_sent, dtype=bool)
        taking_part[sent[kind == 4]] = True
        seg = owner[sent]
        rows, cols = [], []
        # rung cues: state ok / neg / dem; features cue:<id>:<state> and cuerung:<rung>:<state>
        r = kind == 0
        state = np.where(negated[r], 1, np.where(demoted[sent[r]], 2, 0))
        rows += [sent[r], sent[r]]
        cols += [meta["cue_term"][e[r], state], meta["cuerung_term"][target[r], state]]
        ok = state == 0
        best = np.zeros(len(cue_rung), dtype=np.int64)
        np.maximum.at(best, seg[r][ok], target[r][ok])
        cue_rung[best > 0, 0] = 0.0
        cue_rung[np.flatnonzero(best), best[best > 0]] = 1.0
        cue_rung[seg[r][state == 1], N_RUNGS] = 1.0
        cue_rung[seg[r][state == 2], N_RUNGS + 1] = 1.0
        # actor cues not negated: taking part (a participation cue in the sentence) or mentioned
        a = (kind == 1) & ~negated
        how = np.where(taking_part[sent[a]], 0, 1)
        rows.append(sent[a])
        cols.append(meta["actor_term"][target[a], how])
        cue_flags[seg[a], target[a], how] = 1.0
        # demoting and participation cues are features themselves
        for k, name in ((3, "demoting"), (4, "participation")):
            m = kind == k
            rows.append(sent[m])
            cols.append(np.full(int(m.sum()), self.term_id.get(name, -1), dtype=np.int64))
        rows_a, cols_a = np.concatenate(rows), np.concatenate(cols)
        known = cols_a >= 0
        return rows_a[known], cols_a[known]

    def _cue_meta(self) -> dict[str, np.ndarray]:
        """Per cue entry: kind code, target (rung or actor index) and the term ids of its features."""
        found = self.__dict__.get("_meta")
        if found is not None:
            return found
        codes = {"rung": 0, "actor": 1, "negation": 2, "demoting": 3, "participation": 4}
        actor_ids = self.backend.codebook.actor_ids
        entries = self.cues.entries
        get = self.term_id.get
        states = ("ok", "neg", "dem")
        kind = np.array([codes[k] for k, *_ in entries], dtype=np.int64)
        target = np.array([t if k == "rung" else (actor_ids.index(t) if k == "actor" else 0) for k, _, t, _ in entries],
                          dtype=np.int64)
        cue_term = np.array([[get(f"cue:{cue_id}:{st}", -1) for st in states] for _, cue_id, _, _ in entries], dtype=np.int64)
        n_rung = max([t for k, _, t, _ in entries if k == "rung"] + [N_RUNGS - 1]) + 1
        cuerung_term = np.array([[get(f"cuerung:{r}:{st}", -1) for st in states] for r in range(n_rung)], dtype=np.int64)
        actor_term = np.array([[get(f"actor:{a}:{how}", -1) for how in ("part", "mention")] for a in actor_ids],
                              dtype=np.int64).reshape(len(actor_ids), 2)
        found = self._meta = {"kind": kind, "target": target, "cue_term": cue_term, "cuerung_term": cuerung_term,
                              "actor_term": actor_term}
        return found
