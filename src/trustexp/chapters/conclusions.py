"""Conclusions and answers (English) / Conclusies en antwoorden (Dutch): the policy questions one by
one, the limitations in one place, recommendations chosen by the verdicts, and Oss among the other
Dutch experiments.

Everything is read from the results store through ``chapters.answers``; the recommendations are a
fixed set of texts each chosen by a rule on the verdicts (``recommendations``), so none of them says
what the numbers contradict.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from trustexp import fmt, reference
from trustexp.chapters.answers import SUBJECT, Answer
from trustexp.results import find_row
from trustexp.vocab import ARMS, TREATED


def _n(text: str, lang: str) -> str:
    return fmt.nl(text) if lang == "nl" else text


def response_wave2(store: pd.DataFrame) -> float | None:
    """Share of participants who returned the questionnaire after two years (all arms)."""
    rows = [
        find_row(store, "response", f"{a} level", "share returned wave 2 (Wilson)") for a in ARMS
    ]
    if any(r is None for r in rows):
        return None
    n = sum(float(r["n"]) for r in rows)
    return sum(float(r["estimate"]) * float(r["n"]) for r in rows) / n if n else None


def limitation_texts(
    store: pd.DataFrame, all_answers: Mapping[str, Answer], synthetic: bool, lang: str = "en"
) -> dict[str, str]:
    """Glue texts of the limitations: response after two years, what the design could detect."""
    resp = response_wave2(store)
    er = all_answers["outflow_full_eigen_regie"]
    wb = all_answers["wellbeing_eigen_regie"]
    none = "n/a" if lang == "en" else "n.b."
    out = {
        "lim_response": _n(fmt.pct(resp), lang) if resp is not None else none,
        "lim_mde_outflow": er.mde_text(lang),
        "lim_mde_wellbeing": wb.mde_text(lang),
    }
    if lang == "nl":
        out["lim_data"] = ("Dit boek draait op nagemaakte (synthetische) gegevens: de getallen tonen wat de "
                           "analyse doet, niet wat er in Oss gebeurde." if synthetic else
                           "Dit boek draait op de echte bestanden van de gemeente en het CBS.")  # fmt: skip
    else:
        out["lim_data"] = ("This book runs on synthetic data: the numbers show what the analysis does, not "
                           "what happened in Oss." if synthetic else
                           "This book runs on the real files of the municipality and Statistics Netherlands.")  # fmt: skip
    return out


_RECOMMEND = {
    "arm_loss": {
        "en": "Do not roll out {names} as it was tried: the lottery shows it lowered outflow to work.",
        "nl": "Voer {names} niet in zoals die is uitgeprobeerd: de loting laat zien dat de uitstroom naar werk daalde.",
    },
    "arm_gain": {
        "en": "Consider making {names} the usual way of working: the lottery shows it raised outflow to work. "
              "Check that the gain lasts in the municipality's own registry.",
        "nl": "Overweeg {names} de gewone manier van werken te maken: de loting laat zien dat de uitstroom naar "
              "werk steeg. Ga in de eigen registratie na of die winst blijft.",
    },
    "no_harm": {
        "en": "Applying the obligations less strictly did not clearly lower outflow to work in the lottery, but the "
              "data also allow a loss; if the municipality gives people more room, it should follow outflow "
              "closely rather than assume there is no cost.",
        "nl": "Minder streng toepassen van de verplichtingen verlaagde de uitstroom naar werk niet duidelijk bij "
              "de loting, maar de gegevens laten ook een daling open; als de gemeente mensen meer ruimte geeft, "
              "moet zij de uitstroom goed blijven volgen in plaats van aan te nemen dat het niets kost.",
    },
    "participation_gain": {
        "en": "Taking part went with more outflow to work than among comparable people who did not take part. "
              "Attention and regular personal contact may matter more than which rules apply; invest in that "
              "contact, and test it with a lottery before spending more on it.",
        "nl": "Meedoen ging samen met meer uitstroom naar werk dan bij vergelijkbare mensen die niet meededen. "
              "Aandacht en regelmatig persoonlijk contact kunnen meer uitmaken dan welke regels gelden; investeer "
              "in dat contact, en toets het met een loting voordat er meer geld naartoe gaat.",
    },
    "participation_unclear": {
        "en": "Taking part did not clearly go with more outflow to work; do not expect an experiment's attention "
              "alone to raise outflow.",
        "nl": "Meedoen ging niet duidelijk samen met meer uitstroom naar werk; verwacht niet dat de aandacht van "
              "een experiment alleen de uitstroom verhoogt.",
    },
    "wellbeing_gain": {
        "en": "{names} raised wellbeing in the lottery: worth keeping where wellbeing is a goal in itself.",
        "nl": "{names} verhoogde het welbevinden bij de loting: het waard om te houden waar welbevinden een doel op "
              "zich is.",
    },
    "own_view": {
        "en": "Judge progress by the participants' own answers as well as the consultants' ratings: the two "
              "differ (see the consultants chapter).",
        "nl": "Beoordeel vooruitgang ook met de antwoorden van de deelnemers zelf, niet alleen met het oordeel van "
              "de consulent: die twee verschillen (zie het hoofdstuk over consulenten).",
    },
    "bigger": {
        "en": "A next experiment needs more people per group to tell effects of about {mde} apart from chance, "
              "and a questionnaire for non-participants too, so that changes over time can be compared.",
        "nl": "Een volgend experiment heeft meer mensen per groep nodig om effecten van ongeveer {mde} van toeval te "
              "onderscheiden, en ook een vragenlijst voor niet-deelnemers, zodat veranderingen in de tijd te "
              "vergelijken zijn.",
    },
}  # fmt: skip


def recommendations(all_answers: Mapping[str, Answer], lang: str = "en") -> list[str]:
    """The policy recommendations the verdicts support, in order (each chosen by a rule).

    Outflow: a clear loss of an arm, a clear gain, or (neither) no evidence of harm with the
    range still open; taking part: a clear gain or not; wellbeing: clear gains; always: the
    participants' own view and the size of a next experiment.
    """

    def names(keys: list[Answer]) -> str:
        joiner = " and " if lang == "en" else " en "
        return joiner.join(SUBJECT[a.question.subject][lang].lower() for a in keys)

    out = []
    arms = [all_answers[f"outflow_full_{a}"] for a in TREATED]
    losses = [a for a in arms if a.verdict.code == "loss"]
    gains = [a for a in arms if a.verdict.code == "gain"]
    if losses:
        out.append(_RECOMMEND["arm_loss"][lang].format(names=names(losses)))
    if gains:
        out.append(_RECOMMEND["arm_gain"][lang].format(names=names(gains)))
    if not losses and not gains:
        out.append(_RECOMMEND["no_harm"][lang])
    part = all_answers["outflow_full_participants"]
    key = "participation_gain" if part.verdict.code == "gain" else "participation_unclear"
    out.append(_RECOMMEND[key][lang])
    wb = [
        all_answers[f"wellbeing_{a}"]
        for a in TREATED
        if all_answers[f"wellbeing_{a}"].verdict.code == "gain"
    ]
    if wb:
        text = _RECOMMEND["wellbeing_gain"][lang].format(names=names(wb))
        out.append(text[:1].upper() + text[1:])
    out.append(_RECOMMEND["own_view"][lang])
    out.append(_RECOMMEND["bigger"][lang].format(mde=arms[0].mde_text(lang)))
    return out


def recommendations_markdown(all_answers: Mapping[str, Answer], lang: str = "en") -> str:
    """``recommendations`` as a numbered Markdown list."""
    return "\n".join(f"{i}. {text}" for i, text in enumerate(recommendations(all_answers, lang), 1))


def experiments_table(all_answers: Mapping[str, Answer], lang: str = "en") -> pd.DataFrame:
    """Oss beside the other Dutch experiments: place, participants, design, headline result, source.

    The other places' results are the published headlines (``data/reference/published.yml``,
    ``literature``), quoted as published; the Oss rows give the published result and this book's.
    """
    head = {
        "en": ("place", "participants", "groups", "headline result on outflow to work", "source"),
        "nl": ("gemeente", "deelnemers", "groepen", "belangrijkste uitkomst voor uitstroom naar werk", "bron"),
    }[lang]  # fmt: skip
    pub = reference.published()
    rows = []
    for item in pub["literature"]:
        if "outflow" not in item and "outflow_full_time" not in item:
            continue
        result = item.get("outflow_full_time", item.get("outflow"))
        rows.append((item["place"], fmt.count(item["n"]), str(item["arms"]), str(result),
                     ", ".join(item["source"])))  # fmt: skip
    n_oss = reference.oss("participants", "value")
    lo, hi = reference.oss("outflow", "difference_vs_non_participants_pp", "value")
    between = reference.oss("outflow", "difference_between_arms", "value")
    pub_text = (f"+{fmt.count(lo)} to {fmt.count(hi)} percentage points against non-participants in each group; {between}"
                if lang == "en" else
                f"+{fmt.count(lo)} tot {fmt.count(hi)} procentpunt t.o.v. niet-deelnemers in elke groep; {between}")  # fmt: skip
    rows.insert(0, ("Oss (published)" if lang == "en" else "Oss (gepubliceerd)", fmt.count(n_oss),
                    "2 + control" if lang == "en" else "2 + controle", pub_text,
                    "info_note_2020, article_oss"))  # fmt: skip
    er, ins = all_answers["outflow_full_eigen_regie"], all_answers["outflow_full_intensief"]
    part = all_answers["outflow_full_participants"]
    mine = (f"self-direction {er.verdict_words(lang)}; intensive support {ins.verdict_words(lang)}; taking part "
            f"{part.figure(lang)} ({part.verdict_words(lang)})" if lang == "en" else
            f"eigen regie: {er.verdict_words(lang)}; intensieve begeleiding: {ins.verdict_words(lang)}; meedoen "
            f"{part.figure(lang)} ({part.verdict_words(lang)})")  # fmt: skip
    rows.insert(1, ("Oss (this book)" if lang == "en" else "Oss (dit boek)", "", "", mine, ""))
    return pd.DataFrame(rows, columns=list(head))
