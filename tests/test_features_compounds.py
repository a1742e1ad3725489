"""Compound splitting equals the plain search it replaced (a reference copy below).

``Lexicon.parts`` searches modifiers with one memo per depth and only the one linker the
next letter allows; ``ReferenceLexicon`` is the straightforward version it must equal, on
every word of the labelled data and on generated novel compounds (modifier + linker + head
made of words from the labelled data, as ``scripts/bench_classify.py`` makes them).
"""

import json
import random
import re
from pathlib import Path

import pytest

from pipeline.features import MIN_PART, Lexicon

ROOT = Path(__file__).resolve().parent.parent


class ReferenceLexicon:
    """The splitting of ``pipeline.features.Lexicon`` before it was made faster, unmemoised."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.known_words, self.lemmas, self.lemma = lexicon._known, lexicon._lemmas, lexicon.lemma

    def parts(self, word: str) -> tuple[str, ...]:
        if len(word) >= 2 * MIN_PART + 2 and word.isalpha() and word not in self.known_words:
            split = self._split(word, 3) or self._head_only(word)
            if split and len(split) > 1:
                split = [self._unlink(p) for p in split[:-1]] + [split[-1]]
                inner: list[str] = []
                for p in split:
                    sub = self._split(p, 1) if len(p) >= 9 else None
                    if sub and all(len(q) >= 4 for q in sub):
                        inner += [self._unlink(sub[0]), self.lemma(sub[1])]
                return tuple(dict.fromkeys([*split[:-1], self.lemma(split[-1]), *inner]))
        return ()

    def _unlink(self, part: str) -> str:
        if part[-1:] in ("s", "e") and len(part) > MIN_PART + 1 and part[:-1] in self.lemmas:
            return part[:-1]
        return part

    def _head_only(self, word: str) -> list[str] | None:
        for i in range(4, len(word) - 4):
            if len(word) - i >= 5 and word[i:] in self.known_words:
                return [word[:i], word[i:]]
        return None

    def _split(self, word: str, depth: int) -> list[str] | None:
        if depth == 0:
            return None
        for i in range(len(word) - MIN_PART, MIN_PART - 1, -1):
            head = word[:i]
            if head not in self.known_words:
                continue
            for link in ("", "s", "e"):
                if link and not word.startswith(link, i):
                    continue
                rest = word[i + len(link):]
                if len(rest) < MIN_PART:
                    continue
                if rest in self.known_words:
                    return [head, rest]
                tail = self._split(rest, depth - 1)
                if tail:
                    return [head, *tail]
        return None


def _labelled_texts() -> list[str]:
    return [json.loads(line)["text"] for split in ("train", "dev", "test")
            for line in open(ROOT / "data" / "labelled" / f"{split}.jsonl", encoding="utf-8")]


def _novel_compounds(n: int, seed: int) -> list[str]:
    stems = sorted({w for t in _labelled_texts() for w in re.findall(r"[^\W\d_]+", t.lower()) if len(w) >= 4})
    rng = random.Random(seed)
    out = []
    for _ in range(n):  # two or three words, each joined directly or with a linking -s/-e
        out.append("".join(rng.choice(stems) + rng.choice(("", "", "s", "e")) for _ in range(rng.choice((2, 2, 3))))
                   + rng.choice(stems))
    return out


@pytest.fixture(scope="module")
def lexicons() -> tuple[Lexicon, ReferenceLexicon]:
    lexicon = Lexicon()
    return lexicon, ReferenceLexicon(lexicon)


def test_split_equals_reference_on_the_labelled_words(lexicons):  # noqa: ANN001
    fast, ref = lexicons
    words = sorted({w for t in _labelled_texts() for w in re.findall(r"[^\W\d_]+", t.lower())})
    assert sum(1 for w in words if ref.parts(w)) > 100  # the data has compounds to split
    assert [fast.parts(w) for w in words] == [ref.parts(w) for w in words]


def test_split_equals_reference_on_novel_compounds(lexicons):  # noqa: ANN001
    fast, ref = lexicons
    words = _novel_compounds(5_000, seed=1)
    assert [fast.parts(w) for w in words] == [ref.parts(w) for w in words]


@pytest.mark.slow
def test_split_equals_reference_on_100k_novel_compounds():
    fast = Lexicon()
    ref = ReferenceLexicon(fast)
    words = _novel_compounds(100_000, seed=2)
    assert len(set(words)) > 95_000
    assert [fast.parts(w) for w in words] == [ref.parts(w) for w in words]


def test_known_trie_is_cached_mapped_and_rebuilt_when_damaged(tmp_path, monkeypatch):  # noqa: ANN001
    """The prefix trie is built once, saved to the cache folder and mapped from there; a damaged copy
    is rebuilt, and with caching off it is built in memory; all list the same known modifiers."""
    from pipeline.features import _known_trie

    monkeypatch.setenv("SAMSKAB_CACHE_DIR", str(tmp_path))
    known = {"ab", "borg", "borger", "borgerbudget", "budget", "midler"}
    want = ["borg", "borger", "borgerbudget"]  # "ab" is shorter than MIN_PART: never a modifier
    assert _known_trie(known).prefixes("borgerbudgetmidler") == want
    (saved,) = tmp_path.glob("known-trie-*.marisa")
    inode = saved.stat().st_ino
    assert _known_trie(known).prefixes("borgerbudgetmidler") == want
    assert saved.stat().st_ino == inode  # mapped from the saved copy, not built and saved again
    saved.write_bytes(b"damaged")
    assert _known_trie(known).prefixes("borgerbudgetmidler") == want
    assert saved.read_bytes() != b"damaged"  # rebuilt and saved again
    monkeypatch.setenv("SAMSKAB_CACHE_DIR", "")
    assert _known_trie(known).prefixes("borgerbudgetmidler") == want


def test_known_trie_is_built_in_memory_when_the_cache_folder_cannot_be_made(tmp_path, monkeypatch):  # noqa: ANN001
    from pipeline.features import Lexicon, _known_trie

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SAMSKAB_CACHE_DIR", str(blocker / "samskab"))
    assert _known_trie({"borger", "budget"}).prefixes("borgerbudget") == ["borger"]
    assert Lexicon().parts("borgerbudgetmidlerne")  # the whole lexicon loads and splits
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"]
