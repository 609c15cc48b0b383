"""Answers to the municipality's questions, in English and Dutch, read from the results store.

One ``Answer`` per policy question ("does self-direction raise outflow to work?"): the store row the
analysis plan judges, its verdict (``trustexp.verdicts``: the code stored with the row), the range
the interval still allows and what the design could detect (the robustness chapter's MDE). The
summary, the samenvatting, the conclusions and the landing page all take their sentences from here,
so every direction and verdict word they print follows the numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from trustexp import fmt, verdicts
from trustexp.chapters.common import estimate_text
from trustexp.results import find_row
from trustexp.vocab import CONTROL, NON_PARTICIPANTS, PARTICIPANTS, TREATED, between, unit_word

ATT_METHOD = "ATT (doubly robust)"
"""The estimate of the effect of taking part (outflow chapter)."""

QUESTION_OUTCOMES: tuple[str, ...] = (
    "outflow_full", "wellbeing", "ladder_self", "contacts", "motivation", "health",
    "mental_health", "self_reliance", "social_trust", "institutional_trust", "financial_strain",
    "deprived",
)  # fmt: skip
"""The outcomes the conclusions answer for, in the order of the municipality's questions."""
HEADLINE_OUTCOMES: tuple[str, ...] = (
    "outflow_full",
    "wellbeing",
    "ladder_self",
    "motivation",
    "health",
)
"""Outcomes with a question of their own; the rest are answered together."""

PHRASE: dict[str, dict[str, str]] = {
    "outflow_full": {"en": "outflow to full-time work", "nl": "de uitstroom naar voltijds werk"},
    "wellbeing": {"en": "life satisfaction (wellbeing)", "nl": "het welbevinden (tevredenheid met het leven)"},
    "ladder_self": {"en": "social participation (the participants' own rung on the participation ladder)",
                    "nl": "de maatschappelijke participatie (eigen trede op de participatieladder)"},
    "contacts": {"en": "the number of social contacts", "nl": "het aantal sociale contacten"},
    "motivation": {"en": "motivation to work", "nl": "de motivatie om te werken"},
    "health": {"en": "self-rated health", "nl": "de ervaren gezondheid"},
    "mental_health": {"en": "mental health", "nl": "de mentale gezondheid"},
    "self_reliance": {"en": "self-reliance", "nl": "de zelfredzaamheid"},
    "social_trust": {"en": "trust in other people", "nl": "het vertrouwen in andere mensen"},
    "institutional_trust": {"en": "trust in institutions", "nl": "het vertrouwen in instanties"},
    "financial_strain": {"en": "difficulty making ends meet", "nl": "de moeite om rond te komen"},
    "deprived": {"en": "material deprivation", "nl": "de materiële tekorten"},
}  # fmt: skip
SUBJECT: dict[str, dict[str, str]] = {
    "eigen_regie": {"en": "Self-direction", "nl": "Eigen regie"},
    "intensief": {"en": "Intensive support", "nl": "Intensieve begeleiding"},
    PARTICIPANTS: {"en": "Taking part", "nl": "Meedoen"},
}
COMPARISON: dict[str, dict[str, str]] = {
    CONTROL: {"en": "regular service", "nl": "de reguliere dienstverlening"},
    NON_PARTICIPANTS: {"en": "comparable people who did not take part",
                       "nl": "vergelijkbare mensen die niet meededen"},
}  # fmt: skip


@dataclass(frozen=True)
class Question:
    """One question: ``subject`` (an arm, or ``participants``) against ``reference`` on ``outcome``."""

    outcome: str
    subject: str
    reference: str

    @property
    def key(self) -> str:
        """Glue-name part: ``outflow_full_eigen_regie``, ``outflow_full_participants``."""
        return f"{self.outcome}_{self.subject}"

    @property
    def contrast(self) -> str:
        return between(self.subject, self.reference)

    @property
    def lottery(self) -> bool:
        """True for a comparison the lottery decided (arm against regular service)."""
        return self.reference == CONTROL


QUESTIONS: tuple[Question, ...] = (
    *(Question(o, a, CONTROL) for o in QUESTION_OUTCOMES for a in TREATED),
    Question("outflow_full", PARTICIPANTS, NON_PARTICIPANTS),
)


