"""`samskab explain`: no terminal control sequences from the text; files are segmented as the web page does."""

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.cli.classify_cmd import _heading_and_body, terminal_safe

HOSTILE = ("Frivillige \x1b[2J\x1b[H\x1b]0;pwned\x07fra Røde Kors\x1b[31m driver \x9b31mlektiecaféen\x1b]8;;http://x\x1b\\ "
           "sammen med skolens lærere\x07\x08 to gange om ugen.")


def test_terminal_safe_strips_escape_and_control_sequences():
    clean = terminal_safe(HOSTILE)
    assert not any(ord(c) < 32 and c not in "\n\t\r" or 0x7f <= ord(c) <= 0x9f for c in clean)
    assert clean == "Frivillige fra Røde Kors driver lektiecaféen sammen med skolens lærere to gange om ugen."
    assert terminal_safe("Linje et\nlinje\tto æøå") == "Linje et\nlinje\tto æøå"


def test_explain_prints_no_escape_sequences(tiny_model_dir, tmp_path):
    res = CliRunner().invoke(app, ["explain", HOSTILE, "--model", str(tiny_model_dir)])
    assert res.exit_code == 0, res.output
    assert "\x1b" not in res.output and "\x07" not in res.output and "\x9b" not in res.output and "pwned" not in res.output
    path = tmp_path / "hostile.txt"  # one sequence in ordinary text: ingest reads it (many would be refused as binary)
    body = " ".join(["Borgerne inviteres til dialogmøde om den nye skolestruktur i kommunen."] * 8)
    path.write_text(body + "\n\nFrivillige fra Røde Kors\x1b[2J\x1b]0;pwned\x07 driver lektiecaféen sammen med skolens lærere.\n",
                    encoding="utf-8")
    res = CliRunner().invoke(app, ["explain", "--file", str(path), "--model", str(tiny_model_dir)])
    assert res.exit_code == 0, res.output
    assert "\x1b" not in res.output and "\x07" not in res.output and "pwned" not in res.output


MINUTES = """Kommune – Byrådet
Beslutningsprotokol

Punkt 1. Godkendelse af dagsorden
Beslutning: Godkendt.

Punkt 2. Frivillige i lektiecaféen
Sagsfremstilling
Frivillige fra Røde Kors driver lektiecaféen sammen med skolens lærere to gange om ugen, og ordningen udvides.
Beslutning: Godkendt.

Punkt 3. Lokalplan for bymidten
Sagsfremstilling
Forslaget til lokalplan sendes i offentlig høring i otte uger, og borgerne kan indsende høringssvar.
Beslutning: Godkendt.
"""


def test_explain_file_shows_each_segments_rung(tiny_model_dir, tmp_path):
    from pipeline.segment import segment_document

    path = tmp_path / "referat.txt"
    path.write_text(MINUTES, encoding="utf-8")
    n = len(segment_document({"id": "x", "text": MINUTES}))
    assert n > 1
    res = CliRunner().invoke(app, ["explain", "--file", str(path), "--model", str(tiny_model_dir)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert f"{n} segments" in res.output
    assert res.output.count("rung ") >= n  # the document, then every segment
    assert "§1" in res.output and f"§{n}" in res.output
    assert "Sagsfremstilling\nFrivillige" not in res.output  # a heading is never glued to an evidence sentence


@pytest.mark.parametrize(("sentence", "head", "body"), [
    ("Sagsfremstilling\nFrivillige fra Røde Kors driver lektiecaféen.", "Sagsfremstilling", "Frivillige fra Røde Kors driver lektiecaféen."),
    ("Sagsfremstilling: Det foreløbige regnskab viser et underskud på 12 mio. kr.", "Sagsfremstilling", "Det foreløbige regnskab viser et underskud på 12 mio. kr."),
    ("Beslutning: Godkendt.", None, "Beslutning: Godkendt."),
    ("Borgerne inviteres til dialogmøde om skolen.", None, "Borgerne inviteres til dialogmøde om skolen."),
])
def test_headings_are_split_from_evidence(sentence, head, body):
    assert _heading_and_body(sentence) == (head, body)


def test_explain_file_shows_agenda_item_titles(tiny_model_dir, tmp_path):
    """Each agenda item's title (as ingest and the segmenter know it) heads its segments, once."""
    path = tmp_path / "referat.txt"
    path.write_text(MINUTES, encoding="utf-8")
    res = CliRunner().invoke(app, ["explain", "--file", str(path), "--model", str(tiny_model_dir)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    titles = ["Punkt 1. Godkendelse af dagsorden", "Punkt 2. Frivillige i lektiecaféen", "Punkt 3. Lokalplan for bymidten"]
    lines = res.output.splitlines()
    assert [line for line in lines if line.startswith("Punkt ")] == titles
    assert lines[lines.index(titles[1]) + 1].startswith("§3 · Sagsfremstilling")


def test_explain_text_of_nothing_but_noise_says_so(tiny_model_dir):
    res = CliRunner().invoke(app, ["explain", "Indholdsfortegnelse\n1. Godkendelse af dagsorden\n2. Eventuelt",
                                   "--model", str(tiny_model_dir)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "every segment is noise" in res.output and "skipped (toc)" in res.output
