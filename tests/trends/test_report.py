"""The HTML report for Danish journalists (and --lang en), its evidence quotes and period choice."""

from __future__ import annotations

import re
from html import unescape

import pytest
from trend_helpers import seg
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.codebook import load_codebook
from pipeline.report import build_report, quotable, strip_headings, top_quotes
from pipeline.trends import choose_period

runner = CliRunner()


def _section(html: str, section_id: str) -> str:
    return html.split(f'<section id="{section_id}">', 1)[1].split("</section>", 1)[0]


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture
def card_model(model_dir):
    (model_dir / "MODEL_CARD.md").write_text(
        "# Model card\n\n| split | n | macro-F1 |\n|---|---|---|\n| dev | 295 | 0.994 |\n\n"
        "## Limitations\n\nTrained on <b>few</b> documents.\n", encoding="utf-8")
    return model_dir


def test_report_is_danish_with_codebook_rung_names_and_definitions(records, card_model, tmp_path):
    html = build_report(records, out=tmp_path / "r.html", model_dir=card_model, bootstrap=20).read_text(encoding="utf-8")
    codebook = load_codebook()
    assert '<html lang="da">' in html and "<h2>Sådan læser du tallene</h2>" in html and "<h2>Hele landet</h2>" in html
    ladder = _text(_section(html, "ladder"))
    for rung in codebook.rungs:
        assert f"Trin {rung.code}: {rung.name_da}" in ladder
        assert " ".join(rung.definition_da.split()) in ladder
    # quote headings carry the Danish rung name, never the internal id
    rung3 = codebook.rungs[3]
    assert f"<h4>Trin 3: {rung3.name_da} &ndash; eksempler fra teksterne</h4>" in html
    assert not [r.id for r in codebook.rungs[1:] if r.id in html]
    # the plain-language account has no estimator jargon; the method section has it
    plain = _text(_section(html, "read")).lower()
    assert "intervallet (95 %)" in plain and "modellens fejl" in plain
    assert not re.search(r"\b(cc|pcc|acc|pacc|ppi|estimator|bootstrap|wilson|held-out)\b", plain)
    assert re.search(r"Estimator: <b>(cc|pcc|acc|pacc)</b>", _section(html, "method"))
    # numbers in Danish notation
    assert re.search(r"\d+,\d %", _section(html, "national"))


def test_report_model_card_tables_are_html_tables(records, card_model, tmp_path):
    html = build_report(records, out=tmp_path / "r.html", model_dir=card_model, bootstrap=0).read_text(encoding="utf-8")
    card = _section(html, "model")
    assert "<table>" in card and "<td>0.994</td>" in card and "|---|" not in card
    assert "&lt;b&gt;few&lt;/b&gt;" in card  # raw HTML in the card stays text


