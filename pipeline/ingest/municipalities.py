"""The 98 Danish municipalities and the many ways documents name them.

Names come from ``data/municipalities.csv`` (kommunekode, name, region, variants). Lookup
is forgiving about case, hyphens, "Kommune(s)" and æ/ø/å spelled ae/oe/aa, because file
paths and portals spell them every way ("koebenhavn", "Høje Taastrup", "Århus").
"""

from __future__ import annotations

import csv
import functools
import re
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from pipeline import DATA_DIR
from pipeline.errors import DataError, UnknownMunicipalityError

MUNICIPALITIES_CSV = DATA_DIR / "municipalities.csv"

# bare names that are also ordinary Danish words ("vejen" = the road, "tønder" = barrels):
# in running text they only count when followed by "Kommune"
_AMBIGUOUS = {"Vejen", "Tønder", "Varde", "Greve", "Skive", "Odder", "Lejre", "Struer", "Assens", "Faxe"}
_TRANSLIT = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e"})


class Municipality(NamedTuple):
    code: str
    name: str
    region: str
    variants: tuple[str, ...]


def _key(text: str) -> str:
    """Case-, hyphen- and æøå-insensitive key: 'Høje-Taastrup Kommunes' -> 'hoejetaastrup'."""
    text = text.lower().strip().rstrip(".")
    text = re.sub(r"\s+(regions)?kommunes?$", "", text)
    text = text.translate(_TRANSLIT)
    return re.sub(r"[^a-z0-9]", "", text)


@functools.lru_cache(maxsize=1)
def load_municipalities(path: Path | None = None) -> tuple[Municipality, ...]:
    """Read the municipality table once per process."""
    path = path or MUNICIPALITIES_CSV
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError as e:
        raise DataError(detail=f"{path}: municipality table not found; it ships with the repository (data/municipalities.csv)") from e
    return tuple(
        Municipality(r["kommunekode"], r["name"], r["region"], tuple(v for v in (r["variants"] or "").split("|") if v))
        for r in rows
    )


@functools.lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for m in load_municipalities():
        for form in (m.name, m.code, *m.variants):
            index.setdefault(_key(form), m.name)
    return index


def resolve_municipality(value: str | None) -> str | None:
    """Canonical name for any known spelling ('Kbh.' -> 'København'); None if unknown."""
    if value is None or not str(value).strip():
        return None
    return _index().get(_key(str(value)))


def require_municipality(value: str, *, where: str) -> str:
    """Like ``resolve_municipality`` but an unknown name is an error naming ``where``."""
    name = resolve_municipality(value)
    if name is None:
        raise UnknownMunicipalityError(where=where, value=value)
    return name


@functools.lru_cache(maxsize=1)
def _text_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    forms: dict[str, str] = {}
    for m in load_municipalities():
        for form in (m.name, *m.variants):
            forms[form] = m.name
    alternatives = sorted(forms, key=len, reverse=True)
    body = "|".join(re.escape(f) for f in alternatives)
    # a following "Kommune(s)" is captured so that it can weigh more (and unlock ambiguous names)
    pattern = re.compile(rf"(?<![\w-])(?P<name>{body})(?![\w-])(?P<kommune>\s+(?:Regions)?[Kk]ommunes?\b)?")
    return pattern, forms


def find_municipality_in_text(text: str, *, limit: int = 20000) -> str | None:
    """The municipality a text is most about: mentions counted, 'X Kommune' weighs 3."""
    pattern, forms = _text_pattern()
    scores: Counter[str] = Counter()
    first: dict[str, int] = {}
    for match in pattern.finditer(text[:limit]):
        form = match.group("name")
        name = forms[form]
        suffixed = bool(match.group("kommune")) or "ommune" in form or form == "Borgerrepræsentationen"
        if form in _AMBIGUOUS and not suffixed:
            continue
        scores[name] += 3 if suffixed else 1
        first.setdefault(name, match.start())
    if not scores:
        return None
    return max(scores, key=lambda n: (scores[n], -first[n]))


@functools.lru_cache(maxsize=1)
def _path_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    forms: dict[str, str] = {}
    for m in load_municipalities():
        for form in (m.name, *m.variants):
            key = form.lower().translate(_TRANSLIT)
            key = re.sub(r"\s+(regions)?kommunes?$", "", key).rstrip(".")
            if len(key) >= 3:
                forms[re.sub(r"[^a-z0-9]+", "-", key)] = m.name
    alternatives = sorted(forms, key=len, reverse=True)
    body = "|".join(re.escape(f).replace("\\-", "[-_ ]?") for f in alternatives)
    return re.compile(rf"(?<![a-z0-9])(?P<name>{body})(?![a-z0-9])"), forms


def find_municipality_in_path(path: str | Path, *, parts: int = 3) -> str | None:
    """Municipality named in the last ``parts`` components of a path ('kbh/referat.pdf')."""
    tail = "/".join(Path(path).parts[-parts:]).lower().translate(_TRANSLIT)
    pattern, forms = _path_pattern()
    found = [m.group("name") for m in pattern.finditer(tail)]
    for form in reversed(found):  # the deepest mention wins (file name over folder)
        key = re.sub(r"[-_ ]", "-", form)
        name = forms.get(key) or resolve_municipality(form)
        if name:
            return name
    return None
