"""Fast text analysis for the ladder model: sentences, lemmas, compounds, cues."""

import json
import random
import re
from pathlib import Path

import pytest

from pipeline.codebook import load_codebook
from pipeline.features import CueMatcher, Lexicon, analyse, sentence_spans


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon()


@pytest.fixture(scope="module")
def cues(lexicon) -> CueMatcher:  # noqa: ANN001
    return CueMatcher(load_codebook(), lexicon)


def test_sentences_respect_danish_abbreviations():
    text = "Udvalget godkendte, jf. bilag 2, planen. Den sendes i høring efter § 17, stk. 4. Beslutning: Godkendt.\nBilag"
    spans = sentence_spans(text)
    got = [text[a:b] for a, b in spans]
    assert got[0] == "Udvalget godkendte, jf. bilag 2, planen."
    assert got[1] == "Den sendes i høring efter § 17, stk. 4."
    assert got[-1] == "Bilag"


#: The sentence boundary pattern before it was rewritten to start with a character class (issue 15).
REFERENCE_BOUNDARY = re.compile(r"(?=[.!?\n])(?:[.!?]+[\"'»”)]*\s+(?=[A-ZÆØÅ0-9\"'«»“–-])|\n\s*)")


def _reference_sentence_spans(text: str) -> list[tuple[int, int]]:
    """``sentence_spans`` as it was: the reference pattern and a rsplit at every boundary."""
    from pipeline.features import ABBREVIATIONS, _strip

    spans, start = [], 0
    for m in REFERENCE_BOUNDARY.finditer(text):
        prev = text[start:m.start()].rsplit(None, 1)
        if text[m.start()] == "." and prev and prev[-1].lower().replace(".", "") in ABBREVIATIONS:
            continue
        end = m.start() + len(m.group().rstrip())
        if text[start:end].strip():
            spans.append(_strip(text, start, end))
        start = m.end()
    if text[start:].strip():
        spans.append(_strip(text, start, len(text)))
    return spans


def test_sentence_spans_equal_the_reference_splitter():
    """Same boundaries (and matches) as the reference on the labelled data and on random strings
    made of the characters the pattern looks at, abbreviations and unusual white space."""
    from pipeline.features import BOUNDARY

    root = Path(__file__).resolve().parent.parent
    texts = [json.loads(line)["text"] for path in sorted((root / "data" / "labelled").glob("*.jsonl"))
             for line in path.open(encoding="utf-8") if line.strip()]
    rng = random.Random(3)
    pieces = list("abc ABC Æø.!?\n\t \"'»”)«“–-0123") + [" jf.", " f.eks.", " bl.a.", " stk.", " Nr.", "...", "?!", ".\n",
                                                        "\u00a0", "\u2028", " p.t. ", "’", "\r\n"]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 80))) for _ in range(30_000)]
    for t in texts:
        assert sentence_spans(t) == _reference_sentence_spans(t), repr(t)
        assert [(m.span(), m.group()) for m in BOUNDARY.finditer(t)] == \
            [(m.span(), m.group()) for m in REFERENCE_BOUNDARY.finditer(t)], repr(t)


def test_words_lemmas_and_sentences_line_up(lexicon):  # noqa: ANN001
    text = "Byrådet nedsatte et opgaveudvalg. Borgerne deltog."
    a = analyse(text, lexicon)
    assert a.words[:2] == ["byrådet", "nedsatte"] and a.lemmas[0] == "byråd"
    assert [text[s:e] for s, e in a.spans][:2] == ["Byrådet", "nedsatte"]
    assert a.token_sent == [0, 0, 0, 0, 1, 1]


@pytest.mark.parametrize("word, parts", [
    ("borgerbudgetmidlerne", {"borger", "budget"}),
    ("høringsperioden", {"høring", "periode"}),
    ("beboerdemokraterne", {"beboer", "demokrat"}),
])
def test_unknown_compounds_share_their_parts(lexicon, word, parts):  # noqa: ANN001
    assert parts <= set(lexicon.parts(word))


def test_known_words_are_not_cut(lexicon):  # noqa: ANN001
    assert lexicon.parts("godkendt") == () and lexicon.parts("nedsætter") == ()


def test_cue_index_matches_brute_force_on_the_dev_split(lexicon, cues):  # noqa: ANN001
    texts = [json.loads(line)["text"] for line in open("data/labelled/dev.jsonl", encoding="utf-8")][:120]
    for text in texts:
        a = analyse(text, lexicon)
        brute = sorted((i, pos) for i, e in enumerate(cues.entries) for pos in range(len(a.words))
                       if cues._part_ok(e[3][0], a.words[pos], a.lemmas[pos]) and cues._rest_ok(e[3], 1, a.words, a.lemmas, pos + 1))
        assert sorted(cues.matches(a.words, a.lemmas)) == brute


def test_cue_features_read_negation_demotion_and_participation(lexicon, cues):  # noqa: ANN001
    per = cues.cue_features(analyse("Planen blev vedtaget uden borgerinddragelse. Opgaven sendes i udbud med høring af "
                                    "leverandører. Borgerne deltog i dialogmødet.", lexicon))
    assert "cuerung:3:neg" in per[0] and "cuerung:3:ok" not in per[0]
    assert "cuerung:3:dem" in per[1]
    assert "cuerung:3:ok" in per[2] and "actor:citizens:part" in per[2]