def test_report_metrics_name_each_rung_and_actor_instead_of_dumping_json(records, card_model, tmp_path):
    import json

    metrics = json.loads((card_model / "metrics.json").read_text(encoding="utf-8"))
    metrics["dev"] = {"n": 4}
    metrics["dev"]["per_actor"] = [{"actor": "citizens", "precision": 0.5, "recall": 0.25, "f1": 1 / 3, "support": 8}]
    metrics["dev"]["per_rung"] = [{"rung": 3, "precision": 0.75, "recall": 1.0, "f1": 0.8571, "support": 4}]
    (card_model / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    html = build_report(records, out=tmp_path / "r.html", model_dir=card_model, bootstrap=0).read_text(encoding="utf-8")
    assert "dev.per_actor.actor citizens.recall</td><td class=\"text\">0.2500" in html
    assert "dev.per_rung.rung 3.f1</td><td class=\"text\">0.8571" in html
    assert "&#34;precision&#34;" not in html and '"precision"' not in html


def test_report_in_english(records, card_model, tmp_path):
    html = build_report(records, out=tmp_path / "r.html", model_dir=card_model, bootstrap=0, lang="en").read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "<h2>How to read the figures</h2>" in html
    definition = " ".join(load_codebook().rungs[4].definition.split())
    assert definition in _text(_section(html, "ladder"))
    assert re.search(r"\d+\.\d%", _section(html, "national")) and "Sådan" not in html


def test_report_refuses_an_unknown_language(records, tmp_path):
    from pipeline.errors import DataError

    with pytest.raises(DataError, match="choose one of da, en"):
        build_report(records, out=tmp_path / "r.html", bootstrap=0, lang="fr")


def _ev(sentence, score, rung=3):
    return {"sentence": sentence, "score": score, "rung": rung}


def test_quotes_skip_boilerplate_and_noise_and_prefer_cued_sentences():
    records = [
        seg("s1", "D1", "Aarhus", 2021, [0, 0, 0, 1, 0], evidence=[
            _ev("Beslutning: Godkendt.", 9.0),
            _ev("Indstillingen blev godkendt af udvalget uden bemærkninger i dag.", 8.0),
            _ev("Sagsfremstilling: Byrådet behandlede sagen om budgettet for de kommende fire år.", 5.0),
            _ev("Borgerne blev inviteret til et dialogmøde om den nye lokalplan for bydelen.", 1.0),
        ]),
        # a noise segment (not classified) is never quoted, whatever its evidence
        {"id": "n1", "doc_id": "D1", "municipality": "Aarhus", "year": 2021, "rung": None, "rung_proba": None,
         "evidence": [_ev("Deltagere i mødet var borgmester og alle udvalgets medlemmer.", 99.0)], "skipped": "noise"},
    ]
    quotes = top_quotes(records, k=3)["Aarhus"][3]
    sentences = [q["sentence"] for q in quotes]
    assert sentences[0].startswith("Borgerne blev inviteret til et dialogmøde")  # a co-creation cue beats a higher score
    assert sentences[1].startswith("Byrådet behandlede")  # quoted without its 'Sagsfremstilling:' label
    assert len(sentences) == 2  # boilerplate and the noise segment left out


@pytest.mark.parametrize("sentence,ok", [
    ("Beslutning: Godkendt.", False),
    ("Godkendt.", False),
    ("Beslutning: Tiltrådt som indstillet af forvaltningen.", False),
    ("Mødet hævet kl. 16.10 efter en lang dagsorden.", False),
    ("Beslutning: Udvalget nedsætter en arbejdsgruppe med borgere og foreninger.", True),
    ("Frivillige driver lektiecaféen sammen med skolen hver tirsdag.", True),
])
def test_quotable(sentence, ok):
    assert quotable(sentence) is ok


def test_quotes_lose_leading_headings():
    assert strip_headings("Borgernes deltagelse\nHvert forløb har taget udgangspunkt i borgerens egne mål.") == (
        "Hvert forløb har taget udgangspunkt i borgerens egne mål.")
    assert strip_headings("Frivillige driver caféen.\nDe mødes hver tirsdag.") == "Frivillige driver caféen. De mødes hver tirsdag."
    assert strip_headings("Kun en overskrift") == "Kun en overskrift"


def _yearly(munis, years, docs_per_year):
    return [seg(f"{m}{y}{d}", f"{m}{y}{d}", m, y, [1, 0, 0, 0, 0]) for m in munis for y in years for d in range(docs_per_year)]


def test_choose_period_by_data_density():
    assert choose_period(_yearly("AB", range(2015, 2024), 6)) == "year"
    assert choose_period(_yearly("AB", range(2009, 2024, 2), 6)) == "term"  # every other year: half the years empty
    assert choose_period(_yearly("AB", range(2015, 2024), 2)) == "term"  # every year, but two documents a year
    assert choose_period([]) == "year"


def test_cli_report_lang_and_period_chosen_by_density(predictions_file, model_dir, tmp_path):
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(predictions_file), "--out", str(out), "--model", str(model_dir),
                                 "--bootstrap", "0", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "period: term (chosen by data density" in " ".join(result.output.split())
    html = out.read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "by election term and municipality" in html
    bad = runner.invoke(app, ["report", str(predictions_file), "--out", str(out), "--lang", "fr"])
    assert bad.exit_code == 1 and "choose one of da, en" in bad.output
