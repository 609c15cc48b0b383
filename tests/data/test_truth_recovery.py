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


# ---------------------------------------------------------------- motivation and durable exits

RETURNS_TRUTH = {
    **TRUTH,
    "arm_effect": {"eigen_regie": {"motivation": 0.6}},
    "returns": {"share": 0.4, "within_months": 12, "arm": {"eigen_regie": -0.2}},
}


def _motivation_and_durable(seed: int) -> dict[str, float]:
    from trustexp.data.outcomes import durable_exit_flags
    from trustexp.stats.survey import ancova_wave2, long_outcome

    params = make_params(seed=seed, truth=RETURNS_TRUTH,
                         cohort={"n_participants": 300, "n_non_participants": 30,
                                 "months_before": 1, "follow_up_months": 36})  # fmt: skip
    c = generate(params)
    anc = ancova_wave2(long_outcome(c.survey, c.participants, "motivation")).set_index("contrast")
    flags = outflow_flags(c.population, c.registry, 24).merge(
        durable_exit_flags(c.population, c.registry, 24, 12)
    )
    g = flags.merge(c.participants[["person_id", "arm"]].astype({"arm": str}))
    exits = c.registry[c.registry["exit_reason"].isin(["work_full", "work_part"])]
    k = exits["month"].dt.year * 12 + exits["month"].dt.month - (2017 * 12 + 4)
    exits = exits[(k >= 1) & (k <= 24)]
    to_work = g[g["person_id"].isin(set(exits["person_id"]))]
    back = 1 - to_work.groupby("arm")["outflow_durable"].mean()
    return {
        "motivation eigen_regie": float(anc.loc["eigen_regie vs regulier", "estimate"]),
        "return share regulier": float(back["regulier"]),
        "return share eigen_regie vs regulier": float(back["eigen_regie"] - back["regulier"]),
    }


def test_motivation_effect_and_returns_to_benefit_are_recovered() -> None:
    est = pd.DataFrame([_motivation_and_durable(seed) for seed in range(20)])
    truth = {"motivation eigen_regie": 0.6, "return share regulier": 0.4,
             "return share eigen_regie vs regulier": -0.2}  # fmt: skip
    for key, value in truth.items():
        v = est[key].to_numpy()
        se = v.std(ddof=1) / np.sqrt(len(v))
        # motivation is recorded rounded to 1-5, which attenuates the latent shift a little
        tol = 3 * se + (0.08 if key.startswith("motivation") else 0.0)
        assert abs(v.mean() - value) < tol, (
            f"{key}: mean {v.mean():.3f}, truth {value}, se {se:.3f}"
        )
