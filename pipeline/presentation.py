"""One formatting layer for what people read: numbers, percentages and intervals, rung names
and definitions from the codebook, the estimate and its uncertainty in plain words, and a
Jinja2 environment with autoescaping and these filters.

The HTML report uses it; the web templates are meant to use the same functions (issue 12).
Danish (``"da"``) is the default language; ``"en"`` is for researchers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

LANGS = ("da", "en")

#: section kinds that are not classified (pipeline.segment.NOISE_SECTION_KINDS), for readers
SECTION_KINDS_DA = {"toc": "indholdsfortegnelse", "navigation": "navigation fra hjemmesiden", "attendance": "mødedeltagere og fravær",
                    "appendix_list": "bilagsliste", "case_history": "sagens tidligere behandling"}
PERIOD_NAMES = {"da": {"year": "år", "quarter": "kvartal", "term": "valgperiode"},
                "en": {"year": "year", "quarter": "quarter", "term": "election term"}}


def check_lang(lang: str) -> str:
    """``lang`` if it is one of :data:`LANGS`; a DataError naming the choices otherwise."""
    if lang not in LANGS:
        from pipeline.errors import DataError

        raise DataError(detail=f"language {lang!r}; choose one of {', '.join(LANGS)}")
    return lang


def clean_number(value: Any) -> Any:
    """A plain Python number (numpy scalars unwrapped), or None for NaN and infinity."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def _decimal(text: str, lang: str) -> str:
    return text.replace(".", ",") if lang == "da" else text


def fmt_num(value: Any, digits: int = 2, lang: str = "da") -> str:
    """'1,23' (da) / '1.23' (en); '–' for a missing number."""
    value = clean_number(value)
    if value is None:
        return "–"
    return _decimal(f"{value:.{digits}f}", lang)


def fmt_pct(value: Any, digits: int = 1, lang: str = "da") -> str:
    """A share as a percentage: '12,3 %' (da) / '12.3%' (en); '–' when missing."""
    value = clean_number(value)
    if value is None:
        return "–"
    return _decimal(f"{100 * value:.{digits}f}", lang) + (" %" if lang == "da" else "%")


def fmt_signed_pct(value: Any, digits: int = 1, lang: str = "da") -> str:
    """A difference of shares in percentage points: '+1,2 pp' / '+1.2 pp'."""
    value = clean_number(value)
    if value is None:
        return "–"
    return _decimal(f"{100 * value:+.{digits}f}", lang) + " pp"


def fmt_interval(lo: Any, hi: Any, *, pct: bool = True, digits: int | None = None, lang: str = "da") -> str:
    """A 95 % interval: '10,2–15,3 %' for shares, '1,10–1,45' for numbers; '–' when either end is missing."""
    lo, hi = clean_number(lo), clean_number(hi)
    if lo is None or hi is None:
        return "–"
    if pct:
        d = 1 if digits is None else digits
        return f"{fmt_pct(lo, d, lang).rstrip(' %')}–{fmt_pct(hi, d, lang)}".replace("%–", "–")
    d = 2 if digits is None else digits
    return f"{fmt_num(lo, d, lang)}–{fmt_num(hi, d, lang)}"


def fmt_cell(value: Any, lang: str = "da") -> str:
    """Any table cell: whole numbers without decimals, other floats with two, yes/no, None empty."""
    value = clean_number(value) if isinstance(value, float) or hasattr(value, "item") else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return ("ja" if value else "nej") if lang == "da" else ("yes" if value else "no")
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else fmt_num(value, 2, lang)
    return str(value)


#: English rung names for researchers (the codebook names rungs in Danish and by id)
RUNG_NAMES_EN = {"none": "no co-creation", "co_production_own": "co-production of one's own welfare",
                 "co_production_others": "co-production for others (volunteering)",
                 "co_initiation_dialogue": "co-initiation: consultation and dialogue", "co_design_governance": "co-design and co-governance"}


@dataclass(frozen=True)
class RungText:
    """What readers see of a rung: its code, name and definition in one language."""

    code: int
    id: str
    name: str
    definition: str

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"


