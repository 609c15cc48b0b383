"""Verdicts: from an estimate, its 95 % interval and the analysis plan to a judgement and its words.

Judgement floor. Every sentence of the book that states a direction ("higher", "rose", "more
often") or a verdict ("a clear gain", "too imprecise to tell", "equivalent") takes its words from
here, so that it stays true when the data say the opposite. The codes are stored with each estimate
in the results store (column ``verdict``), so the summaries and any reader of the store use the
same judgement.

Codes (``judge``):

* ``gain`` / ``loss``: the whole interval lies on the better / worse side of no difference (for
  outcomes where lower is better, such as difficulty making ends meet, a drop is a gain);
* ``higher`` / ``lower``: the same for a comparison without a better side (a rating gap, a
  response rate, spending);
* ``equivalent``: the interval lies inside plus or minus the outcome's declared margin (the
  analysis plan's ``equivalence_margins``): any difference is smaller than what would matter;
* ``imprecise``: none of these - the data allow both a difference that matters and none.

The interval judged is the estimate's 95 % confidence interval, the one the reader sees; for
equivalence that is a two one-sided test at 2.5 % each (stricter than the usual 5 %).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from trustexp import fmt
from trustexp.vocab import LOWER_IS_BETTER, parse_contrast

CODES: tuple[str, ...] = ("gain", "loss", "higher", "lower", "equivalent", "imprecise")
RATIO_SCALES: tuple[str, ...] = ("odds_ratio", "hazard_ratio", "ratio")
"""Scales on which no difference is 1, not 0."""
JUDGED_SCALES: tuple[str, ...] = ("pp", "points", "d", "g", "eur", *RATIO_SCALES)
"""Scales of differences that get a verdict (levels, shares of a group, ICCs and MDEs do not)."""
NEUTRAL_OUTCOMES: tuple[str, ...] = ("spending", "response", "progress")
"""Outcomes compared without a better side."""


class Verdict(NamedTuple):
    """A judgement ``code`` and the ``sign`` of the estimate it rests on (+1, -1 or 0)."""

    code: str
    sign: int

    @property
    def clear(self) -> bool:
        """True when the interval excludes no difference (gain, loss, higher or lower)."""
        return self.code in ("gain", "loss", "higher", "lower")


def better_direction(outcome: str, contrast: str = "") -> int:
    """+1 when a higher value is better, -1 when lower is better, 0 when neither is.

    >>> better_direction("wellbeing"), better_direction("financial_strain"), better_direction("spending")
    (1, -1, 0)
    """
    if outcome in NEUTRAL_OUTCOMES or contrast == "consultant vs participant":
        return 0
    return -1 if outcome in LOWER_IS_BETTER else 1


def judge(
    estimate: float,
    ci_low: float,
    ci_high: float,
    *,
    better: int = 1,
    margin: float | None = None,
    null: float = 0.0,
) -> Verdict:
    """The verdict of one estimate with its 95 % CI (see the module docstring for the codes).

    ``margin`` (on the estimate's scale, around ``null``) enables ``equivalent``; ``null`` is 1 for
    ratios. A missing interval gives ``imprecise`` with sign 0.

    >>> judge(4.0, 1.0, 7.0).code, judge(-4.0, -7.0, -1.0, better=-1).code
    ('gain', 'gain')
    >>> judge(0.5, -1.0, 2.0, margin=3.0).code, judge(0.5, -4.0, 5.0, margin=3.0).code
    ('equivalent', 'imprecise')
    """
    values = (estimate, ci_low, ci_high)
    if any(v is None or not math.isfinite(float(v)) for v in values):
        return Verdict("imprecise", 0)
    lo, hi = float(ci_low), float(ci_high)
    if lo > null or hi < null:
        sign = 1 if lo > null else -1
        if better == 0:
            return Verdict("higher" if sign > 0 else "lower", sign)
        return Verdict("gain" if sign == better else "loss", sign)
    if margin is not None and math.isfinite(margin) and null - margin < lo and hi < null + margin:
        return Verdict("equivalent", 0)
    return Verdict("imprecise", 0)


UNJUDGED_METHODS: tuple[str, ...] = (
    "MDE",
    "permutation",
    "Lee bound",
    "simulation",
    "bound",
    "cost per extra exit",
)
"""Method prefixes of rows that are not an estimate with its 95 % interval (a detectable effect, a
p-value, a bound, a simulation summary, a ratio of costs): they get no verdict."""


def judged(row: Mapping | pd.Series, margins: Mapping[str, float] | None = None) -> bool:
    """Whether a store row gets a verdict: an estimate with a finite 95 % interval of a contrast
    between or within groups, on a difference scale (not a ``UNJUDGED_METHODS`` row)."""
    if row.get("scale") not in JUDGED_SCALES:
        return False
    if str(row.get("method", "")).startswith(UNJUDGED_METHODS):
        return False
    lo, hi = row.get("ci_low"), row.get("ci_high")
    if lo is None or hi is None or not (math.isfinite(float(lo)) and math.isfinite(float(hi))):
        return False
    try:
        kind = parse_contrast(str(row.get("contrast"))).kind
    except ValueError:
        return False
    return kind in ("between", "within")


def row_verdict(row: Mapping | pd.Series, margins: Mapping[str, float] | None = None) -> Verdict:
    """The verdict of one results-store row (margins by outcome, for between-group contrasts)."""
    outcome, contrast, scale = str(row["outcome"]), str(row["contrast"]), str(row["scale"])
    margin = None
    if margins and scale in ("pp", "points") and parse_contrast(contrast).kind == "between":
        margin = margins.get(outcome)
    return judge(
        row["estimate"], row["ci_low"], row["ci_high"],
        better=better_direction(outcome, contrast), margin=margin,
        null=1.0 if scale in RATIO_SCALES else 0.0,
    )  # fmt: skip


def annotate(rows: pd.DataFrame, margins: Mapping[str, float] | None = None) -> pd.DataFrame:
    """``rows`` with a ``verdict`` column: the code of every judged row, empty (None) otherwise."""
    codes = [row_verdict(r, margins).code if judged(r) else None for r in rows.to_dict("records")]
    return rows.assign(verdict=pd.Series(codes, index=rows.index, dtype="object"))


def margins_of(plan) -> dict[str, float]:
    """``{outcome: margin}`` from the analysis plan's ``equivalence_margins``."""
    return {k: float(v.margin) for k, v in plan.equivalence_margins.items()}


# --------------------------------------------------------------------------- words

_COMPARATIVE = {
    "en": {1: "higher", -1: "lower", 0: "not clearly different"},
    "nl": {1: "hoger", -1: "lager", 0: "niet duidelijk anders"},
}
_OFTEN = {
    "en": {1: "more often", -1: "less often", 0: "not clearly more or less often"},
    "nl": {1: "vaker", -1: "minder vaak", 0: "niet duidelijk vaker of minder vaak"},
}
_CHANGE = {
    "en": {1: "rose", -1: "fell", 0: "did not clearly change"},
    "nl": {1: "steeg", -1: "daalde", 0: "veranderde niet duidelijk"},
}
_JUDGEMENT = {
    "en": {
        "gain": "a clear gain", "loss": "a clear loss", "higher": "clearly higher",
        "lower": "clearly lower", "equivalent": "no difference that matters (within the margin)",
        "imprecise": "too imprecise to tell",
    },
    "nl": {
        "gain": "een duidelijke verbetering", "loss": "een duidelijke verslechtering",
        "higher": "duidelijk hoger", "lower": "duidelijk lager",
        "equivalent": "geen verschil dat ertoe doet (binnen de marge)",
        "imprecise": "te onzeker om iets over te zeggen",
    },
}  # fmt: skip


def _sign(v: Verdict) -> int:
    return v.sign if v.clear else 0


def comparative(v: Verdict, lang: str = "en") -> str:
    """``higher`` / ``lower`` / ``not clearly different`` (from the interval, not the point)."""
    return _COMPARATIVE[lang][_sign(v)]


def how_often(v: Verdict, lang: str = "en") -> str:
    """``more often`` / ``less often`` / ``not clearly more or less often``."""
    return _OFTEN[lang][_sign(v)]


def change(v: Verdict, lang: str = "en") -> str:
    """``rose`` / ``fell`` / ``did not clearly change`` (a change over time)."""
    return _CHANGE[lang][_sign(v)]


def judgement(v: Verdict, lang: str = "en") -> str:
    """The verdict as a noun phrase: ``a clear gain``, ``too imprecise to tell``, ..."""
    return _JUDGEMENT[lang][v.code]


def allowed_range(
    ci_low: float, ci_high: float, scale: str, lang: str = "en", unit: str = ""
) -> str:
    """What the interval still allows, in words: ``anything from -5.0 to +9.0 percentage points``.

    >>> allowed_range(-5.04, 9.0, "pp")
    'anything from -5.0 to +9.0 percentage points'
    """
    if scale == "pp":
        lo, hi = fmt.num(ci_low, 1, signed=True), fmt.num(ci_high, 1, signed=True)
        unit = " percentage points" if lang == "en" else " procentpunt"
    else:
        lo, hi = fmt.num(ci_low, signed=True), fmt.num(ci_high, signed=True)
    if lang == "nl":
        return f"alles van {fmt.nl(lo)} tot {fmt.nl(hi)}{unit}"
    return f"anything from {lo} to {hi}{unit}"


def verdict_sentence(
    v: Verdict, ci_low: float, ci_high: float, scale: str, lang: str = "en", unit: str = ""
) -> str:
    """The judgement, with the range the interval allows when it is imprecise.

    >>> verdict_sentence(Verdict("imprecise", 0), -5, 9, "pp")
    'too imprecise to tell (the data allow anything from -5.0 to +9.0 percentage points)'
    """
    text = judgement(v, lang)
    if v.code == "imprecise" and np.isfinite([ci_low, ci_high]).all():
        allow = "the data allow" if lang == "en" else "de gegevens laten"
        tail = "" if lang == "en" else " open"
        text += f" ({allow} {allowed_range(ci_low, ci_high, scale, lang, unit)}{tail})"
    return text
