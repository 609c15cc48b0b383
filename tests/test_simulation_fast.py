"""The simulation's numpy path gives the numbers of the frame-level helpers and of statsmodels.

``trustexp.simulation.estimate_primary`` reads the generator's arrays and shares each design's
pieces (``cluster_robust.ClusteredDesign``, ``wild_cluster_intervals``, ``att.att_analytic``). The
reference here is independent of that path: the cohort is built as pandas frames from the
generator's full draws and every number comes from the public helpers called one contrast and one
inference at a time (``linear_contrast``, ``att``, ``risk_difference``), as the harness did before
(issue 16), and the CR1/HC1 rows are checked against statsmodels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from trustexp import simulation as S
from trustexp.config import Params, load_params, load_truth
from trustexp.data.synthetic import draw_municipal, full_time_probability, survey_rows
from trustexp.data.truth import ARMS
from trustexp.stats import att as att_mod
from trustexp.stats import cluster_robust as cr
from trustexp.stats import outflow as of

KEY = ["outcome", "contrast", "method", "inference"]
NUMBERS = ["estimate", "ci_low", "ci_high", "p", "truth", "truth_population"]
SEEDS = (101, 202)


def _cohort(truth_name: str, seed: int) -> Params:
    params = load_params("params/oss.yml")
    return S._cohort_params(params, load_truth(params, truth_name), seed)


def _frames(params: Params) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Participants and everyone as frames, from the generator's full draws (all survey items)."""
    dr = draw_municipal(params, with_non_participants=True)
    window = params.analysis.outflow_window_months
    rows = survey_rows(params, dr.ids_p, dr.cov_p["age"], dr.cov_p["migration_background"],
                       dr.cov_p["benefit_months"], dr.education, dr.arm_idx, dr.consultant_idx,
                       dr.consultant_ids)  # fmt: skip
    arm = np.asarray(ARMS, dtype=object)[dr.arm_idx]
    part = pd.DataFrame({
        "participant": 1, "arm": arm, "consultant_id": dr.consultant_ids[dr.consultant_idx],
        "outflow_full": ((dr.exit_k >= 1) & (dr.exit_k <= window) & (dr.reason == 0)).astype(float),
        "y0": rows[0]["wellbeing"], "y": rows[4]["wellbeing"], **dr.cov_p,
    })  # fmt: skip
    non = pd.DataFrame({
        "participant": 0, "arm": None, "consultant_id": None,
        "outflow_full": ((dr.exit_n >= 1) & (dr.exit_n <= window) & (dr.reason_n == 0)).astype(float),
        **dr.cov_n,
    })  # fmt: skip
    everyone = pd.concat([part.drop(columns=["y0", "y"]), non], ignore_index=True)
    t = params.truth
    p0 = full_time_probability(t, dr.cov_p, 0.0, dr.education)
    base = (
        t.participation.outflow_full
        + np.array([getattr(t.arm_effect, a).outflow_full for a in ARMS])[dr.arm_idx]
    )
    arm_mean = {  # one consultant at a time, as the harness did before
        a: float(np.mean([
            full_time_probability(t, dr.cov_p, t.participation.outflow_full
                                  + getattr(t.arm_effect, a).outflow_full + c, dr.education).mean()
            for c in dr.consultant_effect
        ]))
        for a in ARMS
    }  # fmt: skip
    truth = {
        "effect": full_time_probability(t, dr.cov_p, dr.shift_full, dr.education) - p0,
        "effect_pop": full_time_probability(t, dr.cov_p, base, dr.education) - p0,
        "arm_mean": arm_mean,
    }
    return part, everyone, truth


