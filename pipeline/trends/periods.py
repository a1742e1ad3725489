"""Periods of a trend: year, quarter or municipal election term, from a record's date/year."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

PERIODS = ("year", "quarter", "term")
#: Municipal election terms (valgperioder) start on 1 January after the November election.
TERM_FIRST_YEAR = 2006
TERM_YEARS = 4

_DATE = re.compile(r"^\s*(\d{4})-(\d{2})(?:-(\d{2}))?")


def term_label(year: int) -> str:
    """The municipal election term (valgperiode) a year falls in, e.g. 2019 -> '2018-2021'."""
    start = TERM_FIRST_YEAR + TERM_YEARS * ((year - TERM_FIRST_YEAR) // TERM_YEARS)
    return f"{start}-{start + TERM_YEARS - 1}"


def period_key(year: int | None, month: int | None, period: str) -> int | None:
    """An integer per period so that ranges of periods can be filled in (None: not placeable)."""
    if year is None:
        return None
    if period == "year":
        return year
    if period == "quarter":
        return None if month is None else year * 4 + (month - 1) // 3
    return (year - TERM_FIRST_YEAR) // TERM_YEARS


def period_label(key: int, period: str) -> tuple[str, str]:
    """(label, ISO start date) of a period key."""
    if period == "year":
        return str(key), f"{key:04d}-01-01"
    if period == "quarter":
        year, q = divmod(key, 4)
        return f"{year}Q{q + 1}", f"{year:04d}-{3 * q + 1:02d}-01"
    start = TERM_FIRST_YEAR + TERM_YEARS * key
    return f"{start}-{start + TERM_YEARS - 1}", f"{start:04d}-01-01"


def year_month(record: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """(year, month) of a record from its ``date`` and/or ``year`` (an explicit year wins)."""
    date = record.get("date")
    y = m = None
    if hasattr(date, "isoformat"):  # datetime.date from a database or a Parquet date column
        date = date.isoformat()
    if isinstance(date, str):
        match = _DATE.match(date)
        if match:
            y, m = int(match.group(1)), int(match.group(2))
            if not 1 <= m <= 12:
                m = None
    year = record.get("year")
    if year is not None and year == year:  # not NaN
        try:
            year = int(year)
        except (TypeError, ValueError):
            year = None
        if year is not None and y is not None and year != y:
            m = None  # the date belongs to another year: trust the explicit year, no quarter
        y = year if year is not None else y
    return y, m


def choose_period(records: Iterable[Mapping[str, Any]], *, by: str | None = "municipality", min_support: int = 5) -> str:
    """'year' when most groups have documents in most years and enough of them per year, else 'term'.

    Sparse years (a municipality with documents every other year, or a handful a year) give
    scattered yearly dots and wide intervals; election terms pool them.
    """
    docs: dict[tuple[str, int], set[str]] = {}
    for r in records:
        if r.get("rung") is None and r.get("rung_proba") is None:
            continue
        year, date = r.get("year"), r.get("date")
        if year is None and isinstance(date, str) and date[:4].isdigit():
            year = int(date[:4])
        try:
            year = int(year)
        except (TypeError, ValueError):
            continue
        group = str(r.get(by)) if by else ""
        docs.setdefault((group, year), set()).add(str(r.get("doc_id") or r.get("id")))
    if not docs:
        return "year"
    years = [y for _, y in docs]
    n_groups = len({g for g, _ in docs})
    filled = len(docs) / ((max(years) - min(years) + 1) * n_groups)
    counts = sorted(len(ids) for ids in docs.values())
    return "year" if filled >= 0.75 and counts[len(counts) // 2] >= min_support else "term"
