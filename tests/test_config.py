import pytest

from pipeline.config import load_config
from pipeline.errors import ConfigError


def test_defaults_and_overrides():
    cfg = load_config(overrides=["model.C=2.5", "model.use_char=false", "classify.evidence_k=1"])
    assert cfg.model.C == 2.5 and cfg.model.use_char is False and cfg.classify.evidence_k == 1


@pytest.mark.parametrize("override", ["model.Cx=1", "model.C=-1", "nosection", "trends.period=decade"])
def test_bad_overrides_are_refused(override):
    with pytest.raises(ConfigError):
        load_config(overrides=[override])


def test_unknown_key_in_file_is_refused(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("model:\n  backend: tfidf\n  colour: blue\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="colour"):
        load_config(path)



def test_an_old_config_with_the_removed_nlp_section_says_so(tmp_path):
    import pytest

    from pipeline.config import load_config
    from pipeline.errors import ConfigError

    path = tmp_path / "old.yaml"
    path.write_text("nlp:\n  pipeline: blank\nsegment:\n  max_chars: 1500\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="nlp: section is no longer read"):
        load_config(path)