def _reference(params: Params, seed: int) -> pd.DataFrame:
    """Every row of ``estimate_primary`` the slow way: public helpers, one call per number."""
    alpha, t = params.analysis.alpha, params.truth
    part, everyone, tp = _frames(params)
    arm_truth = {a: 100 * (tp["arm_mean"][a] - tp["arm_mean"]["regulier"]) for a in S.TREATED}
    rows = []

    def arm_rows(data, outcome, y, method, covariates, truth, base_seed):
        arm = data["arm"].to_numpy()
        X = np.column_stack([np.ones(len(data)), *((arm == a).astype(float) for a in S.TREATED),
                             *covariates])  # fmt: skip
        groups = data["consultant_id"].to_numpy()
        for j, a in enumerate(S.TREATED, start=1):
            c = np.eye(X.shape[1])[j]
            for inf in cr.INFERENCES:
                est = cr.linear_contrast(y, X, c, groups, inf, alpha, 0.0, S.N_WCR, base_seed + j)
                rows.append({"outcome": outcome, "contrast": f"{a} vs regulier", "method": method,
                             "inference": inf, "truth": truth[a], "truth_population": truth[a],
                             **{k: est[k] for k in ("estimate", "ci_low", "ci_high", "p")}})  # fmt: skip

    y = 100 * part["outflow_full"].to_numpy()
    arm_rows(part, "outflow_full", y, cr.METHODS["unadjusted"], [], arm_truth, seed)
    reg = cr.registry_design(part).to_numpy(float)
    arm_rows(part, "outflow_full", y, cr.METHODS["adjusted"], [reg], arm_truth, seed + 10)
    for a in S.TREATED:
        m1, m0 = part["arm"] == a, part["arm"] == "regulier"
        rd = of.risk_difference(int(part.loc[m1, "outflow_full"].sum()), int(m1.sum()),
                                int(part.loc[m0, "outflow_full"].sum()), int(m0.sum()), alpha)  # fmt: skip
        rows.append({"outcome": "outflow_full", "contrast": f"{a} vs regulier",
                     "method": cr.METHODS["unadjusted"], "inference": "Newcombe",
                     "truth": arm_truth[a], "truth_population": arm_truth[a],
                     **{k: rd[k] for k in ("estimate", "ci_low", "ci_high", "p")}})  # fmt: skip
    is_part = everyone["participant"].to_numpy() == 1
    for contrast in att_mod.CONTRASTS:
        group = contrast.split(" vs ")[0]
        treated = is_part if group == "participants" else is_part & (everyone["arm"] == group)
        sub = everyone[treated | ~is_part]
        sel = np.ones(len(part), bool) if group == "participants" else (part["arm"] == group)
        out = att_mod.att(sub["outflow_full"].to_numpy(float), sub["participant"].to_numpy(float),
                          att_mod.att_design(sub), inference="analytic", alpha=alpha)  # fmt: skip
        for r in out.itertuples():
            rows.append({"outcome": "outflow_full", "contrast": contrast, "method": r.method,
                         "inference": "analytic", "truth": 100 * tp["effect"][sel].mean(),
                         "truth_population": 100 * tp["effect_pop"][sel].mean(),
                         "estimate": 100 * r.estimate, "ci_low": 100 * r.ci_low,
                         "ci_high": 100 * r.ci_high, "p": r.p})  # fmt: skip
    wb = part.dropna(subset=["y0", "y"])
    wb_truth = {a: getattr(t.arm_effect, a).wellbeing - t.arm_effect.regulier.wellbeing
                for a in S.TREATED}  # fmt: skip
    arm_rows(wb, "wellbeing", wb["y"].to_numpy(float), cr.METHODS["ancova"],
             [wb["y0"].to_numpy(float)], wb_truth, seed + 20)  # fmt: skip
    return pd.DataFrame(rows)


def _assert_same(new: pd.DataFrame, ref: pd.DataFrame, rtol: float = 1e-8) -> None:
    new, ref = new.set_index(KEY).sort_index(), ref.set_index(KEY).sort_index()
    assert new.index.equals(ref.index)
    a, b = new[NUMBERS].to_numpy(float), ref[NUMBERS].to_numpy(float)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-10)


@pytest.mark.parametrize("truth_name", S.TRUTHS)
def test_every_estimate_equals_the_public_helpers_called_one_at_a_time(truth_name: str) -> None:
    for seed in SEEDS:
        params = _cohort(truth_name, seed)
        new = S.estimate_primary(params, seed=seed)
        assert len(new) == 38
        _assert_same(new, _reference(params, seed))


def test_primary_only_rows_are_the_same_rows_of_the_full_set() -> None:
    params = _cohort("harmful", SEEDS[0])
    full = S.estimate_primary(params, seed=SEEDS[0])
    primary = S.estimate_primary(params, seed=SEEDS[0], primary_only=True)
    assert set(S.PRIMARY) <= set(map(tuple, primary[KEY].to_numpy()))
    _assert_same(primary, full.merge(primary[KEY]), rtol=0)


def test_cr1_and_hc1_rows_equal_statsmodels() -> None:
    params = _cohort("default", SEEDS[1])
    new = S.estimate_primary(params, seed=SEEDS[1]).set_index(KEY)
    part, _, _ = _frames(params)
    arm = part["arm"].to_numpy()
    X = np.column_stack([np.ones(len(part)), (arm == "eigen_regie"), (arm == "intensief"),
                         cr.registry_design(part).to_numpy(float)]).astype(float)  # fmt: skip
    y = 100 * part["outflow_full"].to_numpy()
    groups = pd.factorize(part["consultant_id"])[0]
    n_clusters = len(np.unique(groups))
    cl = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": groups})
    hc1 = sm.OLS(y, X).fit(cov_type="HC1")
    method = cr.METHODS["adjusted"]
    for j, a in enumerate(S.TREATED, start=1):
        contrast = f"{a} vs regulier"
        row = new.loc[("outflow_full", contrast, method, "CR1")]
        crit = stats.t.ppf(0.975, n_clusters - 1)
        assert row["estimate"] == pytest.approx(cl.params[j], rel=1e-10)
        assert row["ci_low"] == pytest.approx(cl.params[j] - crit * cl.bse[j], rel=1e-8)
        assert row["ci_high"] == pytest.approx(cl.params[j] + crit * cl.bse[j], rel=1e-8)
        row = new.loc[("outflow_full", contrast, method, "HC1")]
        low, high = hc1.conf_int(0.05)[j]
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), rel=1e-8)
        assert row["p"] == pytest.approx(hc1.pvalues[j], rel=1e-8)


