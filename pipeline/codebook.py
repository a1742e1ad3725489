"""Load and validate the machine-readable codebook (configs/codebook.yaml).

The codebook is the label contract of the project: rung codes and ids and the six actor
ids are fixed by ../shared/CODEBOOK.md, so anything else is refused at load. Its content
hash is stamped on every label file and model the project writes.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline import CONFIG_DIR
from pipeline.errors import CodebookError

RUNG_IDS = ("none", "co_production_own", "co_production_others", "co_initiation_dialogue", "co_design_governance")
ACTOR_IDS = ("politicians", "administration", "professionals", "citizens", "civil_society", "businesses")
DEFAULT_CODEBOOK = CONFIG_DIR / "codebook.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cue(_Strict):
    id: str
    pattern: str = Field(min_length=1)


def wildcard_match(part: str, word: str) -> bool | None:
    """Whether ``word`` matches one wildcard part of a cue pattern ("*x*" contains, "*x" ends
    with, "x*" starts with); None for a plain word, which each matcher decides its own way
    (the rules by inflected form, the model's features by lemma)."""
    if part.startswith("*") and part.endswith("*") and len(part) > 2:
        return part[1:-1] in word
    if part.startswith("*"):
        return word.endswith(part[1:])
    if part.endswith("*"):
        return word.startswith(part[:-1])
    return None


class Rung(_Strict):
    code: int = Field(ge=0, le=4)
    id: str
    name_da: str
    definition: str
    definition_da: str
    cues: list[Cue] = Field(default_factory=list)


class Actor(_Strict):
    id: str
    name_da: str
    cues: list[Cue] = Field(default_factory=list)


class Negation(_Strict):
    window: int = Field(4, ge=1, le=20)
    cues: list[Cue] = Field(default_factory=list)


class Note(_Strict):
    id: str
    rule: str
    example: str | None = None


class Codebook(_Strict):
    version: int
    name: str
    source: str
    output_fields: dict[str, str]
    rungs: list[Rung]
    actors: list[Actor]
    negation: Negation = Negation()
    demoting: list[Cue] = Field(default_factory=list)
    participation: list[Cue] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)

    @field_validator("rungs")
    @classmethod
    def _rungs_are_the_ladder(cls, rungs: list[Rung]) -> list[Rung]:
        ids = [r.id for r in rungs]
        codes = [r.code for r in rungs]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate rung id in {ids}")
        if len(set(codes)) != len(codes):
            raise ValueError(f"duplicate rung code in {codes}")
        missing = sorted(set(range(5)) - set(codes))
        if missing:
            raise ValueError(f"missing rung code(s) {missing}; the ladder has rungs 0-4")
        for rung in rungs:
            if rung.id != RUNG_IDS[rung.code]:
                raise ValueError(f"rung {rung.code} must have id {RUNG_IDS[rung.code]!r}, not {rung.id!r}")
        return sorted(rungs, key=lambda r: r.code)

    @field_validator("actors")
    @classmethod
    def _actors_are_the_six(cls, actors: list[Actor]) -> list[Actor]:
        ids = [a.id for a in actors]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate actor id in {ids}")
        unknown = [i for i in ids if i not in ACTOR_IDS]
        if unknown:
            raise ValueError(f"unknown actor id(s) {unknown}; valid: {list(ACTOR_IDS)}")
        missing = [i for i in ACTOR_IDS if i not in ids]
        if missing:
            raise ValueError(f"missing actor id(s) {missing}")
        return sorted(actors, key=lambda a: ACTOR_IDS.index(a.id))

    # -- convenience -----------------------------------------------------------------
    @property
    def rung_ids(self) -> list[str]:
        return [r.id for r in self.rungs]

    @property
    def actor_ids(self) -> list[str]:
        return [a.id for a in self.actors]

    def rung_label(self, code: int) -> str:
        return self.rungs[code].id

    def order_actors(self, actors: list[str] | set[str]) -> list[str]:
        """Actor ids in codebook table order (the output contract)."""
        chosen = set(actors)
        return [a for a in self.actor_ids if a in chosen]

    @functools.cached_property
    def hash(self) -> str:
        """Hash of what a model depends on: codes, ids, cues and output fields.

        Wording meant for readers (names, definitions, notes, source) is left out, so a
        better Danish definition does not invalidate every trained model.
        """
        prose = {"name_da", "definition", "definition_da"}
        dump = self.model_dump(exclude={"notes", "source"})
        for part in ("rungs", "actors"):
            dump[part] = [{k: v for k, v in item.items() if k not in prose} for item in dump[part]]
        canonical = json.dumps(dump, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Read and validate a codebook; cached for the default path."""
    path = Path(path) if path else DEFAULT_CODEBOOK
    try:
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = (0, 0)
    return _load_cached(str(path.resolve()), stamp)


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, stamp: tuple[int, int]) -> Codebook:  # stamp: reload when the file changes
    try:
        # libyaml's parser when PyYAML has it (the same values; a tenth of a second less per process)
        raw = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except FileNotFoundError as e:
        raise CodebookError(path=path, detail="file not found") from e
    except yaml.YAMLError as e:
        raise CodebookError(path=path, detail=f"not valid YAML ({e})") from e
    if not isinstance(raw, dict):
        raise CodebookError(path=path, detail="top level must be a mapping")
    try:
        return Codebook.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CodebookError(path=path, detail=f"{where}: {first['msg']}") from e
