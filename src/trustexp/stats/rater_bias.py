"""The participation ladder: participants' own rating (primary) and the consultants' (secondary).

``ladder_contrasts`` gives, for each experimental arm against regular service, the ANCOVA of the
participants' own wave-2 rung (outcome ``ladder_self``, clustered by consultant), the ANCOVA of
the consultants' rating (outcome ``ladder``, clustered by the rater, since one consultant rates
many people) and, next to it, the bias caveat: the same ANCOVA of the rating gap (consultant
minus participant). A gap that differs between arms is rater bias that the consultant-rated
contrast carries; the consultant-rated contrast minus this gap contrast is about the self-rated
one (exactly, when both are estimated on the same people with their own baselines).
"""

from __future__ import annotations

import pandas as pd

from trustexp.stats import cluster_robust as cr
from trustexp.stats.survey import long_outcome, paired_wave

GAP_METHOD = "rating gap ANCOVA (consultant minus own rating)"


def _paired(survey: pd.DataFrame, participants: pd.DataFrame, item: str, respondent: str):
    long = long_outcome(survey, participants, item, respondent)
    paired = paired_wave(long, 2)
    rater = long[long["wave"] == 2].drop_duplicates("person_id").set_index("person_id")["rater_id"]
    consultant = participants.set_index(participants["person_id"].astype(str))["consultant_id"]
    return paired.assign(rater_id=paired["person_id"].map(rater).astype(object),
                         consultant_id=paired["person_id"].map(consultant).astype(str))  # fmt: skip


def ladder_contrasts(
    survey: pd.DataFrame,
    participants: pd.DataFrame,
    item: str = "ladder",
    alpha: float = 0.05,
    inference: cr.Inference = "CR2",
) -> pd.DataFrame:
    """Self-rated and consultant-rated ANCOVA of ``item`` and the rating-gap contrast beside them.

    Returns rows ``outcome`` (``ladder_self``, ``ladder``), ``contrast, estimate, se, df, ci_low,
    ci_high, p, n, method, scale, inference``: self-rated clustered by consultant, consultant-rated
    and the gap clustered by rater.

    >>> ladder_contrasts(cohort.survey, cohort.participants)  # doctest: +SKIP
    """
    own = _paired(survey, participants, item, "participant")
    rated = _paired(survey, participants, item, "consultant").dropna(subset=["rater_id"])
    kw = dict(baseline="y0", scale="points", alpha=alpha, inference=inference)
    parts = [
        cr.arm_contrasts(own, "y", cluster="consultant_id", **kw).assign(outcome=f"{item}_self"),
        cr.arm_contrasts(rated, "y", cluster="rater_id", **kw).assign(outcome=item),
    ]
    both = rated.merge(own[["person_id", "y0", "y"]], on="person_id", suffixes=("", "_own"))
    gap = both.assign(y=both["y"] - both["y_own"], y0=both["y0"] - both["y0_own"])
    parts.append(
        cr.arm_contrasts(gap, "y", cluster="rater_id", **kw).assign(outcome=item, method=GAP_METHOD)
    )
    return pd.concat(parts, ignore_index=True)
