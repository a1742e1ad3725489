"""spaCy backend: spaCy's own ``textcat`` (rung, exclusive) and ``textcat_multilabel`` (actors).

Both components sit on ``spacy.blank("da")`` and are trained from a config generated here
(bag-of-words by default, or the ensemble without pretrained vectors): fully offline.
The training loop is spaCy's ``nlp.update`` over shuffled minibatches, seeded, for
``model.epochs`` epochs. The model folder holds ``spacy_model/`` written by ``nlp.to_disk``.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path
from typing import Literal

import numpy as np

from pipeline.models.base import Backend, ProgressFn

log = logging.getLogger(__name__)

MODEL_DIR = "spacy_model"
RUNG_COMPONENT = "textcat"
ACTOR_COMPONENT = "textcat_multilabel"
#: "bow": sparse bag of uni+bigrams (fast, the default); "ensemble": bow + a small CNN
#: tok2vec trained from scratch (no pretrained vectors, so still offline).
ARCHITECTURE: Literal["bow", "ensemble"] = "bow"

_BOW = """
[components.{name}.model]
@architectures = "spacy.TextCatBOW.v3"
exclusive_classes = {exclusive}
length = 262144
ngram_size = 2
no_output_layer = false
nO = null
"""

_ENSEMBLE = """
[components.{name}.model]
@architectures = "spacy.TextCatEnsemble.v2"
nO = null

[components.{name}.model.linear_model]
@architectures = "spacy.TextCatBOW.v3"
exclusive_classes = {exclusive}
length = 262144
ngram_size = 1
no_output_layer = false

[components.{name}.model.tok2vec]
@architectures = "spacy.Tok2Vec.v2"

[components.{name}.model.tok2vec.embed]
@architectures = "spacy.MultiHashEmbed.v2"
width = 64
rows = [2000, 2000, 500, 1000, 500]
attrs = ["NORM", "LOWER", "PREFIX", "SUFFIX", "SHAPE"]
include_static_vectors = false

[components.{name}.model.tok2vec.encode]
@architectures = "spacy.MaxoutWindowEncoder.v2"
width = 64
window_size = 1
maxout_pieces = 3
depth = 2
"""


def spacy_config_str(*, architecture: str = ARCHITECTURE, seed: int = 13, batch_size: int = 256) -> str:
    """The spaCy config (as text) for the two text classifiers on a blank Danish pipeline."""
    if architecture not in ("bow", "ensemble"):
        from pipeline.errors import UnknownNameError

        raise UnknownNameError(kind="spaCy textcat architecture", name=architecture, choices="bow, ensemble")
    model = _BOW if architecture == "bow" else _ENSEMBLE
    return f"""
[paths]
vectors = null
init_tok2vec = null

[system]
seed = {seed}
gpu_allocator = null

[nlp]
lang = "da"
pipeline = ["{RUNG_COMPONENT}", "{ACTOR_COMPONENT}"]
batch_size = {batch_size}

[components]

[components.{RUNG_COMPONENT}]
factory = "textcat"
threshold = 0.0
{model.format(name=RUNG_COMPONENT, exclusive="true")}

