from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.nlp import Analyser, split_sentences


def test_lemmas_are_lower_cased_and_looked_up():
    a = next(Analyser().analyse(["Byrådet besluttede, at borgerne skal inddrages i arbejdet med planerne."]))
    assert a.lemmas[0] == "byråd"          # sentence-initial capital does not block the lookup
    assert "borger" in a.lemmas and "inddrage" in a.lemmas and "plan" in a.lemmas
    assert "med" in a.lemmas               # function words are kept as they are
    assert "," not in a.lemmas and "." not in a.lemmas


def test_sentences_and_token_alignment():
    text = "Der er nedsat et § 17, stk. 4-udvalg. Jf. bilag 2 er budgettet 3 mio. kr. Godkendt."
    a = next(Analyser().analyse([text]))
    assert len(a.sentences) >= 2
    assert len(a.lemmas) == len(a.token_sent)
    assert "§" in a.lemmas
    assert all(0 <= s < len(a.sentences) for s in a.token_sent)


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_valid_spans(text):
    spans = split_sentences(text)
    assert all(0 <= s <= e <= len(text) for s, e in spans)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["Byrådet", "godkendte", "§", "17,", "stk.", "4-udvalg", ".", "!", "?", "\n\n", "jf.", "bilag",
                                  "borgerne", "inddrages", "Kbh.", "3,5", "mio.", "kr.", "...", "–", "(B)", "Æ", "øen"]), max_size=40))
def test_fast_analysis_equals_spacy_sentencizer(words):
    analyser = _analyser()
    text = " ".join(words)
    assert analyser._fast_analysis(analyser.nlp.tokenizer(text)) == analyser._slow_analysis(analyser.nlp.tokenizer(text))


_CACHE = {}


def _analyser():
    if "a" not in _CACHE:
        _CACHE["a"] = Analyser()
    return _CACHE["a"]


def test_lemma_dict_and_stop_words_equal_spacys():
    """``lemma_forms`` (the lookup JSON as a dict) answers as spaCy's hashed table; the stop words
    read without importing spaCy are spaCy's."""
    import json
    from pathlib import Path

    from spacy.lang.da.stop_words import STOP_WORDS
    from spacy.strings import get_string_id
    from spacy.symbols import IDS

    from pipeline.nlp import _lemma_lookup_table, danish_stop_words, lemma_forms

    assert danish_stop_words() == frozenset(STOP_WORDS)
    table, forms = _lemma_lookup_table(), lemma_forms()
    words = {w.lower().strip(".,:;!?()") for path in sorted(Path("data/labelled").glob("*.jsonl"))
             for line in path.open(encoding="utf-8") for w in json.loads(line)["text"].split()}
    words |= set(IDS) | {k.lower() for k in IDS} | set(list(forms)[:20000]) | {"", "xyzzy", "borgerbudgetmidlerne"}
    assert [forms.get(w) for w in sorted(words)] == [table.get(get_string_id(w)) for w in sorted(words)]
