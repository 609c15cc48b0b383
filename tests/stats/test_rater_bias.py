"""Ladder contrasts: self-rated, consultant-rated and the rating-gap contrast."""

from __future__ import annotations

import pytest
from conftest import make_params

from trustexp.data.synthetic import generate
from trustexp.stats import cluster_robust as cr
from trustexp.stats.rater_bias import GAP_METHOD, ladder_contrasts
from trustexp.stats.survey import long_outcome, paired_wave


def test_ladder_rows_and_rater_bias_shows_in_the_gap() -> None:
    # the truth's rating bias is the same in every arm, so a real arm effect on the ladder shows in
    # the participants' own rating and the rating-gap contrast holds zero
    p = make_params(cohort={"n_participants": 600, "n_non_participants": 30, "months_before": 1,
                            "follow_up_months": 24},
                    truth={"arm_effect": {"eigen_regie": {"ladder": 0.8}}})  # fmt: skip
    c = generate(p)
    out = ladder_contrasts(c.survey, c.participants)
    assert set(out["outcome"]) == {"ladder", "ladder_self"}
    own = out[(out["outcome"] == "ladder_self")].set_index("contrast")
    gap = out[out["method"] == GAP_METHOD].set_index("contrast")
    assert own.loc["eigen_regie vs regulier", "ci_low"] > 0.3
    assert (
        gap.loc["eigen_regie vs regulier", "ci_low"]
        < 0
        < gap.loc["eigen_regie vs regulier", "ci_high"]
    )
    # the self-rated row is the ANCOVA of the participants' own answers, clustered by consultant
    paired = paired_wave(long_outcome(c.survey, c.participants, "ladder"), 2)
    paired = paired.merge(c.participants[["person_id", "consultant_id"]].astype(str))
    ref = cr.arm_contrasts(paired, "y", baseline="y0", scale="points").set_index("contrast")
    assert own.loc["intensief vs regulier", "estimate"] == pytest.approx(
        ref.loc["intensief vs regulier", "estimate"]
    )
