"""The record types that flow between stages, named once.

Stages pass plain dicts in hot loops (classification of millions of segments); the
TypedDicts below are the types of those dicts: no cost at run time, checked by a type
checker and read by people. ``total=False``: a stage adds fields, old files lack new ones,
and extra metadata passes through. Validation happens at the edges only (label files in
pipeline.labels, the config, the web API), where pydantic models are used; ``Evidence`` is
the one the API shares. The field-name constants here are the one list each module uses.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

#: Document metadata a user may give (table columns, manifest, API) and ingest keeps.
DOCUMENT_META = ("municipality", "date", "year", "doc_type", "title", "committee", "url")
#: Document metadata that every segment carries (copied when a document is segmented).
SEGMENT_META = ("municipality", "date", "year", "doc_type")
#: Input fields that classify copies into each prediction record.
PASSTHROUGH = ("doc_id", *SEGMENT_META, "committee", "title", "url", "source_path", "position", "section", "section_kind")


class DocumentRecord(TypedDict, total=False):
    """One source document (a referat, a project description, a news page...)."""

    id: str
    text: str
    municipality: str | None
    date: str | None          # ISO YYYY-MM-DD when known
    year: int | None
    doc_type: str | None
    title: str | None
    committee: str | None
    url: str | None
    source_path: str | None
    content_hash: str
    file_hash: str | None
    inferred: list[str]       # metadata fields that were inferred, not given
    flags: list[str]          # quality flags, e.g. non_danish, mojibake_repaired


class SegmentRecord(TypedDict, total=False):
    """A unit of classification: a paragraph, or one agenda item of council minutes."""

    id: str
    doc_id: str | None
    text: str
    position: int
    section: str | None
    item: str | None
    start: int | None         # character offsets into the document text
    end: int | None
    section_kind: str         # pipeline.segment.SECTION_KINDS; missing = content
    municipality: str | None
    date: str | None
    year: int | None
    doc_type: str | None


class EvidenceRecord(TypedDict, total=False):
    """A sentence (and, for linear models, the terms) that drove a decision."""

    sentence: str
    score: float
    start: int | None
    end: int | None
    rung: int | None
    terms: list[tuple[str, float]]


class PredictionRecord(TypedDict, total=False):
    """The classify contract: one per input record, same ``id``, plus the PASSTHROUGH fields.

    A noise segment has rung, rung_label and rung_proba None, no actors and ``skipped="noise"``.
    """

    id: str
    rung: int | None
    rung_label: str | None
    rung_proba: list[float] | None   # 5 floats
    actors: list[str]
    actor_proba: dict[str, float] | None
    evidence: list[EvidenceRecord]
    vocab: bool
    lang: str                        # ISO 639-1, or "und"
    skipped: Literal["noise"]
    section_kind: str
    doc_id: str | None
    municipality: str | None
    date: str | None
    year: int | None
    doc_type: str | None


class LabelRecord(TypedDict, total=False):
    """A gold (human) or silver (rule/model) label for one segment, validated by pipeline.labels."""

    id: str
    text: str
    rung: int
    actors: list[str]
    genre: str | None
    topic: str | None
    municipality: str | None
    year: int | None
    source: str | None
    annotator: str | None


class Evidence(BaseModel):
    """Evidence at the API edge (validated): see EvidenceRecord."""

    model_config = ConfigDict(extra="allow")

    sentence: str
    score: float
    start: int | None = None
    end: int | None = None
    rung: int | None = None
    terms: list[tuple[str, float]] = Field(default_factory=list)
