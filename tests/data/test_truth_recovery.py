"""Simple estimators recover the Truth over many seeds (mean within 3 standard errors)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_params

from trustexp.data.outcomes import outflow_flags
from trustexp.data.synthetic import generate
from trustexp.data.truth import Truth

N_SEEDS = 30
# equal covariate distributions for both groups and no education terms, so that a plain
# difference of shares between participants and non-participants is the participation effect
SAME = Truth().population.participants.model_dump()
TRUTH = {
    "population": {"participants": SAME, "non_participants": SAME},
    "outflow": {"education_low": 0.0, "education_high": 0.0},
}


def _estimates(seed: int) -> dict[str, float]:
    params = make_params(
        seed=seed,
        truth=TRUTH,
        cohort={
            "n_participants": 240,
            "n_non_participants": 480,
            "months_before": 1,
            "follow_up_months": 24,
        },
    )
    c = generate(params)
    flags = outflow_flags(c.population, c.registry, 24)
    g = (
        c.population[["person_id"]]
        .merge(c.participants[["person_id", "arm"]], how="left")
        .merge(flags)
    )
    g["arm"] = g["arm"].astype(object).fillna("non")
    share = g.groupby("arm")[["outflow_full", "outflow_any"]].mean()
    s = c.survey[(c.survey["respondent"] == "participant") & c.survey["completed"]]
    s = s.merge(c.participants[["person_id", "arm"]])
    w2 = s[s["wave"] == 2].groupby("arm", observed=True)[["wellbeing", "contacts"]].mean()
    reg = s[s["arm"] == "regulier"].groupby("wave")["social_trust"].mean()
    return {
        "participation outflow_full": share.loc["regulier", "outflow_full"]
        - share.loc["non", "outflow_full"],
        "participation outflow_any": share.loc["regulier", "outflow_any"]
        - share.loc["non", "outflow_any"],
        "eigen_regie outflow_full": share.loc["eigen_regie", "outflow_full"]
        - share.loc["regulier", "outflow_full"],
        "eigen_regie wellbeing": float(
            w2.loc["eigen_regie", "wellbeing"] - w2.loc["regulier", "wellbeing"]
        ),
        "eigen_regie contacts": float(
            w2.loc["eigen_regie", "contacts"] - w2.loc["regulier", "contacts"]
        ),
        "intensief contacts": float(
            w2.loc["intensief", "contacts"] - w2.loc["regulier", "contacts"]
        ),
        "regulier social_trust wave 2 vs 0": float(reg.loc[2] - reg.loc[0]),
    }


@pytest.fixture(scope="module")
def estimates() -> pd.DataFrame:
    return pd.DataFrame([_estimates(seed) for seed in range(N_SEEDS)])


def _truth_values() -> dict[str, float]:
    t = Truth()
    return {
        "participation outflow_full": t.participation.outflow_full,
        "participation outflow_any": t.participation.outflow_any,
        "eigen_regie outflow_full": t.arm_effect.eigen_regie.outflow_full,
        "eigen_regie wellbeing": t.arm_effect.eigen_regie.wellbeing,
        "eigen_regie contacts": t.arm_effect.eigen_regie.contacts,
        "intensief contacts": t.arm_effect.intensief.contacts,
        "regulier social_trust wave 2 vs 0": 2 * t.survey.wave_trend.social_trust,
    }


@pytest.mark.parametrize("key", list(_truth_values()))
def test_mean_estimate_over_seeds_is_within_three_standard_errors_of_the_truth(estimates, key):
    values = estimates[key].to_numpy()
    se = values.std(ddof=1) / np.sqrt(len(values))
    truth = _truth_values()[key]
    assert abs(values.mean() - truth) < 3 * se + 1e-9, (
        f"{key}: mean {values.mean():.4f}, truth {truth}, se {se:.4f}"
    )
