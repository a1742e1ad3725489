"""The record types that flow between stages, named once.

Stages pass plain dicts in hot loops (classification of millions of segments); these
pydantic models are the schema of those dicts, used to validate at the edges (files,
API) and to document each field. Each has an ``example()`` and a JSON round-trip.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(extra="allow")

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str) -> "_Record":
        return cls.model_validate_json(text)


class Document(_Record):
    """One source document (a referat, a project description, a news page...)."""

    id: str
    text: str
    municipality: str | None = None
    date: str | None = Field(None, description="ISO date YYYY-MM-DD when known")
    year: int | None = None
    doc_type: str | None = None
    title: str | None = None
    committee: str | None = None
    url: str | None = None
    source_path: str | None = None
    content_hash: str | None = None
    inferred: list[str] = Field(default_factory=list, description="metadata fields that were inferred, not given")
    flags: list[str] = Field(default_factory=list, description="quality flags, e.g. non_danish, mojibake_repaired")

    @classmethod
    def example(cls) -> "Document":
        return cls(id="aarhus-2019-03-12-byraad", text="1. Godkendelse af dagsorden\n\nGodkendt.",
                   municipality="Aarhus", date="2019-03-12", year=2019, doc_type="referat",
                   title="Byrådet 12. marts 2019")


class Segment(_Record):
    """A unit of annotation: a paragraph, or one agenda item of council minutes."""

    id: str
    doc_id: str | None = None
    text: str
    position: int = 0
    section: str | None = None
    start: int | None = Field(None, description="character offset into the document text")
    end: int | None = None
    municipality: str | None = None
    date: str | None = None
    year: int | None = None
    doc_type: str | None = None

    @classmethod
    def example(cls) -> "Segment":
        return cls(id="aarhus-2019-03-12-byraad#3", doc_id="aarhus-2019-03-12-byraad", position=3,
                   section="Sagsfremstilling", text="Der nedsættes et § 17, stk. 4-udvalg med borgere og foreninger.",
                   municipality="Aarhus", year=2019)


class Label(_Record):
    """A gold (human) or silver (rule/model) label for one segment."""

    id: str
    text: str
    rung: int = Field(ge=0, le=4)
    actors: list[str] = Field(default_factory=list)
    genre: str | None = None
    topic: str | None = None
    municipality: str | None = None
    year: int | None = None
    source: str | None = None
    annotator: str | None = None
    timestamp: str | None = None

    @classmethod
    def example(cls) -> "Label":
        return cls(id="ex-1", text="Frivillige fra Røde Kors driver lektiecaféen sammen med skolens lærere.",
                   rung=2, actors=["professionals", "civil_society"], annotator="example")


class Evidence(_Record):
    """A sentence (and, for linear models, the terms) that drove a decision."""

    sentence: str
    score: float
    start: int | None = None
    end: int | None = None
    rung: int | None = None
    terms: list[tuple[str, float]] = Field(default_factory=list)


class Prediction(_Record):
    """The classify contract: one per input record, same ``id``."""

    id: str
    rung: int = Field(ge=0, le=4)
    rung_label: str
    rung_proba: list[float] = Field(min_length=5, max_length=5)
    actors: list[str] = Field(default_factory=list)
    actor_proba: dict[str, float] = Field(default_factory=dict)
    evidence: list[Evidence] = Field(default_factory=list)

    @classmethod
    def example(cls) -> "Prediction":
        return cls(id="ex-1", rung=2, rung_label="co_production_others",
                   rung_proba=[0.05, 0.05, 0.8, 0.05, 0.05], actors=["civil_society"],
                   actor_proba={"civil_society": 0.9},
                   evidence=[Evidence(sentence="Frivillige driver lektiecaféen.", score=1.2, rung=2)])


def as_dict(record: BaseModel | dict[str, Any]) -> dict[str, Any]:
    return record.model_dump() if isinstance(record, BaseModel) else dict(record)
