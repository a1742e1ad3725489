from pathlib import Path

import pytest
import yaml

from pipeline.codebook import ACTOR_IDS, RUNG_IDS, load_codebook
from pipeline.errors import CodebookError

SHARED = Path(__file__).resolve().parents[2] / "shared" / "CODEBOOK.md"


def test_codebook_matches_the_shared_contract():
    cb = load_codebook()
    assert cb.rung_ids == list(RUNG_IDS)
    assert [r.code for r in cb.rungs] == [0, 1, 2, 3, 4]
    assert cb.actor_ids == list(ACTOR_IDS)
    assert cb.output_fields == {"rung": "rung", "rung_label": "rung_label", "rung_proba": "rung_proba", "actors": "actors"}
    if SHARED.is_file():  # the shared codebook names every id
        text = SHARED.read_text(encoding="utf-8")
        for ident in RUNG_IDS + ACTOR_IDS:
            assert f"`{ident}`" in text


def test_hash_is_stable_and_content_based(tmp_path):
    cb = load_codebook()
    raw = yaml.safe_load(Path("configs/codebook.yaml").read_text(encoding="utf-8"))
    copy = tmp_path / "cb.yaml"
    copy.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=True), encoding="utf-8")
    assert load_codebook(copy).hash == cb.hash  # formatting does not matter
    raw["rungs"][3]["definition_da"] += " Ændret."  # reader-facing wording: models stay valid
    copy.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert load_codebook(copy).hash == cb.hash
    raw["rungs"][3]["cues"].append({"id": "r3_new", "pattern": "nyt*"})  # what a model depends on
    copy.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert load_codebook(copy).hash != cb.hash


@pytest.mark.parametrize("mutate, message", [
    (lambda raw: raw["rungs"].append(dict(raw["rungs"][0])), "duplicate rung"),
    (lambda raw: raw["rungs"].pop(2), "missing rung code"),
    (lambda raw: raw["actors"].append({"id": "journalists", "name_da": "x"}), "unknown actor"),
    (lambda raw: raw["actors"].append(dict(raw["actors"][0])), "duplicate actor"),
    (lambda raw: raw.update(extra_key=1), "extra"),
])
def test_bad_codebooks_are_refused(tmp_path, mutate, message):
    raw = yaml.safe_load(Path("configs/codebook.yaml").read_text(encoding="utf-8"))
    mutate(raw)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CodebookError) as err:
        load_codebook(path)
    assert message in str(err.value).lower() and str(path) in str(err.value)
