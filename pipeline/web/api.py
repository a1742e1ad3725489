"""The JSON API: classify a text, a municipality's trend, search segments (OpenAPI schema at /openapi.json)."""

from __future__ import annotations

import math
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query

from pipeline.web.check import check_text
from pipeline.web.corpus import SegmentQuery, trend_rows
from pipeline.web.deps import get_model, require_corpus
from pipeline.web.pages import PER_PAGE
from pipeline.web.schemas import Actor, ClassifyRequest, ClassifyResponse, ErrorBody, SegmentPage, TrendsResponse

ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": ErrorBody} for status in (400, 404, 413, 503)}

router = APIRouter(prefix="/api", responses=ERRORS)


@router.post("/classify", response_model=ClassifyResponse, tags=["classify"], summary="Classify a text")
def api_classify(body: ClassifyRequest, model: Any = Depends(get_model)) -> dict[str, Any]:
    """Classify a text: the document's rung and actors, every segment with probabilities and evidence.

    Evidence ``start``/``end`` are character offsets into the returned (cleaned) ``text``.
    """
    return check_text(model, body.text)


@router.get("/trends", response_model=TrendsResponse, tags=["trends"], summary="A municipality's trend and the national one")
def api_trends(municipality: str | None = Query(None, description="Municipality name; leave out for the national trend only."),
               period: Literal["year", "quarter", "term"] = "year", data: Any = Depends(require_corpus)) -> dict[str, Any]:
    """Rung shares, co-creation index and actors per period for one municipality, and the national figure."""
    names = [data.resolve(municipality)] if municipality and municipality.strip() else []
    trend = data.trends(names, period)
    return {"municipality": names[0] if names else None, "period": period, "estimator": trend.estimator,
            "estimator_reason": trend.estimator_reason, "error_source": trend.error_source, "warnings": list(trend.warnings),
            "left_out": dict(trend.left_out), "rows": trend_rows(trend.table) if names else [],
            "national": trend_rows(trend.national)}


@router.get("/segments", response_model=SegmentPage, tags=["search"], summary="Search classified segments")
def api_segments(municipality: str | None = None, rung: int | None = Query(None, ge=0, le=4), actor: Actor | None = None,
                 year: int | None = Query(None, ge=1000, le=3000), q: str | None = Query(None, max_length=200),
                 doc_id: str | None = None, page: int = Query(1, ge=1), per_page: int = Query(PER_PAGE, ge=1, le=100),
                 data: Any = Depends(require_corpus)) -> dict[str, Any]:
    """Predicted segments filtered by municipality, rung, actor, year, document and free text (case-insensitive), paginated."""
    query = SegmentQuery(municipality=data.resolve(municipality) if municipality and municipality.strip() else None,
                         rung=rung, actor=actor.value if actor else None, year=year, q=(q or "").strip() or None,
                         doc_id=doc_id or None)
    total, hits = data.search(query, page=page, per_page=per_page)
    return {"total": total, "page": page, "per_page": per_page, "pages": max(1, math.ceil(total / per_page)), "items": hits}
