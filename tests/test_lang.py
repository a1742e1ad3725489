"""Language detection: the batch path gives detect_language's answers (issue 15)."""

from __future__ import annotations

import json
import random
from pathlib import Path

from pipeline.lang import UNDETERMINED, detect_language, detect_languages

ROOT = Path(__file__).resolve().parent.parent


def _texts() -> list[str | None]:
    texts: list[str | None] = []
    for path in sorted((ROOT / "data" / "labelled").glob("*.jsonl")):
        texts += [json.loads(line).get("text") for line in path.open(encoding="utf-8") if line.strip()]
    texts += [json.loads(line)["text"] for line in (ROOT / "tests" / "data" / "lang_samples.jsonl").open(encoding="utf-8")]
    rng = random.Random(3)
    words = " ".join(t for t in texts if t).split()
    texts += [" ".join(rng.choice(words) for _ in range(rng.randint(1, 120))) for _ in range(300)]  # generated, some short
    return texts + [None, "", "kort", "12345 " * 20, "HELT I VERSALER OG MED MANGE DANSKE ORD SOM BØR GENKENDES HER",
                    "漢字かな交じり文の例です。日本語", "x" * 900]


def test_batch_detection_equals_one_by_one():
    texts = _texts()
    expected = [detect_language(t) for t in texts]
    got: list[str] = []
    for i in range(0, len(texts), 512):
        got += detect_languages(texts[i:i + 512])
    assert got == expected
    assert {"da", UNDETERMINED} <= set(got) and len(set(got)) > 3  # the check covers several outcomes


def test_empty_batch_and_nothing_to_detect():
    assert detect_languages([]) == []
    assert detect_languages([None, "", "ja"]) == [UNDETERMINED] * 3


def test_decompressed_model_copy_gives_the_same_identifier(tmp_path, monkeypatch):
    """The cached, decompressed py3langid model loads to the same arrays as py3langid's own loader."""
    from pathlib import Path

    import numpy as np
    import py3langid
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from pipeline.lang import _decompressed_model, _identifier_from

    monkeypatch.setenv("SAMSKAB_CACHE_DIR", str(tmp_path))
    path = Path(py3langid.__file__).parent / MODEL_FILE
    plain = _decompressed_model(path)
    assert plain is not None and plain.exists() and _decompressed_model(path) == plain
    ours, theirs = _identifier_from(plain, LanguageIdentifier), LanguageIdentifier.from_modelpath(path, norm_probs=True)
    assert np.array_equal(ours.nb_ptc, theirs.nb_ptc) and np.array_equal(ours.nb_pc, theirs.nb_pc)
    assert ours.nb_classes == theirs.nb_classes and ours.tk_output == theirs.tk_output
    assert np.array_equal(np.asarray(ours.tk_nextmove), np.asarray(theirs.tk_nextmove)) and ours._rowbase == theirs._rowbase
    assert isinstance(ours.nb_ptc, np.memmap)  # mapped from the cache, not read into the process
    table32 = np.load(plain / "table32.npy", mmap_mode="r")
    assert table32.dtype == np.float32 and np.array_equal(table32, theirs.nb_ptc.astype(np.float32))
    for text in ("Kommunen og borgerne samarbejder om en ny legeplads i bydelen.",
                 "Kommunen och medborgarna samarbetar om en ny lekplats.", "Kommunen og innbyggerne samarbeider om en ny lekeplass."):
        assert ours.classify(text) == theirs.classify(text) and ours.rank(text) == theirs.rank(text)
