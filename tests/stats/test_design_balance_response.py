"""Chapters 1-3 helpers: CONSORT counts, standardised mean differences, questionnaire response."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from conftest import tiny_trial
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps

from trustexp.stats import balance, design, response
from trustexp.vocab import ARMS


def test_consort_counts_match_a_hand_count():
    population, participants, survey = tiny_trial()
    counts = design.consort_counts(
        population, participants, survey, in_registry={"P0", "P1", "P2", "P4", "P5"}
    )
    n = {(r.stage, r.group): r.n for r in counts.itertuples()}
    assert (
        n[("assessed", "all")] == 8
        and n[("not_enrolled", "all")] == 2
        and n[("randomised", "all")] == 6
    )
    assert [n[("allocated", a)] for a in design.ARMS] == [2, 2, 2]
    assert [n[("wave_0", a)] for a in design.ARMS] == [2, 1, 2]
    assert [n[("lost_wave_1", a)] for a in design.ARMS] == [1, 1, 0]
    assert [n[("wave_2", a)] for a in design.ARMS] == [1, 2, 1]
    assert [n[("analysed_registry", a)] for a in design.ARMS] == [2, 1, 2]
    assert [n[("analysed_survey", a)] for a in design.ARMS] == [1, 1, 1]  # P0, P2, P5


def test_smd_is_the_textbook_pooled_sd_formula():
    t, c = np.array([3.0, 5.0, 7.0, 9.0]), np.array([1.0, 2.0, 4.0])
    pooled = np.sqrt((np.var(t, ddof=1) + np.var(c, ddof=1)) / 2)
    assert balance.smd(t, c) == pytest.approx((t.mean() - c.mean()) / pooled)
    w = np.array([1.0, 1.0, 2.0])
    assert balance.smd(t, c, weights=w) == pytest.approx((t.mean() - (1 + 2 + 8) / 4) / pooled)
    assert np.isnan(balance.smd(np.array([1.0]), c))


@given(st.lists(st.floats(-50, 50), min_size=2, max_size=30), st.lists(st.floats(-50, 50), min_size=2, max_size=30),
       st.floats(-20, 20), st.floats(0.5, 3))  # fmt: skip
def test_smd_is_invariant_to_shift_and_scale(t, c, shift, scale):
    t, c = np.array(t), np.array(c)
    base = balance.smd(t, c)
    if np.isnan(base) or np.sqrt((t.var(ddof=1) + c.var(ddof=1)) / 2) < 1e-6:
        return
    assert balance.smd(t * scale + shift, c * scale + shift) == pytest.approx(
        base, rel=1e-6, abs=1e-9
    )


def test_arm_balance_means_and_smds():
    population, participants, survey = tiny_trial()
    base = balance.participant_baseline(population, participants, survey)
    table = balance.arm_balance(base, ["age", "benefit_years"]).set_index("covariate")
    assert table.loc["age", "mean_eigen_regie"] == pytest.approx(35.0)
    assert table.loc["benefit_years", "smd_intensief"] == pytest.approx(
        balance.smd(np.array([3.0, 4.0]), np.array([5.0, 6.0]))
    )
    part = balance.participation_balance(population).set_index("covariate")
    assert part.loc["age", "mean_non_participants"] == pytest.approx(61.0)


def test_response_shares_use_wilson_intervals():
    population, participants, survey = tiny_trial()
    flags = response.response_flags(survey, participants)
    shares = response.response_shares(flags).query("respondent == 'participant' and wave == 2")
    row = shares.set_index("arm").loc["intensief"]
    assert (row["responded"], row["n"]) == (2, 2)
    low, high = sm.stats.proportion_confint(2, 2, method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
    # consultants returned nothing in this fixture: counted as non-response, not dropped
    assert shares.shape[0] == 3
    assert (
        response.response_shares(flags).query("respondent == 'consultant'")["responded"].sum() == 0
    )


def test_differential_attrition_is_pearsons_chi_square():
    rng = np.random.default_rng(1)
    flags = pd.DataFrame({
        "person_id": [f"P{i}" for i in range(90)], "respondent": "participant", "wave": 2,
        "arm": np.repeat(design.ARMS, 30), "responded": rng.random(90) < np.repeat([0.5, 0.6, 0.8], 30),
    })  # fmt: skip
    table = pd.crosstab(flags["arm"], flags["responded"]).to_numpy()
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    chi2 = ((table - expected) ** 2 / expected).sum()
    out = response.differential_attrition(flags)
    assert out["chi2"] == pytest.approx(chi2)
    assert out["p"] == pytest.approx(sps.chi2.sf(chi2, 2))


def test_response_model_odds_ratios_are_exponentiated_logit_coefficients():
    rng = np.random.default_rng(7)
    n = 240
    base = pd.DataFrame({
        "arm": np.repeat(ARMS, n // 3), "age": rng.integers(18, 66, n).astype(float),
        "female": rng.integers(0, 2, n).astype(float), "migration_background": rng.integers(0, 2, n).astype(float),
        "benefit_years": rng.gamma(2, 1.5, n), "household_single_parent": rng.integers(0, 2, n).astype(float),
        "education_low": rng.integers(0, 2, n).astype(float), "education_high": np.zeros(n),
    }, index=[f"P{i}" for i in range(n)])  # fmt: skip
    base.loc[base.index[::3], "education_high"] = 1.0
    logit = -0.5 + 0.02 * base["age"] + 0.8 * (base["arm"] == "eigen_regie")
    responded = rng.random(n) < 1 / (1 + np.exp(-logit))
    flags = pd.DataFrame(
        {"person_id": base.index, "respondent": "participant", "wave": 2, "responded": responded}
    )
    out = response.response_model(base, flags).set_index("term")
    x = pd.DataFrame({"arm_eigen_regie": (base["arm"] == "eigen_regie").astype(float),
                      "arm_intensief": (base["arm"] == "intensief").astype(float)}).join(base[list(response.MODEL_COVARIATES)])  # fmt: skip
    fit = sm.Logit(responded.astype(float), sm.add_constant(x)).fit(disp=0)
    assert out.loc["arm_eigen_regie", "odds_ratio"] == pytest.approx(
        np.exp(fit.params["arm_eigen_regie"]), rel=1e-6
    )
    assert out.loc["age", "odds_ratio"] == pytest.approx(np.exp(fit.params["age"]), rel=1e-6)


def test_persons_in_registry_from_memory_and_from_parquet(tmp_path):
    from types import SimpleNamespace

    from trustexp.data.registry_queries import persons_in_registry

    registry = pd.DataFrame({"person_id": ["P1", "P1", "P3"], "on_benefit": [True, False, True]})
    in_memory = SimpleNamespace(registry_on_disk=False, registry=registry, registry_path=None)
    assert persons_in_registry(in_memory, ["P1", "P2", "P3"]) == {"P1", "P3"}
    registry.to_parquet(tmp_path / "part-0.parquet")
    on_disk = SimpleNamespace(
        registry_on_disk=True, registry=registry.iloc[:0], registry_path=str(tmp_path / "*.parquet")
    )
    assert persons_in_registry(on_disk, ["P1", "P2", "P3"]) == {"P1", "P3"}
