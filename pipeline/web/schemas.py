"""The JSON API's record types (pydantic), shared by the API router and its OpenAPI schema."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, Field, field_validator

from pipeline.codebook import ACTOR_IDS
from pipeline.io import lone_surrogate
from pipeline.records import Evidence


class Actor(str, Enum):
    """Actor ids of the codebook (for the API's query validation and schema)."""

    politicians = "politicians"
    administration = "administration"
    professionals = "professionals"
    citizens = "citizens"
    civil_society = "civil_society"
    businesses = "businesses"


assert tuple(a.value for a in Actor) == ACTOR_IDS  # noqa: S101 - the codebook fixes the six ids



class SegmentResult(BaseModel):
    """One segment; noise (``section_kind`` toc, navigation, attendance, ...) is not classified: rung null, skipped "noise"."""

    id: str
    position: int
    section: str | None = None
    section_kind: str | None = None
    item: str | None = Field(None, description="The title of the agenda item the segment belongs to (minutes), when known.")
    start: int
    end: int
    text: str
    rung: int | None
    rung_label: str | None
    rung_proba: list[float] | None
    actors: list[str]
    actor_proba: dict[str, float]
    evidence: list[Evidence]
    skipped: str | None = None


class DocumentResult(BaseModel):
    rung: int
    rung_label: str
    rung_name_da: str
    rung_proba: list[float]
    actors: list[str]
    n_segments: int
    segment_rung_counts: list[int]
    evidence: list[Evidence]


class ClassifyRequest(BaseModel):
    text: str = Field(description="The text to classify (Danish).", examples=["Byrådet nedsætter et § 17, stk. 4-udvalg med borgere og foreninger."])

    @field_validator("text")
    @classmethod
    def _valid_unicode(cls, value: str) -> str:
        """JSON may carry lone surrogates (``"\\ud800"``), which are not text; refuse them instead of failing later."""
        found = lone_surrogate(value, "the text")
        if found:
            raise ValueError(f"{found}; send valid Unicode")
        return value


class ClassifyResponse(BaseModel):
    model: str
    text: str = Field(description="The text after cleaning; all offsets refer to it.")
    document: DocumentResult
    segments: list[SegmentResult]


class TrendRow(BaseModel):
    """One period of a trend (see pipeline.trends.TREND_COLUMNS); missing figures are null."""

    municipality: str | None = None
    period: str
    period_start: str
    n_documents: int
    n_segments: int
    low_support: bool
    share_rung: list[float | None]
    share_rung_lo: list[float | None]
    share_rung_hi: list[float | None]
    uncertain_share: float | None = None
    share_ge3: float | None = None
    share_ge3_lo: float | None = None
    share_ge3_hi: float | None = None
    share_docs_ge3: float | None = None
    mean_rung: float | None = None
    mean_rung_lo: float | None = None
    mean_rung_hi: float | None = None
    actors: dict[str, float | None]
    talk_share: float | None = None
    practice_share: float | None = None
    diff_national_share_ge3: float | None = None
    diff_national_mean_rung: float | None = None


class TrendsResponse(BaseModel):
    municipality: str | None
    period: str
    estimator: str
    estimator_reason: str | None = None
    error_source: str | None = Field(None, description="Where the error rates that correct the shares come from, in words.")
    warnings: list[str]
    left_out: dict[str, int] = Field(default_factory=dict, description="Segments not counted, by reason (noise, non_danish, no_date).")
    rows: list[TrendRow]
    national: list[TrendRow]


class SegmentHit(BaseModel):
    id: str
    doc_id: str | None = None
    municipality: str | None = None
    year: int | None = None
    date: str | None = None
    rung: int
    rung_label: str | None = None
    rung_proba: list[float] | None = None
    actors: list[str]
    text: str | None = None
    title: str | None = None
    url: str | None = None
    evidence: list[Evidence]


class SegmentPage(BaseModel):
    total: int
    page: int
    per_page: int
    pages: int
    items: list[SegmentHit]


class ErrorBody(BaseModel):
    detail: str
    suggestions: list[str] = Field(default_factory=list)

