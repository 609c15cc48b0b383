"""Ordinal (proportional odds) and count (negative binomial) models against textbook values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustexp.stats.counts import dispersion_table, negative_binomial, negative_binomial_wave2
from trustexp.stats.ordinal import proportional_odds, proportional_odds_wave2


def test_proportional_odds_with_two_levels_is_the_cross_product_ratio():
    # 2x2 table: eigen_regie 30 high / 10 low, regulier 15 high / 25 low -> OR = (30*25)/(10*15) = 5
    frame = pd.DataFrame({
        "arm": ["eigen_regie"] * 40 + ["regulier"] * 40,
        "y": [2] * 30 + [1] * 10 + [2] * 15 + [1] * 25,
    })  # fmt: skip
    row = proportional_odds(frame).iloc[0]
    assert row["contrast"] == "eigen_regie vs regulier"
    assert row["estimate"] == pytest.approx(5.0, rel=1e-4)
    se = np.sqrt(1 / 30 + 1 / 10 + 1 / 15 + 1 / 25)  # Woolf
    assert np.log(row["ci_high"] / row["ci_low"]) == pytest.approx(2 * 1.959964 * se, rel=1e-3)


def test_proportional_odds_is_empty_without_variation():
    frame = pd.DataFrame(
        {"arm": ["eigen_regie", "eigen_regie", "regulier", "regulier"], "y": [3, 3, 3, 3]}
    )
    assert proportional_odds(frame).empty


def test_negative_binomial_rate_ratio_without_covariates_is_the_ratio_of_means():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({
        "arm": ["eigen_regie"] * 80 + ["intensief"] * 80 + ["regulier"] * 80,
        "y": np.concatenate([rng.negative_binomial(4, 4 / (4 + m), 80) for m in (12, 9, 8)]),
    })  # fmt: skip
    out = negative_binomial(frame).set_index("contrast")
    means = frame.groupby("arm")["y"].mean()
    assert out.loc["eigen_regie vs regulier", "estimate"] == pytest.approx(
        means["eigen_regie"] / means["regulier"], rel=1e-4)  # fmt: skip
    assert out.loc["intensief vs regulier", "estimate"] == pytest.approx(
        means["intensief"] / means["regulier"], rel=1e-4)  # fmt: skip
    assert (out["alpha_nb"] > 0).all()


def test_dispersion_table_matches_pandas_moments():
    long = pd.DataFrame({"wave": [0, 0, 0, 2, 2], "value": [1.0, 4.0, 10.0, 2.0, 2.0]})
    row = dispersion_table(long).set_index("wave").loc[0]
    assert row["variance_to_mean"] == pytest.approx(np.var([1, 4, 10], ddof=1) / 5.0)


@pytest.fixture(scope="module")
def cohort():
    from trustexp.config import params_from_dict
    from trustexp.data.synthetic import generate

    return generate(params_from_dict({
        "name": "truth", "municipality": "Oss", "seed": 12,
        "cohort": {"n_participants": 600, "n_non_participants": 30, "months_before": 1, "follow_up_months": 6},
        "truth": {"arm_effect": {"eigen_regie": {"ladder": 0.8, "contacts": 4.0},
                                 "intensief": {"ladder": -0.6, "contacts": -3.0}}},
    }))  # fmt: skip


def test_models_recover_the_sign_of_known_ladder_and_contact_effects(cohort):
    from trustexp.stats.survey import long_outcome

    ladder = long_outcome(cohort.survey, cohort.participants, "ladder", "consultant")
    po = proportional_odds_wave2(ladder).set_index("contrast")
    assert po.loc["eigen_regie vs regulier", "ci_low"] > 1
    assert po.loc["intensief vs regulier", "ci_high"] < 1
    contacts = long_outcome(cohort.survey, cohort.participants, "contacts")
    nb = negative_binomial_wave2(contacts).set_index("contrast")
    assert nb.loc["eigen_regie vs regulier", "ci_low"] > 1
    assert nb.loc["intensief vs regulier", "ci_high"] < 1
    # a rise of 4 contacts on a control mean near 10 is a rate ratio near 1.4
    w2 = contacts[(contacts["wave"] == 2) & (contacts["arm"] == "regulier")]["value"].mean()
    assert (
        nb.loc["eigen_regie vs regulier", "ci_low"]
        < (w2 + 4.0) / w2
        < nb.loc["eigen_regie vs regulier", "ci_high"]
    )


def test_ladder_distribution_pools_rungs_until_no_cell_is_below_the_threshold():
    from trustexp.charts.survey import ladder_distribution

    rng = np.random.default_rng(5)
    rungs = rng.choice([1, 2, 3, 4, 5, 6], size=180, p=[0.03, 0.3, 0.35, 0.25, 0.05, 0.02])
    long = pd.DataFrame({"arm": np.repeat(["eigen_regie", "intensief", "regulier"], 60),
                         "wave": np.tile([0, 2], 90), "value": rungs.astype(float)})  # fmt: skip
    dist = ladder_distribution(long, threshold=10)
    assert not dist["n"].between(1, 9).any()
    assert dist.groupby(["arm", "wave"])["n"].sum().eq(30).all()  # nobody lost by pooling
    bands = dist[["first_rung", "last_rung"]].drop_duplicates()
    assert bands["first_rung"].min() == 1 and bands["last_rung"].max() == 6
