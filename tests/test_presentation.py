"""The shared formatting layer: Danish and English numbers, rung texts, the estimate in plain words."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipeline.codebook import load_codebook
from pipeline.errors import DataError
from pipeline.presentation import (environment, estimate_sentence, fmt_cell, fmt_interval, fmt_num, fmt_pct, fmt_signed_pct,
                                   left_out_sentence, rung_texts, warnings_text)


@pytest.mark.parametrize("func,value,lang,expected", [
    (fmt_pct, 0.1234, "da", "12,3 %"), (fmt_pct, 0.1234, "en", "12.3%"), (fmt_pct, np.float64(0.5), "da", "50,0 %"),
    (fmt_pct, float("nan"), "da", "–"), (fmt_pct, None, "en", "–"),
    (fmt_num, 1.234, "da", "1,23"), (fmt_num, 1.234, "en", "1.23"), (fmt_num, math.inf, "da", "–"),
    (fmt_signed_pct, 0.012, "da", "+1,2 pp"), (fmt_signed_pct, -0.2, "en", "-20.0 pp"),
    (fmt_cell, 3.0, "da", "3"), (fmt_cell, 0.666, "da", "0,67"), (fmt_cell, True, "da", "ja"), (fmt_cell, None, "en", ""),
])
def test_number_formats(func, value, lang, expected):
    assert func(value, lang=lang) == expected


def test_intervals():
    assert fmt_interval(0.102, 0.153) == "10,2–15,3 %"
    assert fmt_interval(0.102, 0.153, lang="en") == "10.2–15.3%"
    assert fmt_interval(1.1, 1.456, pct=False) == "1,10–1,46"
    assert fmt_interval(None, 0.2) == "–"


def test_rung_texts_come_from_the_codebook():
    codebook = load_codebook()
    da, en = rung_texts("da"), rung_texts("en")
    assert [r.name for r in da] == [r.name_da for r in codebook.rungs]
    assert da[3].definition == " ".join(codebook.rungs[3].definition_da.split())
    assert en[3].definition == " ".join(codebook.rungs[3].definition.split()) and "_" not in en[3].name
    assert da[4].label.startswith("4 ligeværdigt samarbejde")
    with pytest.raises(DataError, match="choose one of da, en"):
        rung_texts("de")


def test_estimate_sentence_says_what_the_interval_covers_without_jargon():
    cc = estimate_sentence({"estimator": "cc", "min_support": 5})
    assert "ikke hvor meget modellen kan tage fejl" in cc and "færre end 5 dokumenter" in cc and "cc" not in cc
    acc = estimate_sentence({"estimator": "acc"})
    assert "modellens fejl kun er målt" in acc and "acc" not in acc.lower().split()
    assert "bootstrap" in estimate_sentence({"estimator": "pcc"}, "en")


def test_warnings_in_danish_and_left_out():
    notes = warnings_text(["41 noise segments (tables of contents, attendance, ...) were left out",
                           "the shares are the classifier's own counts, not corrected for its errors",
                           "3 of 10 records have no date and were left out", "something new"])
    assert notes[0].startswith("Andelene er modellens egen optælling")
    assert "samskab trends" in notes[1] and len(notes) == 2  # the rows left out are said by left_out_sentence
    assert left_out_sentence({"noise": 41, "non_danish": 2, "no_date": 0}) == (
        "43 afsnit er ikke talt med: 41 var mødedeltagere, indholdsfortegnelser, bilagslister o.l. og 2 var ikke på dansk.")
    assert left_out_sentence({"no_date": 1}, "en") == "1 segments are not counted: 1 had no date."
    assert left_out_sentence({}) is None


def test_environment_escapes_and_formats():
    env = environment("da")
    out = env.from_string("{{ x }} {{ v | pct }} {{ lo | interval(hi) }}").render(x="<b>", v=0.25, lo=0.1, hi=0.2)
    assert out == "&lt;b&gt; 25,0 % 10,0–20,0 %"


def test_evidence_terms_read_as_words_not_feature_ids():
    from pipeline.presentation import term_label

    assert term_label("borgerbudget") == "borgerbudget"  # plain words and bigrams stay as they are
    assert term_label("borger inddrage") == "borger inddrage"
    assert term_label("cuerung:4:ok") == "kodebogsord for trin 4"
    assert term_label("cuerung:3:neg") == "kodebogsord for trin 3 (nægtet)"
    assert term_label("cuerung:2:dem", lang="en") == "codebook cue for rung 2 (demoted)"
    assert term_label("cue:r4_borgerbudget:ok") == "»borgerbudget«"
    assert term_label("actor:citizens:part") == "aktør: borgere og brugere (deltager)"
    assert term_label("actor:administration:mention", lang="en") == "actor: administration (mentioned)"
    assert term_label("participation") == "ord om deltagelse"
    assert term_label("cue:no_such_cue:ok") == "no_such_cue"  # an unknown cue id is shown as it is