def rung_texts(lang: str = "da", codebook: Any = None) -> tuple[RungText, ...]:
    """The rungs' names and definitions from the codebook (``name_da``/``definition_da`` or English)."""
    from pipeline.codebook import load_codebook

    check_lang(lang)
    codebook = codebook or load_codebook()
    out = []
    for rung in sorted(codebook.rungs, key=lambda r: r.code):
        name = rung.name_da if lang == "da" else RUNG_NAMES_EN.get(rung.id, rung.id.replace("_", " "))
        out.append(RungText(rung.code, rung.id, name, " ".join((rung.definition_da if lang == "da" else rung.definition).split())))
    return tuple(out)


# ---- the estimate and its uncertainty, in plain words -------------------------------------------------

_HOW = {"da": {
    "cc": "Tallene er en optælling af afsnittene efter modellens bedste bud på trinnet. De er ikke rettet for modellens fejl.",
    "pcc": "Tallene lægger modellens sandsynligheder for hvert trin sammen over afsnittene. De er ikke rettet for modellens fejl.",
    "acc": "Tallene er modellens optælling, rettet for de fejl modellen kendes for at lave: dem har vi målt på afsnit, "
           "som mennesker har kodet, og som modellen ikke er trænet på.",
    "pacc": "Tallene bygger på modellens sandsynligheder for hvert trin, rettet for de fejl modellen kendes for at lave: dem har "
            "vi målt på afsnit, som mennesker har kodet, og som modellen ikke er trænet på.",
    "ppi": "Tallene kombinerer modellens bud med afsnit, som mennesker har kodet, så modellens fejl er regnet med.",
}, "en": {
    "cc": "The shares count the segments by the classifier's top rung (classify and count), not corrected for its errors.",
    "pcc": "The shares sum the classifier's probabilities over the segments (probabilistic classify and count), not corrected "
           "for its errors.",
    "acc": "The shares are the classifier's counts corrected by its error rates on held-out labelled segments (adjusted count).",
    "pacc": "The shares are the classifier's probabilities corrected by its error rates on held-out labelled segments "
            "(probabilistic adjusted count).",
    "ppi": "The shares combine the classifier's output with hand-labelled segments of this corpus (prediction-powered inference).",
}}
_UNCORRECTED = ("cc", "pcc")
_SPREAD = {"da": ("Intervallet (95 %) viser kun, hvor meget tallet kunne svinge, hvis andre dokumenter fra samme periode var "
                  "med – ikke hvor meget modellen kan tage fejl. Den sande andel kan derfor ligge uden for intervallet.",
                  "Intervallet (95 %) viser, hvor meget tallet kunne svinge, både fordi andre dokumenter kunne have været med, "
                  "og fordi modellens fejl kun er målt på et begrænset antal kodede afsnit."),
           "en": ("The 95% interval covers the sampling of documents only (a bootstrap over documents), not the classifier's "
                  "errors: the true share can lie outside it.",
                  "The 95% interval covers the sampling of documents and the uncertainty of the error rates, which were "
                  "measured on a limited number of labelled segments.")}


def estimate_sentence(attrs: Mapping[str, Any], lang: str = "da") -> str:
    """How the shares were estimated and what the 95 % interval covers, without jargon in Danish."""
    estimator = str(attrs.get("estimator") or "")
    how = _HOW[lang].get(estimator, "Tallene er modellens skøn over andelen af afsnit på hvert trin." if lang == "da"
                         else "The shares are the classifier's estimate of the share of segments at each rung.")
    spread = _SPREAD[lang][0 if estimator in _UNCORRECTED else 1]
    support = attrs.get("min_support")
    if not support:
        return f"{how} {spread}"
    low = (f" Grå rækker bygger på færre end {support} dokumenter og er særligt usikre." if lang == "da"
           else f" Grey rows rest on fewer than {support} documents and are especially uncertain.")
    return f"{how} {spread}{low}"