def test_wild_cluster_intervals_together_equal_each_test_inverted_alone() -> None:
    rng = np.random.default_rng(5)
    n = 240
    g = rng.integers(0, 10, n)
    X = np.column_stack([np.ones(n), rng.random(n) < 0.5, rng.normal(size=n)])
    y = X @ [1.0, 0.3, 0.2] + rng.normal(size=10)[g] + rng.normal(size=n)
    design = cr.ClusteredDesign(X, g, 10)
    tests = [design.wild_cluster(y, np.eye(3)[j], 199, seed) for j in (1, 2) for seed in (1, 2)]
    together = cr.wild_cluster_intervals(tests, 0.05)
    for (j, seed), got in zip([(j, s) for j in (1, 2) for s in (1, 2)], together, strict=True):
        ref = cr.wild_cluster_bootstrap(y, X, g, np.eye(3)[j], 0.0, 199, seed, 0.05)
        assert got == pytest.approx((ref["p"], ref["ci_low"], ref["ci_high"]), rel=1e-9)


def test_survey_rows_with_items_keeps_their_values_and_every_draw() -> None:
    params = _cohort("arm_effect", SEEDS[0])
    dr = draw_municipal(params)
    args = (params, dr.ids_p, dr.cov_p["age"], dr.cov_p["migration_background"],
            dr.cov_p["benefit_months"], dr.education, dr.arm_idx, dr.consultant_idx,
            dr.consultant_ids)  # fmt: skip
    full, only = survey_rows(*args), survey_rows(*args, items=("wellbeing", "health"))
    for a, b in zip(full, only, strict=True):
        np.testing.assert_array_equal(a["completed"], b["completed"])
        for item in ("wellbeing", "health"):
            if item in a and not np.isnan(a[item]).all():
                np.testing.assert_array_equal(a[item], b[item])
        assert "contacts" not in b and "ladder" not in b


def test_draws_reused_across_truths_equal_fresh_draws() -> None:
    people: dict = {}
    for truth_name in (*S.TRUTHS, "default"):
        params = _cohort(truth_name, SEEDS[1])
        reused, fresh = draw_municipal(params, people=people), draw_municipal(params)
        for field in fresh.__dataclass_fields__:
            a, b = getattr(reused, field), getattr(fresh, field)
            for x, y in zip(
                *(v.values() if isinstance(v, dict) else [v] for v in (a, b)), strict=True
            ):
                np.testing.assert_array_equal(x, y)
    other_seed = _cohort("default", SEEDS[0])
    assert not np.array_equal(draw_municipal(other_seed, people=people).cov_p["age"],
                              draw_municipal(_cohort("default", SEEDS[1])).cov_p["age"])  # fmt: skip


def _one_seed_at_a_time(params: Params, n: int, truths, primary_only: bool) -> pd.DataFrame:
    """The replicates built without chunks, pools or reuse between the two sets: each seed is a
    task of its own, run in this process, truth by truth."""
    from trustexp.stats.simulation import replicate_seeds

    raw = params.model_dump(mode="json")
    named = [(t, load_truth(params, t).model_dump(mode="json")) for t in truths]
    parts = [S._run_chunk((raw, named, [(rep, seed)], primary_only))
             for rep, seed in enumerate(replicate_seeds(params.seed, n))]  # fmt: skip
    return pd.concat([p[t] for t in truths for p in parts], ignore_index=True)


@pytest.mark.parametrize(("n_primary", "n_full", "workers"), [(9, 5, 1), (7, 3, 2), (2, 4, 1)])
def test_both_simulations_in_one_pool_equal_each_seed_run_alone(n_primary, n_full, workers) -> None:
    # 5 and 3 full cohorts in chunks of 1 and 2 seeds: the last chunk ends at n_full (a chunk
    # that ran on into the primary-only seeds once counted 1,008 of 1,000 cohorts)
    params = load_params("params/oss.yml")
    truths = ("default", "harmful")
    primary, full = S.run_simulations(params, n_primary, n_full, truths, workers=workers)
    expected_primary = _one_seed_at_a_time(params, n_primary, truths, primary_only=True)
    expected_full = _one_seed_at_a_time(params, n_full, truths, primary_only=False)
    pd.testing.assert_frame_equal(primary, expected_primary, check_exact=True)
    pd.testing.assert_frame_equal(full, expected_full, check_exact=True)
    assert primary.groupby("truth_name")["replicate"].nunique().to_dict() == dict.fromkeys(
        truths, n_primary
    )
    alone = S.run_simulation(params, n_full, truths, workers, primary_only=False)
    pd.testing.assert_frame_equal(alone, expected_full, check_exact=True)
    assert S.run_simulations(params, 0, 0, truths, workers=1)[0].empty
