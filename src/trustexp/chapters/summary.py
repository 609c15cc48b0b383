"""The one-page summaries (English and Dutch) and the landing page's answer, from the results store.

Every number and every verdict comes from a row of the results store (``chapters.answers`` for the
answers to the municipality's questions), formatted by ``trustexp.fmt`` (Dutch notation via
``fmt.nl``); nothing is refitted. The primary rows must be present; a missing optional row reads
"not estimated" (``niet geschat``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from trustexp import fmt
from trustexp.chapters.answers import SUBJECT, Answer, after_colon, answer_texts, verdict_counts
from trustexp.chapters.effect_sizes import require_primary
from trustexp.reference import oss as published
from trustexp.results import find_row
from trustexp.vocab import ARMS, UNCONFIRMED, group_label, in_sentence, unit_word

NOT_ESTIMATED = {"en": "not estimated", "nl": "niet geschat"}


def _n(x: str, lang: str) -> str:
    return fmt.nl(x) if lang == "nl" else x


def share_text(row: pd.Series | None, lang: str = "en") -> str:
    """A share row (0-1) as a percentage."""
    if row is None or pd.isna(row["estimate"]):
        return NOT_ESTIMATED[lang]
    return _n(fmt.pct(float(row["estimate"])), lang)


def count_text(n: float | None, lang: str = "en") -> str:
    """A count of people (thousands separator in the language's notation)."""
    return NOT_ESTIMATED[lang] if n is None or pd.isna(n) else _n(fmt.count(n), lang)


def _group_n(store: pd.DataFrame, group: str) -> float | None:
    row = find_row(store, "outflow_full", f"{group} level", ("share (Wilson)",))
    if row is not None:
        return float(row["n"])
    if group in ARMS:
        row = find_row(store, "response", f"{group} level", ("completed questionnaire wave 0",))
        return None if row is None else float(row["n"])
    return None


def _of(k: int, m: int, lang: str) -> str:
    return f"{k} van de {m}" if lang == "nl" else f"{k} of the {m}"


def summary_facts(
    store: pd.DataFrame, all_answers: Mapping[str, Answer], plan, lang: str = "en",
    alpha: float = 0.05,
) -> dict[str, str]:  # fmt: skip
    """Formatted numbers and answer sentences (glue name -> text) of the summary pages.

    Raises ``InvalidData`` when a primary row is missing; optional ones read "not estimated".

    >>> summary_facts(store, answers(store, plan), plan, "nl")["n_participants"]  # doctest: +SKIP
    '300'
    """
    require_primary(store, plan)
    out: dict[str, str] = dict(answer_texts(all_answers, lang))
    arm_n = {a: _group_n(store, a) for a in ARMS}
    known = [v for v in arm_n.values() if v is not None]
    out["n_participants"] = count_text(sum(known) if len(known) == 3 else None, lang)
    out["n_arms"] = ", ".join(
        f"{in_sentence(group_label(a, lang))} {count_text(arm_n[a], lang)}" for a in ARMS
    )
    out["n_non_participants"] = count_text(_group_n(store, "non_participants"), lang)
    out["n_per_arm"] = count_text(sum(known) / len(known) if known else None, lang)
    level = lambda g: find_row(store, "outflow_full", f"{g} level", ("share (Wilson)",))  # noqa: E731
    out["outflow_share_participants"] = share_text(level("participants"), lang)
    out["outflow_share_non"] = share_text(level("non_participants"), lang)
    changes = [find_row(store, "wellbeing", f"{a} wave 2 vs wave 0", "mean change") for a in ARMS]
    out["wellbeing_change"] = "; ".join(
        f"{in_sentence(group_label(a, lang))} "
        + (
            NOT_ESTIMATED[lang]
            if r is None
            else _n(fmt.num(float(r["estimate"]), signed=True), lang)
        )
        for a, r in zip(ARMS, changes, strict=True)
    )
    counts = verdict_counts(all_answers, UNCONFIRMED)
    out["unconfirmed"] = _of(counts["clear"], counts["n"], lang)
    wanted = store["outcome"].map(lambda o: f"{plan.estimators.get(o, '')} (adjusted)")
    planned = store[
        (store["method"] == wanted) & store["contrast"].astype(str).str.endswith("vs regulier")
    ]
    out["plan_clear"] = (
        _of(int((planned["p"] < alpha).sum()), len(planned), lang)
        if len(planned)
        else NOT_ESTIMATED[lang]
    )
    rater = find_row(store, "wellbeing", "consultant vs participant", "paired mean difference")
    if rater is None:
        out["consultant_gap"] = NOT_ESTIMATED[lang]
    else:
        est, lo, hi = (float(rater[k]) for k in ("estimate", "ci_low", "ci_high"))
        text = (
            f"{fmt.num(est, signed=True)} {unit_word('wellbeing', lang)} (95% CI {fmt.ci(lo, hi)})"
        )
        out["consultant_gap"] = _n(text.replace("95% CI", "95%-BI"), lang) if lang == "nl" else text
    p_row, n_row = level("participants"), level("non_participants")
    if p_row is not None and n_row is not None and float(n_row["estimate"]) > 0:
        out["outflow_ratio"] = _n(
            fmt.num(float(p_row["estimate"]) / float(n_row["estimate"]), 1), lang
        )
    else:
        out["outflow_ratio"] = NOT_ESTIMATED[lang]
    spend = find_row(store, "spending", "participants level", "spending per participant")
    out["spend_participant"] = (
        NOT_ESTIMATED[lang]
        if spend is None
        else _n(f"EUR {fmt.count(float(spend['estimate']))}", lang)
    )
    cost = store[(store["outcome"] == "spending") & (store["contrast"] == "participants vs non_participants")
                 & store["method"].astype(str).str.startswith("cost per extra exit")]  # fmt: skip
    out["cost_per_exit"] = (
        NOT_ESTIMATED[lang]
        if cost.empty
        else _n(f"EUR {fmt.count(float(cost['estimate'].iloc[0]))}", lang)
    )
    cov = store[store["method"].astype(str).str.startswith("simulation coverage")]
    out["coverage_range"] = (
        NOT_ESTIMATED[lang] if cov.empty
        else _n(f"{fmt.pct(float(cov['estimate'].min()))}" + (" tot " if lang == "nl" else " to ")
                + f"{fmt.pct(float(cov['estimate'].max()))}", lang)
    )  # fmt: skip
    return out


def headline_texts(
    all_answers: Mapping[str, Answer], facts: Mapping[str, str], year: int, synthetic: bool,
    lang: str = "en",
) -> dict[str, str]:  # fmt: skip
    """The answer first: what was tested, what the lottery shows and how sure, taking part, the data.

    Glue texts ``head_tested``, ``head_lottery``, ``head_sure``, ``head_participation`` and
    ``head_source`` - the landing page and the first lines of both summaries; ``head_machine``
    - the landing page's sentence on the stand-in cohort.
    """
    er, ins = all_answers["outflow_full_eigen_regie"], all_answers["outflow_full_intensief"]
    part = all_answers["outflow_full_participants"]
    n = facts["n_participants"]
    per_arm = facts.get("n_per_arm", "n/a")
    mde = er.mde_text(lang)
    has_mde = mde != "n/a"
    if lang == "nl":
        out = {
            "head_tested": (f"Oss onderzocht of mensen in de bijstand vaker aan het werk komen met eigen "
                            f"regie of met intensieve begeleiding dan met de gewone aanpak: {n} vrijwilligers "
                            f"werden in {year} door loting over de drie manieren van werken verdeeld."),
            "head_lottery": f"Wat de loting laat zien: {after_colon(er.sentence('nl'))} {ins.sentence('nl')}",
            "head_sure": (f"Hoe zeker: met ongeveer {per_arm} mensen per groep kon het onderzoek alleen "
                          f"verschillen van ongeveer {mde} betrouwbaar opsporen." if has_mde else
                          f"Hoe zeker: met ongeveer {per_arm} mensen per groep; hoe klein een verschil het "
                          "onderzoek kon opsporen staat in het hoofdstuk Robuustheid, dat niet in deze "
                          "uitgave zit."),
            "head_participation": f"Zonder loting, en dus minder zeker: {after_colon(part.sentence('nl'))}",
            "head_source": ("De getallen komen uit nagemaakte (synthetische) gegevens die op de "
                            "gepubliceerde cijfers van Oss lijken; ze laten zien wat de analyse doet, "
                            "niet wat er in Oss gebeurde." if synthetic else
                            "De getallen komen uit de echte bestanden van de gemeente en het CBS over "
                            "de deelnemers en de niet-deelnemers."),
            "head_machine": ("Die nagemaakte deelnemers zijn getrokken uit een model waarvan de ware "
                             "effecten in de parameterset staan, zodat de analyse zonder vertrouwelijke "
                             "gegevens kan worden getoond en gecontroleerd." if synthetic else
                             "Zonder toegang tot die bestanden draait dezelfde code op een nagemaakt "
                             "cohort; dit boek gebruikt dat niet."),
        }  # fmt: skip
        return out
    return {
        "head_tested": (f"Oss tested whether people on social assistance find work more often when they "
                        f"direct their own path (self-direction) or get intensive, tailored support than "
                        f"under regular service: {n} volunteers were assigned to the three by lottery in {year}."),
        "head_lottery": f"What the lottery shows: {after_colon(er.sentence('en'))} {ins.sentence('en')}",
        "head_sure": (f"How sure: with about {per_arm} people per group the experiment could only detect "
                      f"differences of about {mde} reliably." if has_mde else
                      f"How sure: with about {per_arm} people per group; how small a difference the "
                      "experiment could detect is worked out in the robustness chapter, which is not in "
                      "this edition."),
        "head_participation": f"Without a lottery, and so less certain: {after_colon(part.sentence('en'))}",
        "head_source": ("The numbers come from synthetic data - invented people drawn from a model "
                        "calibrated to the published Oss figures - so they show what the analysis does, "
                        "not what happened in Oss." if synthetic else
                        "The numbers come from the real files of the municipality and Statistics "
                        "Netherlands on the participants and the non-participants."),
        "head_machine": ("Those invented people are drawn at random from a model whose true effects are "
                         "set in the parameter set, so that the analysis can be shown and checked without "
                         "confidential data." if synthetic else
                         "Without access to those files the same code runs on a stand-in cohort drawn "
                         "from a model; this book does not use it."),
    }  # fmt: skip


def chapter_links(contents: tuple, lang: str = "en") -> list[str]:
    """Markdown lines ``{doc}`NN_x` — title`` for every chapter in ``contents`` but the summaries.

    ``contents`` is the book's chapter list (``ChapterSpec``-like: ``key``, ``notebook``,
    ``title`` and, for Dutch, ``title_nl`` when it has one), passed in by the notebook so that
    this module stays below the runtime.
    """
    skip = {"summary", "samenvatting"}
    title = (
        (lambda c: getattr(c, "title_nl", "") or c.title) if lang == "nl" else (lambda c: c.title)
    )
    return [f"{{doc}}`{title(c)} <{Path(c.notebook).stem}>`" for c in contents if c.key not in skip]


def chapter_list(contents: tuple, lang: str = "en") -> str:
    """``chapter_links`` as a Markdown list (glued into the summary's chapter callout)."""
    return "\n".join(f"- {line}" for line in chapter_links(contents, lang))


def missing_texts(missing: list[str], lang: str = "en") -> dict[str, str]:
    """Glue text ``missing_note``: a sentence naming chapters whose results could not be read."""
    if not missing:
        text = ("Every chapter's results were read." if lang == "en"
                else "De resultaten van alle hoofdstukken zijn gelezen.")  # fmt: skip
    else:
        names = ", ".join(missing)
        text = (f"Results missing from the store: {names}; the sentences that need them say so."
                if lang == "en" else
                f"Resultaten die ontbreken: {names}; de zinnen die ze nodig hebben zeggen dat.")  # fmt: skip
    return {"missing_note": text}


def published_texts(lang: str = "en") -> dict[str, str]:
    """Glue texts of the summary's published callout (published range, ratio, arms)."""
    lo, hi = published("outflow", "difference_vs_non_participants_pp", "value")
    ratio = fmt.count(published("outflow", "ratio_vs_non_participants", "value"))
    if lang == "nl":
        return {"pub_outflow": fmt.nl(f"{fmt.count(lo)} tot {fmt.count(hi)}") + " procentpunt",
                "pub_ratio": fmt.nl(ratio)}  # fmt: skip
    return {
        "pub_outflow": f"{fmt.count(lo)} to {fmt.count(hi)} percentage points",
        "pub_ratio": ratio,
        "pub_between": str(published("outflow", "difference_between_arms", "value")),
    }


def meaning_text(all_answers: Mapping[str, Answer], lang: str = "en") -> str:
    """What the outflow answers mean together, chosen by their verdicts (glue ``meaning``).

    A clear effect of taking part with no clear arm difference is the pattern the evaluators read
    as a Hawthorne effect; a clear arm difference is not; neither clear says the design could not
    tell.
    """
    arms = [all_answers[f"outflow_full_{a}"] for a in ("eigen_regie", "intensief")]
    part = all_answers["outflow_full_participants"]
    clear_arms = [a for a in arms if a.verdict.clear]
    if clear_arms:
        verbs = {"en": ("raised", "lowered", " and "), "nl": ("verhoogde", "verlaagde", " en ")}[
            lang
        ]
        names = verbs[2].join(
            f"{SUBJECT[a.question.subject][lang].lower()} {verbs[0] if a.verdict.sign > 0 else verbs[1]} "
            + ("it" if lang == "en" else "haar")
            for a in clear_arms
        )
        if lang == "nl":
            return (f"De loting laat zien dat de manier van werken uitmaakte voor de uitstroom naar werk: "
                    f"{names}. Dat is niet het patroon van alleen een Hawthorne-effect, waarbij alle groepen "
                    "evenveel winnen.")  # fmt: skip
        return (
            f"The lottery shows that the way of working mattered for outflow to work: {names}. "
            "That is not the pattern of a Hawthorne effect alone, where every group gains alike."
        )
    if part.verdict.clear and part.verdict.sign > 0:
        if lang == "nl":
            return ("Deelnemers stroomden vaker uit naar werk dan vergelijkbare niet-deelnemers, maar de "
                    "loting liet niet zien welke manier van werken, als er een was, het verschil maakte. "
                    "Dat is het patroon dat de onderzoekers een Hawthorne-effect noemden: de winst hoorde bij "
                    "het meedoen zelf (meer aandacht, het besef mee te doen aan een experiment), niet bij het "
                    "minder streng toepassen van de regels. De gegevens kunnen dat niet scheiden van wie zich "
                    "aanmeldde: vrijwilligers kunnen verschillen op punten die niet in de registratie staan, "
                    "zoals motivatie.")  # fmt: skip
        return ("Participants left benefit for work more often than comparable non-participants, but the "
                "lottery did not show which way of working, if any, made the difference. That is the "
                "pattern the evaluators read as a Hawthorne effect: the gain came with taking part itself "
                "(more attention, the sense of being in an experiment), not with relaxing the rules. The "
                "data cannot separate it from who volunteered: volunteers may differ in ways the registry "
                "does not record, such as motivation.")  # fmt: skip
    if part.verdict.clear and part.verdict.sign < 0:
        if lang == "nl":
            return ("Deelnemers stroomden minder vaak uit naar werk dan vergelijkbare niet-deelnemers, en de "
                    "loting liet geen manier van werken zien die het verschil maakte. Zonder loting kan die "
                    "vergelijking niet scheiden of het meedoen de oorzaak was of wie zich aanmeldde.")  # fmt: skip
        return ("Participants left benefit for work less often than comparable non-participants, and the "
                "lottery did not show a way of working that made the difference. Without a lottery that "
                "comparison cannot separate taking part from who volunteered.")  # fmt: skip
    open_arms = any(a.verdict.code == "imprecise" for a in arms)
    if lang == "nl":
        first = ("Noch de loting, noch de vergelijking met niet-deelnemers laat een duidelijk effect op de "
                 "uitstroom naar werk zien.")  # fmt: skip
        if part.verdict.code == "equivalent":
            first += (f" Meedoen maakte geen verschil groter dan {part.margin_text('nl')} ten opzichte van "
                      "vergelijkbare niet-deelnemers.")  # fmt: skip
        return first + (" Het onderzoek was te klein om verschillen tussen de manieren van werken van een "
                        "omvang die ertoe doet uit te sluiten." if open_arms else
                        " Beide manieren van werken bleven binnen de vooraf gekozen marge van de gewone "
                        "aanpak.")  # fmt: skip
    first = ("Neither the lottery nor the comparison with non-participants shows a clear effect on outflow "
             "to work.")  # fmt: skip
    if part.verdict.code == "equivalent":
        first += (f" Taking part made no difference larger than {part.margin_text('en')} against "
                  "comparable non-participants.")  # fmt: skip
    return first + (" The experiment was too small to rule out differences between the ways of working "
                    "that would matter." if open_arms else
                    " Both ways of working stayed within the declared margin of regular service.")  # fmt: skip
