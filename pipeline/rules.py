"""Rule labeller: silver labels and the baseline every model is compared with.

Patterns are generated from the cues in configs/codebook.yaml (nothing hard-coded here)
and run with spaCy's ``Matcher`` over lower-cased lemmas and token prefixes. A segment's
rung is the highest rung with a cue that is neither negated ("ikke inddraget", "uden
borgerinddragelse") nor in a sentence with a demoting cue (udbud, nabokommune, ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pipeline.codebook import Codebook, Cue, load_codebook, wildcard_match
from pipeline.nlp import Analyser, LemmaCache

RULE_VERSION = "rules-1"


def compile_cue(pattern: str, lemma: LemmaCache) -> list[dict[str, Any]]:
    """Translate one cue pattern (see codebook.yaml header) into Matcher token specs."""
    specs: list[dict[str, Any]] = []
    for part in pattern.split():
        if part == "?":
            specs.append({"OP": "?"})
        elif part.startswith("*") and part.endswith("*") and len(part) > 2:
            specs.append({"LOWER": {"REGEX": re.escape(part[1:-1].lower())}})
        elif part.startswith("*"):
            specs.append({"LOWER": {"REGEX": re.escape(part[1:].lower()) + "$"}})
        elif part.endswith("*"):
            specs.append({"LOWER": {"REGEX": "^" + re.escape(part[:-1].lower())}})
        else:
            word = part.lower()
            specs.append({"LEMMA": {"IN": sorted({word, lemma(word)})}})
    return specs


class VocabularyFlagger:
    """Fast "does this text use co-creation vocabulary?" from the rung 1-4 cues.

    Single-word cues become C-level string tests on the text's words (prefix/suffix
    tuples, one substring regex, word set); the few multi-word cues are matched over the
    word list, their first word filtering the positions. Same
    verdict as the Matcher's ``RuleResult.vocab`` on all but 1 of the 1,960 labelled
    segments (a multi-word cue across a line break), many times faster.
    """

    _WORD = re.compile(r"[^\W_][\w\-.§]*|§")

    def __init__(self, codebook: Codebook) -> None:
        prefixes, suffixes, inner, words, multi = [], [], [], set(), []
        for rung in codebook.rungs:
            for cue in rung.cues:
                parts = cue.pattern.lower().split()
                if len(parts) > 1:
                    # compare like the text's words: punctuation-only parts dropped, final dots stripped
                    multi.append([q if q in ("?", "*") else q.rstrip(".") for q in parts if re.search(r"[\w§*?]", q)])
                    continue
                p = parts[0]
                if p.startswith("*") and p.endswith("*"):
                    inner.append(p[1:-1])
                elif p.startswith("*"):
                    suffixes.append(p[1:])
                elif p.endswith("*"):
                    prefixes.append(p[:-1])
                else:
                    words.add(p)
        self.prefixes, self.suffixes, self.words = tuple(prefixes), tuple(suffixes), words
        self.inner = re.compile("|".join(re.escape(p) for p in inner)) if inner else None
        self.multi = multi
        self.multi_first = tuple(_stem(m[0]) for m in multi)
        self._word_cache: dict[str, bool] = {}

    def __call__(self, text: str) -> bool:
        lower = text.lower()
        if self.inner is not None and self.inner.search(lower):
            return True
        words = [w.rstrip(".") or w for w in self._WORD.findall(lower)]
        verdict = self._word_cache
        if len(verdict) > 200_000:  # bounded on a long-tailed corpus (pure memoisation)
            verdict.clear()
        for w in words:
            hit = verdict.get(w)
            if hit is None:
                hit = verdict[w] = self._single(w)
            if hit:
                return True
        return self._multi_match(words) if self.multi else False

    def chunk(self, chunk: str) -> tuple[bool, tuple[str, ...]]:
        """One white-space separated chunk of lower-cased text: (does it hold a one-word cue, its words).

        A word never spans white space, nor does a cue pattern part, so a text's verdict is
        ``any`` of its chunks' hits, else ``multi_match`` of their words in order: the same as
        ``__call__`` (callers that split texts anyway cache this per distinct chunk)."""
        words = tuple(w.rstrip(".") or w for w in self._WORD.findall(chunk))
        if self.inner is not None and self.inner.search(chunk):
            return True, words
        verdict = self._word_cache
        if len(verdict) > 200_000:  # bounded on a long-tailed corpus (pure memoisation)
            verdict.clear()
        hit = False
        for w in words:
            h = verdict.get(w)
            if h is None:
                h = verdict[w] = self._single(w)
            hit = hit or h
        return hit, words

    def multi_match(self, words: list[str]) -> bool:
        """Does a multi-word cue match in this word sequence?"""
        return self._multi_match(words) if self.multi else False

    def _single(self, w: str) -> bool:
        """Does one word match a one-word cue? (memoised per word: vocabularies repeat)"""
        if w.startswith(self.prefixes) or w.endswith(self.suffixes):
            return True
        # plain-word cues match lemma forms: allow up to three inflection letters
        words = self.words
        return bool(words) and (w in words or any(w[:i] in words for i in range(max(len(w) - 3, 1), len(w))))

    def _multi_match(self, words: list[str]) -> bool:
        pairs = tuple(zip(self.multi_first, self.multi, strict=True))
        for i, w in enumerate(words):
            if not w.startswith(self.multi_first):
                continue
            for first, parts in pairs:  # a pattern can match here only where its first part's stem starts the word
                if w.startswith(first) and _match_parts(parts, words, i):
                    return True
        return False


def _stem(part: str) -> str:
    """The literal start a word must have to match a cue part ('' if any word may)."""
    return "" if part == "?" or part.startswith("*") else part.rstrip("*")


def _part_ok(part: str, word: str) -> bool:
    found = wildcard_match(part, word)
    return (word == part or (word.startswith(part) and len(word) - len(part) <= 3)) if found is None else found


def _match_parts(parts: list[str], words: list[str], i: int) -> bool:
    if not parts:
        return True
    if parts[0] == "?":  # an optional one-word gap
        return _match_parts(parts[1:], words, i) or (i < len(words) and _match_parts(parts[1:], words, i + 1))
    return i < len(words) and _part_ok(parts[0], words[i]) and _match_parts(parts[1:], words, i + 1)


_FLAGGERS: dict[str, VocabularyFlagger] = {}


def has_vocabulary(texts: list[str], codebook: Codebook | None = None) -> list[bool]:
    """Does each text use co-creation vocabulary (any rung 1-4 cue), whatever its rung?"""
    flagger = vocabulary_flagger(codebook or load_codebook())
    return [flagger(t) for t in texts]


def vocabulary_flagger(codebook: Codebook) -> VocabularyFlagger:
    """The one flagger per codebook (its per-word verdicts are cached)."""
    flagger = _FLAGGERS.get(codebook.hash)
    if flagger is None:
        flagger = _FLAGGERS[codebook.hash] = VocabularyFlagger(codebook)
    return flagger


@dataclass
class RuleMatch:
    cue_id: str
    kind: str  # "rung" | "actor" | "negation" | "demoting"
    target: int | str | None
    start: int  # token offsets
    end: int
    start_char: int
    end_char: int
    sent: int
    text: str
    negated: bool = False
    demoted: bool = False


@dataclass
class RuleResult:
    rung: int
    rule_id: str
    actors: list[str]
    vocab: bool  # any co-creation cue present, whatever the verdict
    matches: list[RuleMatch] = field(default_factory=list)


class RuleLabeller:
    """Codebook cues compiled once into one spaCy Matcher."""

    def __init__(self, codebook: Codebook | None = None, analyser: Analyser | None = None) -> None:
        from spacy.matcher import Matcher

        self.codebook = codebook or load_codebook()
        self.analyser = analyser or Analyser()
        lemma = LemmaCache()
        self.matcher = Matcher(self.analyser.nlp.vocab)
        self._meta: dict[str, tuple[str, int | str | None]] = {}

        def add(cue: Cue, kind: str, target: int | str | None) -> None:
            if cue.id in self._meta:
                raise ValueError(f"duplicate cue id {cue.id!r} in codebook")
            self._meta[cue.id] = (kind, target)
            self.matcher.add(cue.id, [compile_cue(cue.pattern, lemma)])

        for rung in self.codebook.rungs:
            for cue in rung.cues:
                add(cue, "rung", rung.code)
        for actor in self.codebook.actors:
            for cue in actor.cues:
                add(cue, "actor", actor.id)
        for cue in self.codebook.negation.cues:
            add(cue, "negation", None)
        for cue in self.codebook.demoting:
            add(cue, "demoting", None)
        self.window = self.codebook.negation.window

    def label_doc(self, doc) -> RuleResult:  # noqa: ANN001
        sent_of = {}
        for i, sent in enumerate(doc.sents):
            for t in range(sent.start, sent.end):
                sent_of[t] = i
        raw = self.matcher(doc)
        matches: list[RuleMatch] = []
        for match_id, start, end in raw:
            cue_id = doc.vocab.strings[match_id]
            kind, target = self._meta[cue_id]
            span = doc[start:end]
            matches.append(RuleMatch(cue_id, kind, target, start, end, span.start_char, span.end_char,
                                     sent_of.get(start, 0), span.text))
        negations = [m for m in matches if m.kind == "negation"]
        demoted_sents = {m.sent for m in matches if m.kind == "demoting"}
        best, best_id = 0, "default_none"
        actors: set[str] = set()
        vocab = False
        for m in matches:
            if m.kind not in ("rung", "actor"):
                continue
            m.negated = any(n.sent == m.sent and 0 <= m.start - n.start <= self.window for n in negations)
            if m.kind == "actor":
                if not m.negated:
                    actors.add(str(m.target))
                continue
            vocab = True
            m.demoted = m.sent in demoted_sents
            if m.negated or m.demoted:
                continue
            if int(m.target) > best:
                best, best_id = int(m.target), m.cue_id
        matches = [m for m in matches if m.kind in ("rung", "actor")]
        return RuleResult(best, best_id, self.codebook.order_actors(actors), vocab, matches)

    def label_texts(self, texts: Iterable[str]) -> Iterator[RuleResult]:
        for doc in self.analyser.docs(texts):
            yield self.label_doc(doc)

    def label_records(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Silver labels in the classify output shape, with matched spans as evidence."""
        out = []
        for record, result in zip(records, self.label_texts(r["text"] for r in records), strict=True):
            out.append(rule_record(record, result, self.codebook))
        return out


def rule_record(record: dict[str, Any], result: RuleResult, codebook: Codebook) -> dict[str, Any]:
    proba = [0.0] * 5
    proba[result.rung] = 1.0
    evidence = [
        {"sentence": m.text, "score": 1.0, "start": m.start_char, "end": m.end_char,
         "rung": m.target if m.kind == "rung" else None, "cue": m.cue_id,
         "negated": m.negated, "demoted": m.demoted}
        for m in result.matches if m.kind == "rung"
    ]
    return {
        "id": record["id"], "rung": result.rung, "rung_label": codebook.rung_label(result.rung),
        "rung_proba": proba, "actors": result.actors, "evidence": evidence,
        "rule_id": result.rule_id, "vocab": result.vocab,
        "codebook_hash": codebook.hash, "labeller": RULE_VERSION,
    }