@dataclass(frozen=True)
class Answer:
    """A question with its store row, verdict, margin and minimum detectable effect."""

    question: Question
    row: pd.Series | None
    verdict: verdicts.Verdict
    margin: float | None
    mde: float | None

    def figure(self, lang: str = "en") -> str:
        """The estimate with its 95 % CI in words of the outcome's unit."""
        r = self.row
        if r is None:
            return "not estimated" if lang == "en" else "niet geschat"
        unit = "" if r["scale"] == "pp" else f" {unit_word(self.question.outcome, lang)}"
        return estimate_text(r["estimate"], r["ci_low"], r["ci_high"], r["scale"], lang, unit)

    def allowed(self, lang: str = "en") -> str:
        """What the interval still allows: ``anything from -5.0 to +9.0 percentage points``."""
        r = self.row
        if r is None:
            return "n/a"
        unit = "" if r["scale"] == "pp" else f" {unit_word(self.question.outcome, lang)}"
        return verdicts.allowed_range(r["ci_low"], r["ci_high"], r["scale"], lang, unit)

    def _amount(self, value: float | None, lang: str) -> str:
        if value is None or not np.isfinite(value) or self.row is None:
            return "n/a"
        if self.row["scale"] == "pp":
            return fmt.pp_nl(value) if lang == "nl" else fmt.pp(value)
        text = f"{fmt.num(value)} {unit_word(self.question.outcome, lang)}"
        return fmt.nl(text) if lang == "nl" else text

    def margin_text(self, lang: str = "en") -> str:
        """The declared margin in the outcome's unit (``5.0 percentage points``)."""
        return self._amount(self.margin, lang)

    def mde_text(self, lang: str = "en") -> str:
        """The minimum detectable effect in the outcome's unit, or ``n/a``."""
        return self._amount(self.mde, lang)

    def verdict_words(self, lang: str = "en") -> str:
        """The verdict as a noun phrase (``too imprecise to tell``)."""
        return verdicts.judgement(self.verdict, lang) if self.row is not None else (
            "not estimated" if lang == "en" else "niet geschat")  # fmt: skip

    def sentence(self, lang: str = "en") -> str:
        """The answer in one sentence, its verb and verdict decided by the interval."""
        q = self.question
        subj = SUBJECT[q.subject][lang]
        low = subj[:1].lower() + subj[1:]
        phrase, comp = PHRASE[q.outcome][lang], COMPARISON[q.reference][lang]
        fig = self.figure(lang)
        if self.row is None:
            return (f"{subj} against {comp}, {phrase}: not estimated." if lang == "en"
                    else f"{subj} ten opzichte van {comp}, {phrase}: niet geschat.")  # fmt: skip
        v = self.verdict
        if v.clear:
            tail = "" if v.code in ("higher", "lower") else f", {verdicts.judgement(v, lang)}"
            if lang == "nl":
                verb = "verhoogde" if v.sign > 0 else "verlaagde"
                return f"{subj} {verb} {phrase} ten opzichte van {comp}: {fig}{tail}."
            verb = "raised" if v.sign > 0 else "lowered"
            return f"{subj} {verb} {phrase} compared with {comp}: {fig}{tail}."
        if v.code == "equivalent":
            if lang == "nl":
                return (f"{subj} maakte geen verschil dat ertoe doet voor {phrase} ten opzichte van "
                        f"{comp}: {fig}, binnen de marge van plus of min {self.margin_text(lang)}.")  # fmt: skip
            return (f"{subj} made no difference that matters to {phrase} compared with {comp}: "
                    f"{fig}, within the margin of plus or minus {self.margin_text(lang)}.")  # fmt: skip
        point = self.point(lang)
        if lang == "nl":
            return (f"Of {low} {phrase} veranderde ten opzichte van {comp}, is te onzeker om te "
                    f"zeggen: de schatting is {point}, maar de gegevens laten {self.allowed(lang)} "
                    "open.")  # fmt: skip
        return (f"Whether {low} changed {phrase} compared with {comp} is too imprecise to tell: the "
                f"estimate is {point}, but the data allow {self.allowed(lang)}.")  # fmt: skip

    def point(self, lang: str = "en") -> str:
        """The estimate alone, signed, in the outcome's unit (``+1.7 percentage points``)."""
        r = self.row
        if r is None:
            return "n/a"
        if r["scale"] == "pp":
            return (
                fmt.pp_nl(r["estimate"], signed=True)
                if lang == "nl"
                else fmt.pp(r["estimate"], signed=True)
            )
        text = f"{fmt.num(r['estimate'], signed=True)} {unit_word(self.question.outcome, lang)}"
        return fmt.nl(text) if lang == "nl" else text


