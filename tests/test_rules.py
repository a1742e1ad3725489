import pytest

from pipeline.codebook import load_codebook
from pipeline.rules import RuleLabeller, compile_cue, has_vocabulary


@pytest.fixture(scope="module")
def labeller():
    return RuleLabeller()


@pytest.mark.parametrize("text, rung", [
    ("Byrådet nedsætter et § 17, stk. 4-udvalg med borgere og foreninger.", 4),
    ("Frivillige fra Røde Kors driver lektiecaféen sammen med lærerne.", 2),
    ("Planforslaget sendes i offentlig høring i otte uger.", 3),
    ("Borgeren gennemfører et rehabiliteringsforløb med terapeuten.", 1),
    ("Budgettet for 2020 godkendes.", 0),
])
def test_rungs_from_cues(labeller, text, rung):
    assert next(labeller.label_texts([text])).rung == rung


@pytest.mark.parametrize("text", [
    "Borgerne har ikke været inddraget, og der er ingen høring.",         # negation
    "Opgaven sendes i udbud, og leverandøren skal bruge frivillige.",      # demoting: tender
])
def test_negation_and_demoting(labeller, text):
    result = next(labeller.label_texts([text]))
    assert result.rung == 0
    assert result.vocab is True  # the vocabulary is there, the co-creation is not
    assert any(m.negated or m.demoted for m in result.matches if m.kind == "rung")


def test_label_records_contract(labeller):
    rows = labeller.label_records([{"id": "x", "text": "Der holdes borgermøde, hvor borgerne giver input."}])
    row = rows[0]
    assert row["id"] == "x" and row["rung"] == 3 and row["rung_label"] == "co_initiation_dialogue"
    assert len(row["rung_proba"]) == 5 and row["rule_id"].startswith("r3_")
    assert "citizens" in row["actors"] and row["evidence"] and row["codebook_hash"] == load_codebook().hash


def test_cue_compiler_uses_lemmas_and_prefixes():
    from pipeline.nlp import LemmaCache

    spec = compile_cue("offentlig høring*", LemmaCache())
    assert spec[0] == {"LEMMA": {"IN": ["offentlig"]}}
    assert spec[1] == {"LOWER": {"REGEX": "^høring"}}


def test_fast_vocabulary_flag_agrees_with_matcher(labeller, tiny_records):
    texts = ["Vi vil samskabe med borgerne.", "Vejen asfalteres i 2021.", "Frivillige hjælper.", "Der er nedsat en følgegruppe.",
             "Der nedsættes et § 17, stk. 4-udvalg.", "Borgeren laver sin egen plan.", "Kommunen vil inddrage de lokale borgere."]
    texts += [r["text"] for r in tiny_records]
    assert has_vocabulary(texts) == [r.vocab for r in labeller.label_texts(texts)]
