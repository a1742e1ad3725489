"""Fast text analysis for the sentence-pooling model: tokens, lemmas, compounds, cues.

One pass of compiled regular expressions over a text gives its word tokens (with
character offsets), its sentences, the lower-cased lemma of every word (spaCy's Danish
lookup table through a per-word cache), the parts of Danish compounds
("borgerbudgetmidler" -> borger + budget + midler) and the codebook's cue matches, with
negation and demotion decided per sentence as the rule labeller does. No spaCy Doc is
created: everything is cached per distinct word, so the cost per segment is a few
dictionary look-ups per token. Training and classification use this same code, so the
features a model sees at run time are the ones it was trained on. (Classification of a
batch goes through ``pipeline.models.ladder_fast``, which uses these per-word functions and
is tested to give the same features.)
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from dataclasses import dataclass

from pipeline.codebook import Codebook, Cue, wildcard_match

WORD = re.compile(r"§|\d+(?:[.,:/-]\d+)*|[^\W\d_]+(?:[-'’][^\W\d_]+)*")
# a sentence ends at . ! ? (or a line break) followed by white space and a capital, digit,
# quote or dash; common abbreviations do not end sentences. Written to start with the one
# character class both branches start with (the look-behinds then tell the branches apart):
# the regex engine then jumps between those characters instead of trying every position
# (a third of the time of ``(?=[.!?\n])(?:[.!?]+...|\n\s*)``, the same matches; tests compare them)
BOUNDARY = re.compile(r"[.!?\n](?:(?<=[.!?])[.!?]*[\"'»”)]*\s+(?=[A-ZÆØÅ0-9\"'«»“–-])|(?<=\n)\s*)")
ABBREVIATIONS = frozenset(
    "jf bl.a f.eks stk nr ca kr mio mia pkt evt inkl ekskl dvs mht ift osv m.fl hhv vedr tlf kl "
    "p.t. s pga iht sml jvf t.o.m f.o.m mv etc".replace(".", "").split()
)
MIN_PART = 3
LINKERS = ("", "s", "e")  # tried in this order after a known modifier (at most one letter applies)
SPLIT_DEPTH = 3  # a compound has at most SPLIT_DEPTH + 1 parts
#: Distinct words each per-word cache holds before it starts afresh (pure memoisation, so
#: only speed depends on it): bounds a worker's memory on a long-tailed corpus, where
#: novel compounds would otherwise fill the caches with words seen once.
WORD_CACHE_LIMIT = 200_000


@dataclass(frozen=True, slots=True)
class TextAnalysis:
    """Everything the model needs from one text, as plain data."""

    words: list[str]                  # lower-cased word tokens
    spans: list[tuple[int, int]]      # their character offsets
    lemmas: list[str]                 # one lemma per word
    token_sent: list[int]             # sentence index of each word
    sentences: list[tuple[int, int]]  # character spans of the sentences


class Lexicon:
    """Lemma look-up and compound splitting, both memoised per word."""

    def __init__(self) -> None:
        from pipeline.nlp import LemmaCache, danish_stop_words, lemma_forms

        self.stop = danish_stop_words() | {"kommune", "kommunen", "mere", "også", "blive", "få", "del"}
        self._lemma = LemmaCache()
        forms = lemma_forms()
        self._lemmas = {v.lower() for v in set(forms.values()) if isinstance(v, str) and len(v) >= MIN_PART}
        #: lemmas and table forms in one set: ``known`` is one look-up (compound splitting makes dozens per new word)
        self._known = set(forms)
        self._known.update(self._lemmas)
        #: the known words of MIN_PART letters or more in a trie: ``prefixes(w)`` lists those that start
        #: ``w``, in C (compound splitting tries only them as modifiers instead of every cut of ``w``)
        self._trie = _known_trie(self._known)
        self._parts: dict[str, tuple[str, ...]] = {}
        #: ``_split`` results per depth (index 1-3): rest of a compound -> its split (or None)
        self._split_memo: list[dict[str, list[str] | None]] = [{} for _ in range(SPLIT_DEPTH + 1)]

    def lemma(self, word: str) -> str:
        return self._lemma(word)

    def trim(self) -> None:
        """Start the per-word caches afresh when one has grown past WORD_CACHE_LIMIT."""
        from pipeline.nlp import LemmaCache

        if len(self._lemma._cache) > WORD_CACHE_LIMIT:
            self._lemma = LemmaCache()  # a new one, seeded again with the function words
        if len(self._parts) > WORD_CACHE_LIMIT:
            self._parts.clear()
        if sum(map(len, self._split_memo)) > WORD_CACHE_LIMIT:
            for memo in self._split_memo:
                memo.clear()

    def known(self, word: str) -> bool:
        return word in self._known

    def parts(self, word: str) -> tuple[str, ...]:
        """Parts of an unknown compound (modifiers as written, the head as a lemma).

        Only words the lemma table does not know are split: a known word is its own
        feature, and splitting known words mostly cuts inflections ("god|kendt").
        """
        found = self._parts.get(word)
        if found is None:
            found = ()
            if len(word) >= 2 * MIN_PART + 2 and word not in self._known and word.isalpha():
                split = self._split_new(word, SPLIT_DEPTH) or self._head_only(word)  # the word is new: no memo
                if split and len(split) > 1:
                    unlink = self._unlink
                    *mods, head = split
                    mods = [unlink(p) for p in mods]
                    inner: list[str] = []
                    for p in (*mods, head):  # long parts that are compounds themselves
                        if len(p) >= 9:
                            sub = self._split(p, 1)  # depth 1: [modifier, rest] or None
                            if sub and len(sub[0]) >= 4 and len(sub[1]) >= 4:
                                inner += [unlink(sub[0]), self.lemma(sub[1])]
                    found = tuple(dict.fromkeys([*mods, self.lemma(head), *inner]))
            self._parts[word] = found
        return found

    def _unlink(self, part: str) -> str:
        """Drop a linking -s/-e from a modifier ("hørings" -> "høring") when that is a word."""
        if part[-1:] in ("s", "e") and len(part) > MIN_PART + 1 and part[:-1] in self._lemmas:
            return part[:-1]
        return part

    def _head_only(self, word: str) -> list[str] | None:
        """An unknown modifier before a known head of five letters or more
        ("samskabelses|projektet")."""
        known = self._known
        for i in range(4, len(word) - 4):
            if len(word) - i >= 5 and word[i:] in known:
                return [word[:i], word[i:]]
        return None

    def _split(self, word: str, depth: int) -> list[str] | None:
        """Longest known modifier first, then a known (or splittable) rest (memoised: the rests
        of new compounds are mostly known heads seen before; results are never mutated)."""
        if depth == 0:
            return None
        memo = self._split_memo[depth]
        found = memo.get(word, memo)
        if found is memo:
            found = memo[word] = self._split_new(word, depth)
        return found

    def _split_new(self, word: str, depth: int) -> list[str] | None:
        """The first split in this order: a known modifier ``word[:i]`` (MIN_PART <= i <= len - MIN_PART)
        from longest to shortest, then no linker, a linking -s or a linking -e (only the letter
        at ``i`` can apply), then the rest known as a whole or split with one level less."""
        known = self._known
        deeper = depth > 1
        last = len(word) - MIN_PART
        for head in reversed(self._trie.prefixes(word)):  # the known modifiers, longest first
            i = len(head)
            if i > last:
                continue
            rest = word[i:]  # no linker (at least MIN_PART letters, by the test above)
            if rest in known:
                return [head, rest]
            if deeper:
                tail = self._split(rest, depth - 1)
                if tail:
                    return [head, *tail]
            # a linking -s or -e: the same two tests again, unrolled (a loop over both rests costs ~20% per new word)
            if rest[0] in "se" and len(rest) > MIN_PART:
                rest = rest[1:]
                if rest in known:
                    return [head, rest]
                if deeper:
                    tail = self._split(rest, depth - 1)
                    if tail:
                        return [head, *tail]
        return None


#: Bump when the words a trie holds are derived differently (names the cached file).
TRIE_FORMAT = "known-trie-1"


def _known_trie(known: set[str]):  # noqa: ANN201 - a marisa_trie.Trie
    """A marisa trie of the words of ``known`` (``Lexicon``'s words: derived from the lemma table
    alone, which is what names the cached copy) that can be modifiers, those of MIN_PART letters
    or more (shorter ones would only be listed and skipped).

    It is memory-mapped from samskab's cache folder (``pipeline.cache``)
    when a copy is there: building one takes a quarter of a second per process, mapping it none,
    and processes share the mapped pages. The copy is named after the lemma table file (path,
    size, time), the number of known words, TRIE_FORMAT, MIN_PART and marisa-trie's version."""
    import hashlib
    from importlib.metadata import version

    import marisa_trie

    from pipeline.cache import cache_dir, write_cached
    from pipeline.nlp import lemma_table_file

    path = None
    folder = cache_dir()
    if folder is not None:
        try:
            table = lemma_table_file()
            stat = table.stat()
            key = (f"{TRIE_FORMAT}|{MIN_PART}|{len(known)}|{table}|{stat.st_size}|{stat.st_mtime_ns}|"
                   f"{version('marisa-trie')}")
            path = folder / f"{TRIE_FORMAT}-{hashlib.sha256(key.encode()).hexdigest()[:24]}.marisa"
            if path.exists():
                trie = marisa_trie.Trie()
                trie.mmap(str(path))
                return trie
        except (OSError, ValueError, RuntimeError):
            pass
    trie = marisa_trie.Trie([w for w in known if len(w) >= MIN_PART])
    if path is not None:
        write_cached(path, lambda tmp: trie.save(str(tmp)))
    return trie


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (rule-based, Danish abbreviations)."""
    spans, start = [], 0
    for m in BOUNDARY.finditer(text):
        at = m.start()
        if text[at] == ".":
            prev = text[start:at].rsplit(None, 1)
            if prev and prev[-1].lower().replace(".", "") in ABBREVIATIONS:
                continue
        end = at + len(m.group().rstrip())
        if text[start:end].strip():
            # mostly nothing to strip: a sentence starts after the white space a boundary takes
            spans.append((start, end) if not (text[start].isspace() or text[end - 1].isspace()) else _strip(text, start, end))
        start = m.end()
    if text[start:].strip():
        spans.append(_strip(text, start, len(text)))
    return spans


def _strip(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def analyse(text: str, lexicon: Lexicon, *, reference: bool = False) -> TextAnalysis:
    """Words, offsets, lemmas and sentences of ``text``.

    The fast path lower-cases the text once and lets the regular expression find the
    words in it (the word pattern does not depend on case), reads lemmas straight from
    the lemma cache and places words in sentences by bisection; ``reference=True`` is
    the plain per-match loop it must equal (tests compare them). Texts whose length
    changes when lower-cased (a few non-Danish letters) take the reference path.
    """
    lexicon.trim()
    low = text.lower()
    if reference or len(low) != len(text):
        return _analyse_reference(text, lexicon)
    sentences = sentence_spans(text) or [(0, len(text))]
    words = WORD.findall(low)
    spans = [m.span() for m in WORD.finditer(low)]
    cache = lexicon._lemma._cache
    lemma = lexicon.lemma
    lemmas = [cache.get(w) or lemma(w) for w in words]
    if len(sentences) == 1:
        token_sent = [0] * len(words)
    else:
        ends = [e for _, e in sentences]
        last = len(sentences) - 1
        token_sent = [min(bisect_right(ends, a), last) for a, _ in spans]
    return TextAnalysis(words, spans, lemmas, token_sent, sentences)


def _analyse_reference(text: str, lexicon: Lexicon) -> TextAnalysis:
    sentences = sentence_spans(text) or [(0, len(text))]
    words, spans, lemmas, token_sent = [], [], [], []
    sent, sent_end = 0, sentences[0][1]
    lemma = lexicon.lemma
    for m in WORD.finditer(text):
        a = m.start()
        while a >= sent_end and sent + 1 < len(sentences):
            sent += 1
            sent_end = sentences[sent][1]
        w = m.group().lower()
        words.append(w)
        spans.append((a, m.end()))
        lemmas.append(lemma(w))
        token_sent.append(sent)
    return TextAnalysis(words, spans, lemmas, token_sent, sentences)


# -- cues -----------------------------------------------------------------------------------
class CueMatcher:
    """The codebook's cue patterns over word lists (same pattern language as the rules).

    One-word cues are decided once per distinct word; multi-word cues are tried only
    where their first part matches.
    """

    def __init__(self, codebook: Codebook, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.window = codebook.negation.window
        entries: list[tuple[str, str, object, list[str]]] = []
        for rung in codebook.rungs:
            entries += [("rung", c.id, rung.code, self._parts(c)) for c in rung.cues]
        for actor in codebook.actors:
            entries += [("actor", c.id, actor.id, self._parts(c)) for c in actor.cues]
        entries += [("negation", c.id, None, self._parts(c)) for c in codebook.negation.cues]
        entries += [("demoting", c.id, None, self._parts(c)) for c in codebook.demoting]
        entries += [("participation", c.id, None, self._parts(c)) for c in codebook.participation]
        self.entries = entries
        self.single = [i for i, e in enumerate(entries) if len(e[3]) == 1]
        self._single_set = frozenset(self.single)
        self.multi = [i for i, e in enumerate(entries) if len(e[3]) > 1]
        # index of first parts, so that a new word is tested against a handful of cues
        self._prefix: dict[str, list[tuple[str, int]]] = {}
        self._suffix: dict[str, list[tuple[str, int]]] = {}
        self._inner: list[tuple[str, int]] = []
        self._plain: dict[str, list[int]] = {}
        self._any: list[int] = []
        for i, e in enumerate(entries):
            part = e[3][0]
            if part == "?":
                self._any.append(i)
            elif part.startswith("*") and part.endswith("*") and len(part) > 2:
                self._inner.append((part[1:-1], i))
            elif part.startswith("*"):
                self._suffix.setdefault(part[-2:], []).append((part[1:], i))
            elif part.endswith("*"):
                self._prefix.setdefault(part[:2], []).append((part[:-1], i))
            else:
                for form in {part, lexicon.lemma(part)}:
                    self._plain.setdefault(form, []).append(i)
        self._inner_any = re.compile("|".join(re.escape(p) for p, _ in self._inner)) if self._inner else None
        self._word_hits: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}

    @staticmethod
    def _parts(cue: Cue) -> list[str]:
        return [p for p in cue.pattern.lower().split() if re.search(r"[\w§*?]", p)]

    def _part_ok(self, part: str, word: str, lemma: str) -> bool:
        if part == "?":
            return True
        found = wildcard_match(part, word)
        return (word == part or lemma == part or lemma == self.lexicon.lemma(part)) if found is None else found

    def _first_hits(self, w: str, lemma: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Cues whose first part matches word ``w``: (one-word cues, multi-word cues), each sorted."""
        found = [*self._any]
        prefix = self._prefix.get(w[:2])
        if prefix:
            found += [i for p, i in prefix if w.startswith(p)]
        suffix = self._suffix.get(w[-2:])
        if suffix:
            found += [i for p, i in suffix if w.endswith(p)]
        if self._inner_any is not None and self._inner_any.search(w):  # one search rules out most words
            found += [i for p, i in self._inner if p in w]
        plain = self._plain.get(w)
        if plain:
            found += plain
        plain = self._plain.get(lemma)
        if plain:
            found += plain
        if not found:
            return (), ()
        found = sorted(set(found))
        single = self._single_set
        return tuple(i for i in found if i in single), tuple(i for i in found if i not in single)

    def matches(self, words: list[str], lemmas: list[str]) -> list[tuple[int, int]]:
        """(entry index, token position) of every cue match."""
        out = []
        hits = self._word_hits
        entries = self.entries
        for pos, w in enumerate(words):
            h = hits.get(w)
            if h is None:
                h = self._first_hits(w, lemmas[pos])
                hits[w] = h
            single, multi_first = h
            if single:
                out.extend((i, pos) for i in single)
            for i in multi_first:
                if self._rest_ok(entries[i][3], 1, words, lemmas, pos + 1):
                    out.append((i, pos))
        return out

    def _rest_ok(self, parts: list[str], k: int, words: list[str], lemmas: list[str], pos: int) -> bool:
        if k == len(parts):
            return True
        if parts[k] == "?":  # an optional one-word gap
            return self._rest_ok(parts, k + 1, words, lemmas, pos) or (
                pos < len(words) and self._rest_ok(parts, k + 1, words, lemmas, pos + 1))
        return pos < len(words) and self._part_ok(parts[k], words[pos], lemmas[pos]) and \
            self._rest_ok(parts, k + 1, words, lemmas, pos + 1)

    def cue_features(self, a: TextAnalysis) -> list[list[str]]:
        """Per sentence: cue feature names (rung cues with negation/demotion, actor cues
        with participation), as the codebook's decision rules read them."""
        per: list[list[str]] = [[] for _ in a.sentences]
        if len(self._word_hits) > WORD_CACHE_LIMIT:
            self._word_hits.clear()
        found = self.matches(a.words, a.lemmas)
        if not found:
            return per
        negations = [(a.token_sent[p], p) for i, p in found if self.entries[i][0] == "negation"]
        demoted = {a.token_sent[p] for i, p in found if self.entries[i][0] == "demoting"}
        taking_part = {a.token_sent[p] for i, p in found if self.entries[i][0] == "participation"}
        for i, p in found:
            kind, cue_id, target, _ = self.entries[i]
            s = a.token_sent[p]
            negated = any(ns == s and 0 < p - npos <= self.window for ns, npos in negations)
            if kind == "rung":
                state = "neg" if negated else ("dem" if s in demoted else "ok")
                per[s] += [f"cue:{cue_id}:{state}", f"cuerung:{target}:{state}"]
            elif kind == "actor" and not negated:
                per[s].append(f"actor:{target}:{'part' if s in taking_part else 'mention'}")
            elif kind in ("demoting", "participation"):
                per[s].append(f"{kind}")
        return per