def after_colon(sentence: str) -> str:
    """A sentence continued after a colon: first letter lower-cased (``Taking`` -> ``taking``)."""
    return sentence[:1].lower() + sentence[1:]


def _method(q: Question, plan) -> str:
    return ATT_METHOD if not q.lottery else plan.estimators.get(q.outcome, "")


def _mde(store: pd.DataFrame, q: Question) -> float | None:
    if not q.lottery:
        return None
    method = "MDE registry" if q.outcome.startswith("outflow") else "MDE wave 2"
    row = find_row(store, q.outcome, q.contrast, method)
    return None if row is None else float(row["estimate"])


def answer(store: pd.DataFrame, q: Question, plan) -> Answer:
    """The ``Answer`` to one question from the results store and the analysis plan."""
    row = find_row(store, q.outcome, q.contrast, _method(q, plan))
    margins = verdicts.margins_of(plan)
    # the same judgement as the store's verdict column (Chapter.save annotates with these margins)
    v = verdicts.row_verdict(row, margins) if row is not None else verdicts.Verdict("imprecise", 0)
    if (
        row is not None
        and "verdict" in row
        and isinstance(row["verdict"], str)
        and row["verdict"] != v.code
    ):
        raise ValueError(
            f"verdict of {q.contrast} on {q.outcome} differs from the store's: "
            f"{v.code} vs {row['verdict']} (plan margins changed since the chapter ran?)"
        )
    return Answer(q, row, v, margins.get(q.outcome), _mde(store, q))


def answers(store: pd.DataFrame, plan) -> dict[str, Answer]:
    """Every question's answer, keyed by ``Question.key``."""
    return {q.key: answer(store, q, plan) for q in QUESTIONS}


def answer_texts(all_answers: Mapping[str, Answer], lang: str = "en") -> dict[str, str]:
    """Glue texts ``ans_<key>`` (the sentence), ``fig_<key>``, ``verdict_<key>``, ``allow_<key>``
    and ``mde_<key>`` for every answer."""
    out = {}
    for key, a in all_answers.items():
        out[f"ans_{key}"] = a.sentence(lang)
        out[f"fig_{key}"] = a.figure(lang)
        out[f"verdict_{key}"] = a.verdict_words(lang)
        out[f"allow_{key}"] = a.allowed(lang)
        out[f"mde_{key}"] = a.mde_text(lang)
    return out


def answers_table(all_answers: Mapping[str, Answer], lang: str = "en") -> pd.DataFrame:
    """One row per question: comparison, outcome, verdict, estimate, range allowed, MDE."""
    head = {
        "en": ("question", "compared with", "verdict", "estimate (95% CI)", "the data allow",
               "smallest difference the design could detect (80% power)"),
        "nl": ("vraag", "vergeleken met", "oordeel", "schatting (95%-BI)", "de gegevens laten open",
               "kleinste verschil dat het onderzoek kon opsporen (80% power)"),
    }[lang]  # fmt: skip
    rows = []
    for a in all_answers.values():
        q = a.question
        ask = f"{SUBJECT[q.subject][lang]}: {PHRASE[q.outcome][lang]}"
        rows.append(dict(zip(head, (ask, COMPARISON[q.reference][lang], a.verdict_words(lang),
                                    a.figure(lang), a.allowed(lang),
                                    a.mde_text(lang) if q.lottery else
                                    ("not a lottery comparison" if lang == "en" else "geen vergelijking door loting")),
                             strict=True)))  # fmt: skip
    return pd.DataFrame(rows)


def verdict_counts(all_answers: Mapping[str, Answer], outcomes: tuple[str, ...]) -> dict[str, int]:
    """How many arm comparisons on ``outcomes`` got each verdict (clear, equivalent, imprecise)."""
    sel = [a for a in all_answers.values() if a.question.outcome in outcomes and a.question.lottery
           and a.row is not None]  # fmt: skip
    return {
        "n": len(sel),
        "clear": sum(a.verdict.clear for a in sel),
        "equivalent": sum(a.verdict.code == "equivalent" for a in sel),
        "imprecise": sum(a.verdict.code == "imprecise" for a in sel),
        "gain": sum(a.verdict.code == "gain" for a in sel),
        "loss": sum(a.verdict.code == "loss" for a in sel),
    }