[components.{ACTOR_COMPONENT}]
factory = "textcat_multilabel"
threshold = 0.5
{model.format(name=ACTOR_COMPONENT, exclusive="false")}
"""


class SpacyBackend(Backend):
    name = "spacy"

    def __init__(self, config, codebook) -> None:  # noqa: ANN001
        super().__init__(config, codebook)
        self.nlp = None
        overlap = set(codebook.rung_ids) & set(codebook.actor_ids)
        if overlap:  # both components write into doc.cats
            from pipeline.errors import ModelError

            raise ModelError(path="codebook", detail=f"rung and actor ids overlap ({sorted(overlap)}); doc.cats cannot hold both")

    def _build(self, architecture: str):  # noqa: ANN202
        import spacy

        cfg = spacy.util.load_config_from_str(spacy_config_str(architecture=architecture, seed=self.config.seed))
        return spacy.util.load_model_from_config(cfg, auto_fill=True, validate=True)

    def fit(self, texts, rungs, actors, *, progress: ProgressFn | None = None, architecture: str = ARCHITECTURE) -> None:  # noqa: ANN001
        """Train both components together on the same Docs for ``config.epochs`` epochs."""
        import spacy
        from spacy.training import Example

        say = progress or (lambda msg, frac: None)
        cfg = self.config
        spacy.util.fix_random_seed(cfg.seed)
        rng = random.Random(cfg.seed)
        say("building spaCy pipeline", 0.02)
        nlp = self._build(architecture)
        rung_ids, actor_ids = self.codebook.rung_ids, self.codebook.actor_ids
        rungs, actors = np.asarray(rungs), np.asarray(actors)
        # textcat refuses a second 1.0 in doc.cats, so each component gets its own Examples
        pairs = []
        for doc, r, a in zip(nlp.tokenizer.pipe(texts, batch_size=256), rungs.tolist(), actors.tolist(), strict=True):
            rung_cats = {label: float(k == r) for k, label in enumerate(rung_ids)}
            actor_cats = {label: float(v) for label, v in zip(actor_ids, a, strict=True)}
            pairs.append((Example.from_dict(doc, {"cats": rung_cats}), Example.from_dict(doc.copy(), {"cats": actor_cats})))
        say("initialising", 0.05)
        nlp.get_pipe(RUNG_COMPONENT).initialize(lambda: [p[0] for p in pairs], nlp=nlp, labels=rung_ids)
        nlp.get_pipe(ACTOR_COMPONENT).initialize(lambda: [p[1] for p in pairs], nlp=nlp, labels=actor_ids)
        optimizer = nlp.create_optimizer()
        for epoch in range(cfg.epochs):
            rng.shuffle(pairs)
            losses: dict[str, float] = {}
            for batch in spacy.util.minibatch(pairs, size=cfg.batch_size):
                nlp.update([p[0] for p in batch], sgd=optimizer, losses=losses, drop=0.1, exclude=[ACTOR_COMPONENT])
                nlp.update([p[1] for p in batch], sgd=optimizer, losses=losses, drop=0.1, exclude=[RUNG_COMPONENT])
            log.info("spacy epoch %d/%d losses %s", epoch + 1, cfg.epochs, losses)
            say(f"epoch {epoch + 1}/{cfg.epochs} loss rung {losses.get(RUNG_COMPONENT, 0):.3f} "
                f"actors {losses.get(ACTOR_COMPONENT, 0):.3f}", 0.05 + 0.95 * (epoch + 1) / cfg.epochs)
        self.nlp = nlp
        say("done", 1.0)

    def predict_proba(self, texts):  # noqa: ANN001
        if self.nlp is None:
            from pipeline.errors import ModelError

            raise ModelError(path="spacy backend", detail="not trained or loaded; call fit() or load_model()")
        rung_ids, actor_ids = self.codebook.rung_ids, self.codebook.actor_ids
        rung = np.zeros((len(texts), len(rung_ids)), dtype=np.float64)
        actors = np.zeros((len(texts), len(actor_ids)), dtype=np.float64)
        docs = list(self.nlp.tokenizer.pipe(texts, batch_size=256))
        # spaCy's bag-of-words model fails on a batch that mixes empty and non-empty docs:
        # only docs with tokens go through the classifiers; empty ones get a uniform rung.
        scored = [doc for doc in docs if len(doc)]
        for _, proc in self.nlp.pipeline:
            scored = list(proc.pipe(scored, batch_size=256))
        for i, doc in enumerate(docs):
            if not len(doc):
                rung[i] = 1.0 / len(rung_ids)
                continue
            cats = doc.cats
            rung[i] = [cats[label] for label in rung_ids]
            actors[i] = [cats[label] for label in actor_ids]
        # softmax output in float32: renormalise so each row sums to 1 in float64
        rung /= np.clip(rung.sum(1, keepdims=True), 1e-12, None)
        return rung, actors

    def save(self, directory: Path) -> list[str]:
        self.nlp.to_disk(Path(directory) / MODEL_DIR)
        return [MODEL_DIR]

    @classmethod
    def load(cls, directory, config, codebook):  # noqa: ANN001
        import spacy

        from pipeline.errors import ModelError

        backend = cls(config, codebook)
        path = Path(directory) / MODEL_DIR
        try:
            backend.nlp = spacy.load(path)
        except (OSError, ValueError) as e:
            raise ModelError(path=str(directory), detail=f"cannot load the spaCy pipeline in {MODEL_DIR}/ ({e})") from e
        labels = tuple(backend.nlp.get_pipe(RUNG_COMPONENT).labels), tuple(backend.nlp.get_pipe(ACTOR_COMPONENT).labels)
        if set(labels[0]) != set(codebook.rung_ids) or set(labels[1]) != set(codebook.actor_ids):
            raise ModelError(path=str(directory), detail=f"spaCy labels {labels} do not match the codebook; retrain with `samskab train --backend spacy`")
        return backend
