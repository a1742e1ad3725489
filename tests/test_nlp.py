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
