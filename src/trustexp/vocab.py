"""The project's vocabulary: the keys of arms, groups, waves, outcomes and contrasts, and their words.

Ground floor: every other module takes its keys and labels from here and keeps no label table of
its own. Arms, outcomes and survey items come from the codebook (``data/codebook.yml``, read here as
plain YAML); groups, waves, contrasts and the few other terms the book prints are declared below,
in English (``lang="en"``) and Dutch (``lang="nl"``).

>>> contrast_label("eigen_regie vs regulier")
'Self-direction vs regular service'
>>> contrast_label("intensief wave 2 vs wave 0", "nl")
'Intensieve begeleiding: na twee jaar t.o.v. start'
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, Literal, NamedTuple

import yaml

Lang = Literal["en", "nl"]
LANGS: tuple[str, ...] = ("en", "nl")
CODEBOOK_PATH = Path(__file__).resolve().parent / "data" / "codebook.yml"


@cache
def codebook() -> dict[str, Any]:
    """The parsed codebook (read once; callers must not modify it)."""
    return yaml.safe_load(CODEBOOK_PATH.read_text(encoding="utf-8"))


def _check(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    return lang


def _levels(table: str, column: str) -> dict[Any, dict[str, Any]]:
    return codebook()["tables"][table]["columns"][column]["levels"]


# --------------------------------------------------------------------------- groups

ARMS: tuple[str, ...] = tuple(_levels("participants", "arm"))
"""The three arms of the lottery, in codebook order: self-direction, intensive support, control."""
CONTROL = "regulier"
TREATED: tuple[str, ...] = tuple(a for a in ARMS if a != CONTROL)
PARTICIPANTS = "participants"
NON_PARTICIPANTS = "non_participants"
GROUPS: tuple[str, ...] = (*ARMS, NON_PARTICIPANTS)
"""The groups with a colour of their own in every chart (the arms and the non-participants)."""
ALL_GROUPS: tuple[str, ...] = (*ARMS, PARTICIPANTS, NON_PARTICIPANTS)

_POOLED_LABELS = {
    PARTICIPANTS: {"en": "All participants", "nl": "Alle deelnemers"},
    NON_PARTICIPANTS: {"en": "Non-participants", "nl": "Niet-deelnemers"},
}


def group_label(key: str, lang: Lang = "en") -> str:
    """Plain words for a group key: an arm (codebook), ``participants`` or ``non_participants``.

    >>> group_label("intensief"), group_label("regulier", "nl")
    ('Intensive support', 'Reguliere dienstverlening')
    """
    _check(lang)
    if key in _POOLED_LABELS:
        return _POOLED_LABELS[key][lang]
    levels = _levels("participants", "arm")
    if key not in levels:
        raise KeyError(f"unknown group {key!r}; known: {', '.join(ALL_GROUPS)}")
    return str(levels[key][lang])


def group_labels(
    keys: tuple[str, ...] | list[str] = ALL_GROUPS, lang: Lang = "en"
) -> dict[str, str]:
    """``{key: group_label(key)}`` for several groups."""
    return {k: group_label(k, lang) for k in keys}


def in_sentence(label: str) -> str:
    """A label inside a sentence: first letter lower-cased (``"Self-direction"`` -> ``"self-direction"``)."""
    return label[:1].lower() + label[1:] if label[1:2].islower() or len(label) == 1 else label


# --------------------------------------------------------------------------- waves and months

WAVES: tuple[int, ...] = (0, 1, 2)
_WAVE_LABELS = {
    0: {"en": "Start", "nl": "Start"},
    1: {"en": "After one year", "nl": "Na een jaar"},
    2: {"en": "After two years", "nl": "Na twee jaar"},
}


def wave_label(wave: int, lang: Lang = "en") -> str:
    """``0 -> "Start"``, ``1 -> "After one year"``, ``2 -> "After two years"`` (or Dutch)."""
    return _WAVE_LABELS[int(wave)][_check(lang)]


def month_label(k: int, lang: Lang = "en") -> str:
    """A month after the lottery in words, naming the questionnaire wave it falls on.

    >>> month_label(12), month_label(36)
    ('after one year (wave 1)', 'one year after the experiment')
    """
    _check(lang)
    words = {
        12: {"en": "after one year (wave 1)", "nl": "na een jaar (meting 1)"},
        24: {"en": "after two years (wave 2)", "nl": "na twee jaar (meting 2)"},
        36: {"en": "one year after the experiment", "nl": "een jaar na het experiment"},
    }
    if k in words:
        return words[k][lang]
    return f"month {k}" if lang == "en" else f"maand {k}"


RESPONDENTS: tuple[str, ...] = tuple(_levels("survey", "respondent"))
_RESPONDENT_LABELS = {
    "participant": {"en": "Participants' own questionnaire", "nl": "Vragenlijst van de deelnemer"},
    "consultant": {"en": "Consultants' rating", "nl": "Oordeel van de consulent"},
}


def respondent_label(key: str, lang: Lang = "en") -> str:
    """Who answered a questionnaire, in words."""
    return _RESPONDENT_LABELS[key][_check(lang)]


# --------------------------------------------------------------------------- outcomes and items


def outcome_keys() -> tuple[str, ...]:
    """Every outcome key of the codebook (the results store's ``outcome`` values), in order."""
    return tuple(codebook()["outcomes"])


def outcome(key: str) -> dict[str, Any]:
    """The codebook definition of an outcome key (label, table, definition, scale, source)."""
    outcomes = codebook()["outcomes"]
    if key not in outcomes:
        raise KeyError(f"unknown outcome {key!r}; known: {', '.join(outcomes)}")
    return dict(outcomes[key])


_OTHER_MEASURES = {
    "progress": {"en": "Progress towards participation (consultant's mark)", "nl": "Voortgang richting participatie (cijfer consulent)"},
    "spending": {"en": "Participation-budget spending", "nl": "Uitgaven uit het participatiebudget"},
    "response": {"en": "Questionnaire returned", "nl": "Vragenlijst ingevuld"},
    "benefit_receipt": {"en": "Months on benefit", "nl": "Maanden in de bijstand"},
}  # fmt: skip
"""Quantities the chapters store beside the outcomes: not effects, but described and compared."""


def store_outcomes() -> tuple[str, ...]:
    """Every ``outcome`` value the results store accepts: the codebook outcomes and other measures."""
    return (*outcome_keys(), *_OTHER_MEASURES)


def outcome_label(key: str, lang: Lang = "en") -> str:
    """The label of an outcome key (``"wellbeing"`` -> ``"Life satisfaction"``), codebook first."""
    _check(lang)
    if key in _OTHER_MEASURES:
        return _OTHER_MEASURES[key][lang]
    return str(outcome(key)[f"label_{lang}"])


def outcome_plain(key: str, window: int, durable: int = 12, lang: Lang = "en") -> str:
    """A registry outcome's definition in plain words for readers (the codebook's ``plain_*``).

    >>> outcome_plain("outflow_full", 24)
    'left social assistance for full-time paid work within 24 months of the lottery date'
    """
    text = outcome(key).get(f"plain_{_check(lang)}")
    if text is None:
        raise KeyError(f"outcome {key!r} has no plain-words definition in the codebook")
    return str(text).format(window=window, durable=durable)


SHARE_ITEMS: tuple[str, ...] = ("deprived",)
"""Questionnaire items that are yes/no: analysed as shares (percent), differences in pp."""
OUTFLOW_OUTCOMES: tuple[str, ...] = ("outflow_full", "outflow_any", "outflow_durable")
UNCONFIRMED: tuple[str, ...] = (
    "health", "mental_health", "self_reliance", "social_trust", "institutional_trust",
    "financial_strain", "deprived",
)  # fmt: skip
"""Outcomes the published evaluation did not confirm (``not_confirmed`` in published.yml)."""
LOWER_IS_BETTER: tuple[str, ...] = ("financial_strain", "deprived")

DOMAINS: dict[str, tuple[str, ...]] = {
    "Work and benefit": (*OUTFLOW_OUTCOMES, "motivation"),
    "Wellbeing and health": ("wellbeing", "health", "mental_health"),
    "Social participation": ("ladder_self", "contacts", "ladder"),
    "Trust": ("social_trust", "institutional_trust"),
    "Self-reliance and poverty": ("self_reliance", "financial_strain", "deprived"),
}
"""Outcome keys grouped by domain, in the order of the book."""


def domain_of(key: str) -> str | None:
    """The domain an outcome belongs to (None if it is not an effect outcome)."""
    return next((d for d, keys in DOMAINS.items() if key in keys), None)


def survey_source(outcome: str) -> tuple[str, str]:
    """The survey column and respondent of a questionnaire outcome (codebook ``outcomes``).

    >>> survey_source("ladder_self"), survey_source("ladder"), survey_source("wellbeing")
    (('ladder', 'participant'), ('ladder', 'consultant'), ('wellbeing', 'participant'))
    """
    spec = codebook()["outcomes"].get(outcome, {})
    return str(spec.get("column", outcome)), str(spec.get("respondent", "participant"))


def _survey_item(item: str) -> dict[str, Any]:
    """The survey column of an item or of a questionnaire outcome (``ladder_self`` -> ``ladder``)."""
    column = codebook()["outcomes"].get(item, {}).get("column", item)
    return codebook()["tables"]["survey"]["columns"][column]


def outcome_unit(item: str, lang: Lang = "en") -> str:
    """Unit of a questionnaire item's means for axis titles: ``"mark, 0–10"``, ``"% of people"``."""
    _check(lang)
    if item in SHARE_ITEMS:
        return "% of people" if lang == "en" else "% van de mensen"
    spec = _survey_item(item)
    lo, hi = spec.get("range", (None, None))
    unit = spec.get("unit", "points")
    return f"{unit}, {lo}–{hi}" if lo is not None else str(unit)


def outcome_title(key: str, lang: Lang = "en") -> str:
    """An outcome with the unit of its differences, for chart titles.

    >>> outcome_title("outflow_full"), outcome_title("wellbeing")
    ('Outflow to full-time work (percentage points)', 'Life satisfaction (mark, 0–10)')
    """
    spec = outcome(key)
    if spec.get("table") != "survey" or key in SHARE_ITEMS:
        return f"{outcome_label(key, lang)} ({scale_label('pp', lang)})"
    return f"{outcome_label(key, lang)} ({outcome_unit(key, lang)})"


_UNIT_WORDS = {
    "contacts": {"en": "contacts per month", "nl": "contacten per maand"},
    "ladder": {"en": "rungs", "nl": "treden"},
    "ladder_self": {"en": "rungs", "nl": "treden"},
}


def unit_word(key: str, lang: Lang = "en") -> str:
    """The unit of a difference on an outcome's own scale, in prose: ``"rungs"``, ``"points"``."""
    return _UNIT_WORDS.get(key, {"en": "points", "nl": "punt"})[_check(lang)]


def item_label(item: str, lang: Lang = "en") -> str:
    """An outcome with its range, for tables of start scores: ``"Life satisfaction (0-10)"``.

    >>> item_label("mental_health"), item_label("deprived"), item_label("contacts")
    ('Mental health (MHI-5, 0-100)', 'Materially deprived (share)', 'Social contacts per month')
    """
    label = outcome_label(item, lang)
    if item in SHARE_ITEMS:
        return f"{label} ({'share' if lang == 'en' else 'aandeel'})"
    spec = _survey_item(item)
    lo, hi = spec.get("range", (None, None))
    if lo is None or spec.get("unit") not in ("points", "mark", "rung"):
        return label
    if label.endswith(")"):
        return f"{label[:-1]}, {lo}-{hi})"
    return f"{label} ({lo}-{hi})"


def ladder_rungs(lang: Lang = "en") -> dict[int, str]:
    """The six rungs of the participation ladder (codebook)."""
    return {int(k): str(v[_check(lang)]) for k, v in _levels("survey", "ladder").items()}


def level_labels(table: str, column: str, lang: Lang = "en") -> dict[Any, str]:
    """The codebook labels of a categorical column's levels (e.g. spending instruments)."""
    return {k: str(v[_check(lang)]) for k, v in _levels(table, column).items()}


# --------------------------------------------------------------------------- covariates

_COVARIATES = {
    "age": {"en": "Age (years)", "nl": "Leeftijd (jaren)"},
    "female": {"en": "Women (share)", "nl": "Vrouwen (aandeel)"},
    "migration_background": {"en": "Migration background (share)", "nl": "Migratieachtergrond (aandeel)"},
    "benefit_years": {"en": "Years on benefit at the index date", "nl": "Jaren in de bijstand op de peildatum"},
    "household_single": {"en": "Household: single (share)", "nl": "Huishouden: alleenstaand (aandeel)"},
    "household_single_parent": {"en": "Household: single parent (share)", "nl": "Huishouden: alleenstaande ouder (aandeel)"},
    "household_couple": {"en": "Household: couple without children (share)", "nl": "Huishouden: paar zonder kinderen (aandeel)"},
    "household_couple_children": {"en": "Household: couple with children (share)", "nl": "Huishouden: paar met kinderen (aandeel)"},
    "education_low": {"en": "Low education (share)", "nl": "Laag opgeleid (aandeel)"},
    "education_high": {"en": "High education (share)", "nl": "Hoog opgeleid (aandeel)"},
}  # fmt: skip
SHARE_COVARIATES: tuple[str, ...] = tuple(
    k for k in _COVARIATES if k not in ("age", "benefit_years")
)
"""Characteristics that are yes/no: their means are shares (shown as percentages)."""
REGISTRY_COVARIATES: tuple[str, ...] = tuple(
    k for k in _COVARIATES if not k.startswith("education")
)
"""Baseline registry characteristics known for participants and non-participants alike."""


def covariate_label(key: str, lang: Lang = "en") -> str:
    """A baseline characteristic in words: registry covariates, or a questionnaire item at the start."""
    if key in _COVARIATES:
        return _COVARIATES[key][_check(lang)]
    return item_label(key, lang)


DURATION_CLASSES: tuple[str, ...] = ("under 1 year", "1-3 years", "3-5 years", "5 years or more")
"""Classes of time on benefit at the index date (months 0-11, 12-35, 36-59, 60+)."""
DURATION_BINS: tuple[float, ...] = (0, 12, 36, 60, float("inf"))


# --------------------------------------------------------------------------- contrasts


class Contrast(NamedTuple):
    """A parsed contrast key: ``kind`` is ``between``, ``within`` or ``level``."""

    kind: str
    first: str
    second: str | None = None
    wave: int | None = None


def between(first: str, second: str) -> str:
    """The key of a contrast of two groups: ``between("eigen_regie", "regulier")``."""
    return f"{first} vs {second}"


def within(group: str, wave: int) -> str:
    """The key of a change within a group since the start: ``"eigen_regie wave 2 vs wave 0"``."""
    return f"{group} wave {int(wave)} vs wave 0"


def level(group: str) -> str:
    """The key of a level (a share or mean) of one group: ``"regulier level"``."""
    return f"{group} level"


ARM_CONTRASTS: tuple[str, ...] = tuple(between(a, CONTROL) for a in TREATED)
"""The randomised contrasts of the experimental arms against the control arm."""
PARTICIPATION = between(PARTICIPANTS, NON_PARTICIPANTS)

_GROUP = "|".join((*ARMS, PARTICIPANTS, NON_PARTICIPANTS))
CONTRAST_PATTERN = re.compile(
    rf"^(?:(?P<a>{_GROUP}) vs (?P<b>{_GROUP})"
    rf"|(?P<g>{_GROUP}) wave (?P<w>[12]) vs wave 0"
    rf"|consultant vs participant"
    rf"|(?P<l>{_GROUP}) level)$"
)
"""Every contrast key the results store accepts."""


def parse_contrast(key: str) -> Contrast:
    """Split a contrast key into its parts; raise ``ValueError`` for an unknown form."""
    m = CONTRAST_PATTERN.match(key)
    if not m:
        raise ValueError(f"not a contrast key: {key!r}")
    if m["a"]:
        return Contrast("between", m["a"], m["b"])
    if m["g"]:
        return Contrast("within", m["g"], None, int(m["w"]))
    if m["l"]:
        return Contrast("level", m["l"])
    return Contrast("between", "consultant", "participant")


_RATERS = {
    "consultant": {"en": "Consultants", "nl": "Consulenten"},
    "participant": {"en": "participants", "nl": "deelnemers"},
}
_VS = {"en": "vs", "nl": "t.o.v."}
_START = {"en": "vs start", "nl": "t.o.v. start"}


def contrast_label(key: str, lang: Lang = "en") -> str:
    """Plain words for a contrast key.

    ``"eigen_regie vs regulier"`` -> ``"Self-direction vs regular service"``;
    ``"regulier wave 2 vs wave 0"`` -> ``"Regular service: after two years vs start"``;
    ``"regulier level"`` -> ``"Regular service"``.
    """
    _check(lang)
    c = parse_contrast(key)
    if c.kind == "within":
        return (
            f"{group_label(c.first, lang)}: {in_sentence(wave_label(c.wave, lang))} {_START[lang]}"
        )
    if c.kind == "level":
        return group_label(c.first, lang)
    if c.first == "consultant":
        return f"{_RATERS['consultant'][lang]} {_VS[lang]} {_RATERS['participant'][lang]}"
    return f"{group_label(c.first, lang)} {_VS[lang]} {in_sentence(group_label(c.second, lang))}"


def contrast_group(key: str) -> str:
    """The group whose colour a contrast gets: its first group (an arm or ``participants``)."""
    return parse_contrast(key).first


# --------------------------------------------------------------------------- estimates

ESTIMATE_COLUMNS: tuple[str, ...] = (
    "contrast", "estimate", "ci_low", "ci_high", "p", "n", "method", "scale",
)  # fmt: skip
"""The columns of one estimate as statistics functions return it (the store adds chapter, outcome)."""
ROW_COLUMNS: tuple[str, ...] = ("outcome", *ESTIMATE_COLUMNS)
"""The columns of one results-store row as a chapter records it."""

# --------------------------------------------------------------------------- scales and methods

SCALES: tuple[str, ...] = (
    "pp", "points", "g", "d", "odds_ratio", "hazard_ratio", "ratio", "eur", "share", "icc",
)  # fmt: skip
"""Units of the results store's estimates (``pp`` = percentage points, 9.0 means 9 pp)."""
_SCALE_LABELS = {
    "pp": {"en": "percentage points", "nl": "procentpunt"},
    "points": {"en": "points", "nl": "punten"},
    "d": {"en": "baseline SDs", "nl": "standaarddeviaties bij de start"},
    "odds_ratio": {"en": "odds ratio", "nl": "odds ratio"},
    "hazard_ratio": {"en": "hazard ratio", "nl": "hazard ratio"},
    "ratio": {"en": "rate ratio", "nl": "verhouding"},
    "eur": {"en": "euros", "nl": "euro"},
    "share": {"en": "share", "nl": "aandeel"},
    "icc": {"en": "ICC", "nl": "ICC"},
}


def scale_label(scale: str, lang: Lang = "en") -> str:
    """A store scale in words (``"pp"`` -> ``"percentage points"``)."""
    return _SCALE_LABELS.get(scale, {}).get(_check(lang), scale)


_METHOD_LABELS = {
    "ANCOVA (baseline score)": "After two years, adjusted for the start (ANCOVA)",
    "ANCOVA (baseline score and covariates)": "After two years, adjusted for the start and background",
    "standardised difference (baseline SD)": "In standard deviations at the start",
    "MixedLM": "Mixed model: difference in change",
    "mean change": "Change since the start",
    "MDE": "Smallest difference the trial could detect",
    "difference (unadjusted)": "Difference in shares",
    "difference (covariate-adjusted)": "Difference, adjusted for background",
    "ATT (regression adjustment)": "Effect on participants (regression adjustment)",
    "ATT (IPW)": "Effect on participants (reweighting)",
    "ATT (doubly robust)": "Effect on participants (doubly robust)",
    "proportional odds": "Odds ratio of a higher rung",
    "negative binomial": "Rate ratio",
    "rating gap ANCOVA (consultant minus own rating)": "Rating gap: consultant minus own rating",
}  # fmt: skip


def method_label(method: str) -> str:
    """A reader's description of a store ``method`` (tables and chart rows); unknown methods as is."""
    return _METHOD_LABELS.get(method, method)


STAGES: dict[str, dict[str, str]] = {
    "allocated": {"en": "Allocated by the lottery", "nl": "Ingedeeld door de loting"},
    "wave_0": {"en": "Start questionnaire returned", "nl": "Startvragenlijst ingevuld"},
    "wave_1": {"en": "Questionnaire after one year returned", "nl": "Vragenlijst na een jaar ingevuld"},
    "lost_wave_1": {"en": "No questionnaire after one year", "nl": "Geen vragenlijst na een jaar"},
    "wave_2": {"en": "Questionnaire after two years returned", "nl": "Vragenlijst na twee jaar ingevuld"},
    "lost_wave_2": {"en": "No questionnaire after two years", "nl": "Geen vragenlijst na twee jaar"},
    "analysed_registry": {"en": "Analysed: benefit records (intention to treat)", "nl": "Geanalyseerd: uitkeringsgegevens (intention to treat)"},
    "analysed_survey": {"en": "Analysed: questionnaire at start and after two years", "nl": "Geanalyseerd: vragenlijst bij start en na twee jaar"},
}  # fmt: skip
"""The stages of the CONSORT flow, in order."""


def stage_label(stage: str, lang: Lang = "en") -> str:
    """A CONSORT stage in words."""
    return STAGES[stage][_check(lang)]


COMPARISON_POPULATIONS = {
    "municipal": {
        "en": "the municipality's other recipients of social assistance who were on benefit at the lottery date",
        "nl": "de andere bijstandsontvangers van de gemeente die op de lotingsdatum een uitkering hadden",
    },
    "national": {
        "en": "a national stock of recipients of social assistance on benefit at the lottery date",
        "nl": "een landelijk bestand van bijstandsontvangers met een uitkering op de lotingsdatum",
    },
}  # fmt: skip
"""Who the non-participants are, by the parameter set's ``cohort.comparison``."""


COMPONENTS = {
    "participation": {"en": "1. Taking part: vs non-participants", "nl": "1. Meedoen: t.o.v. niet-deelnemers"},
    "participation + trend": {"en": "1. Taking part + trend: own change, start to year 2", "nl": "1. Meedoen + trend: eigen verandering, start tot jaar 2"},
    "treatment": {"en": "2. Arm: vs regular service (lottery)", "nl": "2. Groep: t.o.v. reguliere dienstverlening (loting)"},
}  # fmt: skip
"""The two kinds of contrast the Hawthorne chapter sets side by side."""


def component_label(component: str, lang: Lang = "en") -> str:
    """A kind of contrast of the Hawthorne chapter in words."""
    return COMPONENTS[component][_check(lang)]
