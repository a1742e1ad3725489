"""Danish words for the pages: the estimate and its uncertainty in plain language, and the
trend computation's warnings as Danish notes (the computation itself speaks English)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: what each estimator does, said without jargon
_HOW = {
    "cc": "Tallene er en optælling af afsnittene efter modellens bedste bud på trinnet. De er ikke rettet for modellens fejl.",
    "pcc": "Tallene lægger modellens sandsynligheder for hvert trin sammen over afsnittene. De er ikke rettet for modellens fejl.",
    "acc": "Tallene er modellens optælling, rettet for de fejl modellen kendes for at lave: dem har vi målt på afsnit, "
           "som mennesker har kodet, og som modellen ikke er trænet på.",
    "pacc": "Tallene bygger på modellens sandsynligheder for hvert trin, rettet for de fejl modellen kendes for at lave: dem har "
            "vi målt på afsnit, som mennesker har kodet, og som modellen ikke er trænet på.",
    "ppi": "Tallene kombinerer modellens bud med afsnit, som mennesker har kodet, så modellens fejl er regnet med.",
}
_UNCORRECTED = ("cc", "pcc")
#: section kinds that are not classified (pipeline.segment.NOISE_SECTION_KINDS), for readers
SECTION_KINDS_DA = {"toc": "indholdsfortegnelse", "navigation": "navigation fra hjemmesiden", "attendance": "mødedeltagere og fravær",
                    "appendix_list": "bilagsliste", "case_history": "sagens tidligere behandling"}


def estimate_sentence(attrs: Mapping[str, Any]) -> str:
    """A plain Danish account of how the shares were estimated and what the 95 % interval covers."""
    estimator = str(attrs.get("estimator") or "")
    how = _HOW.get(estimator, "Tallene er modellens skøn over andelen af afsnit på hvert trin.")
    if estimator in _UNCORRECTED:
        spread = ("Intervallet (95 %) viser kun, hvor meget tallet kunne svinge, hvis andre dokumenter fra samme periode var "
                  "med – ikke hvor meget modellen kan tage fejl. Den sande andel kan derfor ligge uden for intervallet.")
    else:
        spread = ("Intervallet (95 %) viser, hvor meget tallet kunne svinge, både fordi andre dokumenter kunne have været med, "
                  "og fordi modellens fejl kun er målt på et begrænset antal kodede afsnit.")
    support = attrs.get("min_support")
    low = f" Grå rækker bygger på færre end {support} dokumenter og er særligt usikre." if support else ""
    return f"{how} {spread}{low}"


#: (pattern, Danish note); a None note drops the warning (the rows left out get their own sentence, left_out_da)
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
    (re.compile(r"(\d+) segments lack `vocab`"), "{0} afsnit mangler oplysning om ordforråd; »snak« og »praksis« bygger på resten."),
    (re.compile(r"`vocab`"), "For disse data ved vi ikke, hvilke afsnit der bruger samskabelsens ord, så kolonnerne "
                             "»snak« og »praksis« er tomme."),
)


def warnings_da(warnings: list[str] | tuple[str, ...] | None) -> list[str]:
    """The trend computation's warnings in Danish; one not known here gets a general Danish note."""
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


_LEFT_OUT_DA = {"noise": "var mødedeltagere, indholdsfortegnelser, bilagslister o.l.", "non_danish": "var ikke på dansk",
                "no_date": "havde ingen dato"}


def left_out_da(left_out: Mapping[str, int] | None) -> str | None:
    """One Danish sentence on the segments the trend left out and why, or None when none were."""
    parts = [f"{n} {_LEFT_OUT_DA.get(reason, 'af andre grunde')}" for reason, n in (left_out or {}).items() if n]
    if not parts:
        return None
    total = sum(n for n in (left_out or {}).values() if n)
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " og " + parts[-1]
    return f"{total} afsnit er ikke talt med: {listed}" + ("" if listed.endswith(".") else ".")