# -- concreteness (off by default: tried, no gain on real text; see the model card) ------------------
GENERIC_WORDS = frozenset("man du dig din dit dine kan kunne bør skal skulle typisk ofte fx eksempelvis generelt "
                          "metode metoder hvis når bl.a. f.eks. altid gerne muligt mulighed vigtigt vigtig".split())
PAST_WORDS = frozenset("blev har havde var afholdt holdt gennemført nedsat besluttet vedtaget deltog mødtes "
                       "sidste sidst siden".split())
WE_WORDS = frozenset("vi os vores".split())
N_DENSE = 8


def concreteness(text: str, a: TextAnalysis) -> list[float]:
    """Dense signs of a concrete case versus generic talk (codebook rule 1).

    Concrete segments name places, dates and numbers and tell what was done; generic ones
    explain, advise and generalise ("man", "kan", "bør", "typisk").
    """
    n = len(a.words) or 1
    sent_starts = {s for s, _ in a.sentences}
    proper = sum(1 for (s, _), w in zip(a.spans, a.words, strict=True)
                 if s not in sent_starts and text[s].isupper() and w.isalpha() and not text[s:s + 2].isupper())
    digits = sum(1 for w in a.words if w[0].isdigit())
    years = sum(1 for w in a.words if len(w) == 4 and w.isdigit() and w[:2] in ("19", "20"))
    generic = sum(1 for w in a.words if w in GENERIC_WORDS)
    past = sum(1 for w in a.words if w in PAST_WORDS)
    we = sum(1 for w in a.words if w in WE_WORDS)
    return [math.log1p(n) / 5, proper / n * 10, digits / n * 10, float(years > 0), generic / n * 10, past / n * 10,
            we / n * 10, float(len(a.sentences) > 1)]