#: (pattern, Danish note); a None note drops the warning (the rows left out get their own sentence, left_out_sentence)
_PATTERNS: tuple[tuple[re.Pattern[str], str | None], ...] = (
    (re.compile(r"were left out$"), None),  # noise, not Danish, no date: all counted in left_out
    (re.compile(r"ppi needs a labelled calibration sample"), "Der er ingen håndkodet stikprøve af disse dokumenter, så tallene "
                                                             "er modellens sandsynligheder lagt sammen, ikke rettet for dens fejl."),
    (re.compile(r"error rates come from written examples"), "Modellens fejl er målt på skrevne eksempler. På rigtige tekster "
                                                            "tager den oftere fejl, så intervallerne er for smalle."),
    (re.compile(r"the shares are the classifier's own counts"), "Andelene er modellens egen optælling og ikke rettet for dens "
                                                                "fejl. På rigtige tekster tager modellen oftere fejl end på "
                                                                "de skrevne eksempler, den er testet på."),
    (re.compile(r"needs a held-out set"), "Der var ikke nok håndkodede afsnit til at rette for modellens fejl, "
                                           "så tallene er modellens egen optælling."),
    (re.compile(r"no held-out predictions"), "Der er ingen håndkodede testafsnit ved modellen, så usikkerheden dækker kun, "
                                             "hvilke dokumenter der er med – ikke modellens fejl."),
    (re.compile(r"estimators differ by cell"), "Perioder med få afsnit er ikke rettet for modellens fejl (det kræver mindst 30 "
                                                "afsnit); for dem er tallene modellens sandsynligheder lagt sammen."),
    (re.compile(r"cells have fewer than \d+ calibration labels"), "Perioder med få håndkodede afsnit er rettet med fejlrater fra "
                                                                  "hele stikprøven, ikke kun deres egne."),
    (re.compile(r"(\d+) segments lack `vocab`"), "{0} afsnit mangler oplysning om ordforråd; »snak« og »praksis« bygger på resten."),
    (re.compile(r"`vocab`"), "For disse data ved vi ikke, hvilke afsnit der bruger samskabelsens ord, så kolonnerne "
                             "»snak« og »praksis« er tomme."),
)


def warnings_text(warnings: Sequence[str] | None, lang: str = "da") -> list[str]:
    """The trend computation's warnings for readers: Danish notes (one unknown warning gets a general note), or as given.

    The rows left out (noise, not Danish, no date) are not repeated here: :func:`left_out_sentence` says them.
    """
    if lang != "da":
        return list(dict.fromkeys(w for w in warnings or () if not _PATTERNS[0][0].search(w)))
    out: list[str] = []
    for warning in warnings or ():
        for pattern, danish in _PATTERNS:
            match = pattern.search(warning)
            if match:
                if danish is not None:
                    out.append(danish.format(*match.groups()))
                break
        else:
            out.append("Beregningen har en bemærkning, der kan påvirke tallene. Spørg den, der har sat data op, "
                       "eller se tendenstabellen fra `samskab trends`.")
    return list(dict.fromkeys(out))


def warnings_da(warnings: Sequence[str] | None) -> list[str]:
    """:func:`warnings_text` in Danish (the web pages' filter)."""
    return warnings_text(warnings, "da")


def left_out_da(left_out: Mapping[str, int] | None) -> str | None:
    """:func:`left_out_sentence` in Danish (the web pages' filter)."""
    return left_out_sentence(left_out, "da")


_LEFT_OUT = {"da": {"noise": "var mødedeltagere, indholdsfortegnelser, bilagslister o.l.", "non_danish": "var ikke på dansk",
                    "no_date": "havde ingen dato"},
             "en": {"noise": "were attendance lists, tables of contents, appendix lists and the like",
                    "non_danish": "were not in Danish", "no_date": "had no date"}}


