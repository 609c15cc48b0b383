"""Chapter 6, social participation: contacts, the participants' own ladder rung (primary) and the
consultants' rating of it (secondary, with the rating gap that shows rater bias beside it)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from trustexp import verdicts
from trustexp.chapters.questionnaire import model_texts, result_texts
from trustexp.stats.rater_bias import GAP_METHOD, ladder_contrasts
from trustexp.stats.survey import OutcomeResult
from trustexp.vocab import CONTROL, TREATED, between


def rating_gap_rows(survey: pd.DataFrame, participants: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """The rating gap (consultant minus own rung) of each arm against regular service, rater-clustered.

    A gap that differs between the arms is rater bias carried by the consultant-rated contrast.
    """
    rows = ladder_contrasts(survey, participants, "ladder", alpha=alpha)
    return rows[rows["method"] == GAP_METHOD].drop(columns="outcome").reset_index(drop=True)


def participation_texts(
    contacts: OutcomeResult,
    own: OutcomeResult,
    rated: OutcomeResult,
    threshold: int,
    margins: Mapping[str, float],
) -> dict[str, str]:
    """Glue texts of the chapter: each measure's ``result_texts``, the count and ordinal models, and
    the rating gap with its verdict (``ladder_gap_<arm>``, ``ladder_gap_judgement_<arm>``)."""
    texts = {
        **result_texts(contacts, threshold, margins),
        **result_texts(own, threshold, margins),
        **result_texts(rated, threshold, margins),
        **model_texts(contacts.extra[0], "contacts_rr"),
        **model_texts(own.extra[0], "ladder_self_or"),
        **model_texts(rated.extra[0], "ladder_or"),
    }
    gap = rated.extra[1]
    texts.update(model_texts(gap, "ladder_gap"))
    for arm in TREATED:
        hit = gap[gap["contrast"] == between(arm, CONTROL)]
        v = (
            verdicts.judge(*hit.iloc[0][["estimate", "ci_low", "ci_high"]], better=0)
            if len(hit)
            else verdicts.Verdict("imprecise", 0)
        )
        texts[f"ladder_gap_comparative_{arm}"] = verdicts.comparative(v)
    return texts