def left_out_sentence(left_out: Mapping[str, int] | None, lang: str = "da") -> str | None:
    """One sentence on the segments the trend left out and why, or None when none were."""
    words = _LEFT_OUT[lang]
    other, conj = ("af andre grunde", " og ") if lang == "da" else ("for other reasons", " and ")
    parts = [f"{n} {words.get(reason, other)}" for reason, n in (left_out or {}).items() if n]
    if not parts:
        return None
    total = sum(n for n in (left_out or {}).values() if n)
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + conj + parts[-1]
    listed = listed if listed.endswith(".") else listed + "."
    return f"{total} afsnit er ikke talt med: {listed}" if lang == "da" else f"{total} segments are not counted: {listed}"


_TERM_STATE = {"da": {"ok": "", "neg": " (nægtet)", "dem": " (nedtonet)"},
               "en": {"ok": "", "neg": " (negated)", "dem": " (demoted)"}}
_TERM_WORDS = {"da": {"rung": "kodebogsord for trin {}", "part": "deltager", "mention": "nævnt", "actor": "aktør: {} ({})",
                      "demoting": "nedtonende ord", "participation": "ord om deltagelse"},
               "en": {"rung": "codebook cue for rung {}", "part": "taking part", "mention": "mentioned",
                      "actor": "actor: {} ({})", "demoting": "demoting word", "participation": "participation word"}}


def term_label(term: str, lang: str = "da", codebook: Any = None) -> str:
    """An evidence term as a reader sees it: words stay words; the model's codebook features
    ("cuerung:4:ok", "cue:r4_borgerbudget:ok", "actor:citizens:part") become plain phrases
    (the cue's pattern, the actor's name). Output files keep the feature ids."""
    check_lang(lang)
    kind, _, rest = term.partition(":")
    words, states = _TERM_WORDS[lang], _TERM_STATE[lang]
    if kind in ("demoting", "participation") and not rest:
        return words[kind]
    if kind not in ("cue", "cuerung", "actor") or rest.count(":") != 1:
        return term
    name, state = rest.split(":")
    if kind == "cuerung":
        return words["rung"].format(name) + states.get(state, "")
    if kind == "actor":
        actors = {a.id: a for a in _codebook(codebook).actors}
        shown = (actors[name].name_da if lang == "da" else name.replace("_", " ")) if name in actors else name
        return words["actor"].format(shown, words.get(state, state))
    pattern = _cue_patterns(_codebook(codebook)).get(name)
    return (f"»{pattern}«" if pattern else name) + states.get(state, "")


def _codebook(codebook: Any) -> Any:
    if codebook is not None:
        return codebook
    from pipeline.codebook import load_codebook

    return load_codebook()


def _cue_patterns(codebook: Any) -> dict[str, str]:
    """Cue id -> its pattern as words ("borgerbudget*" -> "borgerbudget"), built once per codebook."""
    found = _CUE_PATTERNS.get(codebook.hash)
    if found is None:
        cues = [c for r in codebook.rungs for c in r.cues]
        found = _CUE_PATTERNS[codebook.hash] = {c.id: " ".join(p.strip("*") for p in c.pattern.split() if p != "?")
                                                for c in cues}
    return found


_CUE_PATTERNS: dict[str, dict[str, str]] = {}


def environment(lang: str = "da"):  # noqa: ANN201 - a jinja2.Environment
    """A Jinja2 environment with autoescaping and the shared filters in ``lang``."""
    from jinja2 import Environment, StrictUndefined

    check_lang(lang)
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined)
    install_filters(env, lang)
    return env


def install_filters(env: Any, lang: str = "da") -> None:
    """Add the formatting filters to a Jinja2 environment (the report's, or the web app's)."""
    env.filters.update(
        pct=lambda v, digits=1: fmt_pct(v, digits, lang), num=lambda v, digits=2: fmt_num(v, digits, lang),
        signed_pct=lambda v, digits=1: fmt_signed_pct(v, digits, lang), cell=lambda v: fmt_cell(v, lang),
        interval=lambda lo, hi, pct=True: fmt_interval(lo, hi, pct=pct, lang=lang),
        estimate=lambda attrs: estimate_sentence(attrs, lang), warnings_text=lambda w: warnings_text(w, lang),
        left_out=lambda d: left_out_sentence(d, lang), term=lambda t: term_label(t, lang),
    )
