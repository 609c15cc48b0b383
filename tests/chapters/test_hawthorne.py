"""The Hawthorne caveat: store reading, bounds, the pattern's verdict, truth recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from conftest import make_params
from scipy import stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
)

from trustexp import fmt
from trustexp.chapters import hawthorne as show
from trustexp.data.outcomes import outflow_flags
from trustexp.data.synthetic import generate
from trustexp.results import validate_results


def _row(outcome, contrast, est, low, high, method, n=200, scale="pp", p=0.5):
    return dict(chapter="x", outcome=outcome, contrast=contrast, estimate=est, ci_low=low,
                ci_high=high, p=p, n=n, method=method, scale=scale)  # fmt: skip


ADJ, ATT, ANC = "difference (covariate-adjusted)", "ATT (doubly robust)", "ANCOVA (baseline score)"


def _store(reg_lead=6.0, arm=(2.0, 1.0)):
    """A results store of the exact shape the outflow and wellbeing chapters write."""
    rows = [
        _row("outflow_full", "eigen_regie vs regulier", arm[0], arm[0] - 10, arm[0] + 10, ADJ),
        _row("outflow_full", "intensief vs regulier", arm[1], arm[1] - 10, arm[1] + 10, ADJ),
        _row("outflow_full", "eigen_regie vs regulier", 30.0, 29.0, 31.0, "difference (unadjusted)"),
        _row("outflow_full", "participants vs non_participants", 11.0, 7.0, 15.0, "risk difference", 2200),
        _row("outflow_full", "participants vs non_participants", 8.0, 3.0, 13.0, ATT, 2200),
        _row("outflow_full", "regulier vs non_participants", 10.0, 3.0, 17.0, "risk difference", 2000),
        _row("outflow_full", "regulier vs non_participants", reg_lead, reg_lead - 7, reg_lead + 7, ATT, 2000),
        _row("outflow_full", "eigen_regie vs non_participants", reg_lead + arm[0], 1.0, 16.0, ATT, 2000),
        _row("outflow_full", "regulier level", 0.21, 0.14, 0.30, "share (Wilson)", 100, "share"),
        _row("wellbeing", "eigen_regie vs regulier", 0.1, -0.3, 0.5, ANC, 112, "points"),
        _row("wellbeing", "intensief vs regulier", 0.0, -0.4, 0.4, ANC, 112, "points"),
        _row("wellbeing", "eigen_regie vs regulier", -0.1, -0.5, 0.2,
             "standardised difference (baseline SD)", 112, "d"),
        _row("wellbeing", "regulier wave 2 vs wave 0", 0.4, 0.1, 0.8, "mean change", 59, "points"),
        _row("wellbeing", "eigen_regie wave 2 vs wave 0", 0.7, 0.3, 1.1, "mean change", 53, "points"),
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_decomposition_reads_preferred_methods_and_skips_missing_rows():
    dec = show.decomposition(_store()).set_index(["outcome", "contrast"])
    assert dec.loc[("outflow_full", "participants vs non_participants"), "method"] == ATT
    assert dec.loc[("outflow_full", "participants vs non_participants"), "estimate"] == 8.0
    assert dec.loc[("outflow_full", "eigen_regie vs regulier"), "component"] == "treatment"
    assert dec.loc[("outflow_full", "eigen_regie vs regulier"), "method"] == ADJ
    assert dec.loc[("outflow_full", "eigen_regie vs regulier"), "estimate"] == 2.0
    assert dec.loc[("wellbeing", "eigen_regie vs regulier"), "method"] == ANC
    assert (
        dec.loc[("wellbeing", "regulier wave 2 vs wave 0"), "component"] == "participation + trend"
    )
    assert ("wellbeing", "intensief wave 2 vs wave 0") not in dec.index  # not in the store
    raw_only = show.decomposition(_store(), outflow_participation=("risk difference",))
    part = raw_only[raw_only["contrast"] == "participants vs non_participants"].iloc[0]
    assert part["estimate"] == 11.0


def test_bounds_from_store_outflow_and_wellbeing():
    s = _store(reg_lead=6.0, arm=(2.0, 1.0))
    out = show.bounds_from_store(s, "outflow_full").set_index("group")
    assert out.loc["eigen_regie", ["lower", "upper"]].tolist() == [2.0, 8.0]  # direct row
    assert out.loc["eigen_regie", "upper_ci"] == 16.0
    assert out.loc["intensief", ["lower", "upper", "upper_ci"]].tolist() == [1.0, 7.0, 11.0 + 13.0]
    assert out.loc["regulier", ["lower", "upper"]].tolist() == [0.0, 6.0]
    wb = show.bounds_from_store(s, "wellbeing").set_index("group")
    assert wb.loc["eigen_regie", ["lower", "upper"]].tolist() == pytest.approx([0.1, 0.5])
    assert show.bounds_from_store(s[s["outcome"] != "wellbeing"], "wellbeing").empty


def test_store_rows_pass_the_store_schema():
    s = _store()
    bounds = show.all_bounds(s)
    rows = show.hawthorne_store_rows(bounds)
    checked = validate_results(rows.assign(chapter="hawthorne"))
    assert set(checked["method"]) == {show.BOUND_METHOD, show.BOUND_CI_METHOD}
    assert len(checked) == 2 * len(bounds) == 12
    b = checked[checked["method"] == show.BOUND_METHOD].set_index(["outcome", "contrast"])
    er = b.loc[("outflow_full", "eigen_regie vs non_participants")]
    assert [er["ci_low"], er["ci_high"], er["estimate"], er["scale"]] == [2.0, 8.0, 5.0, "pp"]
    c = checked[checked["method"] == show.BOUND_CI_METHOD].set_index(["outcome", "contrast"])
    assert c.loc[
        ("wellbeing", "intensief vs non_participants"), ["ci_low", "ci_high"]
    ].tolist() == (pytest.approx([-0.4, 1.2]))
    assert c.loc[("wellbeing", "intensief vs non_participants"), "scale"] == "points"


def _fixture_store_from_cohort(cohort, window: int) -> pd.DataFrame:
    """Store rows as the outflow chapter would write them, computed independently here."""
    flags = outflow_flags(cohort.population, cohort.registry, window)
    frame = cohort.population.merge(flags, on="person_id")
    arm = cohort.participants.set_index("person_id")["arm"].astype(str)
    frame["group"] = frame["person_id"].map(arm).fillna("non_participants")
    frame["y"] = frame["outflow_full"].astype(float)
    frame["years"] = np.minimum(frame["benefit_months"] / 12, 10)
    frame["single_parent"] = (frame["household"].astype(str) == "single_parent").astype(float)
    frame["migration"] = frame["migration_background"].astype(float)
    rows = []
    for a in ("eigen_regie", "intensief"):
        y1, y0 = frame.loc[frame.group == a, "y"], frame.loc[frame.group == "regulier", "y"]
        lo, hi = confint_proportions_2indep(y1.sum(), len(y1), y0.sum(), len(y0), method="wald")
        rows.append(_row("outflow_full", f"{a} vs regulier", 100 * (y1.mean() - y0.mean()), 100 * lo, 100 * hi,
                         ADJ, len(y1) + len(y0)))  # fmt: skip
    for g in ("eigen_regie", "intensief", "regulier"):
        sub = frame[frame.group.isin([g, "non_participants"])]
        sub = sub.assign(t=(sub.group == g).astype(float))
        fit = smf.ols("y ~ t + years + age + migration + single_parent", sub).fit(cov_type="HC1")
        lo, hi = fit.conf_int().loc["t"]
        # regression adjustment (OLS) in place of the outflow chapter's doubly robust ATT
        rows.append(_row("outflow_full", f"{g} vs non_participants", 100 * fit.params["t"], 100 * lo, 100 * hi,
                         ATT, len(sub)))  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize("participation", [0.095, 0.0])
def test_truth_recovery_bounds_cover_the_effect_against_an_uncontaminated_control(participation):
    arm_effect = {"eigen_regie": {"outflow_full": 0.03}, "intensief": {"outflow_full": 0.0}}
    params = make_params(
        seed=5,
        cohort={"n_participants": 3000, "n_non_participants": 6000, "months_before": 1, "follow_up_months": 24},
        truth={"participation": {"outflow_full": participation, "outflow_any": participation + 0.02},
               "arm_effect": arm_effect, "consultants": {"outflow_sd": 0.0}},
    )  # fmt: skip
    cohort = generate(params)
    bounds = show.bounds_from_store(
        _fixture_store_from_cohort(cohort, 24), "outflow_full"
    ).set_index("group")
    for arm, tau in (("eigen_regie", 0.03), ("intensief", 0.0), ("regulier", 0.0)):
        target = 100 * (tau + participation)  # E_a = T_a + H
        r = bounds.loc[arm]
        assert r["lower_ci"] <= target <= r["upper_ci"], (arm, target, r.to_dict())
    if participation == 0.0:
        # no participation effect: the control arm's lead (the room for masking) is about zero
        assert bounds.loc["regulier", "upper"] < 3.0
    else:
        assert bounds.loc["regulier", "lower_ci"] == 0.0 and bounds.loc["regulier", "upper"] > 5.0


def test_data_texts_suppress_small_arms():
    sizes = {"eigen_regie": 101, "intensief": 3, "regulier": 100, "non_participants": 2000}
    assert show.data_texts(sizes, 10, -12, 36) == {
        "n_arm_text": "Self-direction 101, Intensive support < 10, Regular service 100",
        "n_non": "2,000",
        "k_range": "-12 to +36",
    }


def test_required_decomposition_names_the_store_when_empty():
    # outflow: 3 participation rows (no intensief vs non-participants) + 2 treatment rows;
    # wellbeing: 2 change rows (no intensief change) + 2 treatment rows
    assert len(show.required_decomposition(_store(), "results/x")) == 9
    with pytest.raises(ValueError, match="results/x holds none"):
        show.required_decomposition(_store().iloc[:0], "results/x")


def test_contrast_texts_hand_formatted():
    texts = show.contrast_texts(show.decomposition(_store()), _store())
    assert list(texts)[:7] == [k for k, _, _ in show.CONTRAST_GLUES]
    assert texts["part_effect"] == "+8.0 percentage points (95% CI [3.0, 13.0])"  # the ATT row
    assert texts["reg_effect"] == "+6.0 percentage points (95% CI [-1.0, 13.0])"
    assert texts["eigen_vs_reg"] == "+2.0 percentage points (95% CI [-8.0, 12.0])"
    assert texts["int_vs_reg"] == "+1.0 percentage points (95% CI [-9.0, 11.0])"
    assert texts["wb_reg_change"] == "+0.40 points (95% CI [0.10, 0.80])"
    assert texts["wb_eigen_vs_reg"] == "+0.10 points (95% CI [-0.30, 0.50])"
    assert texts["wb_int_vs_reg"] == "0.00 points (95% CI [-0.40, 0.40])"
    assert texts["part_method"] == ATT
    assert texts["verdict"].startswith("the control arm not clearly ahead")  # lead CI [-1, 13]
    no_part = _store()[lambda s: ~s["contrast"].str.startswith("participants")]
    texts = show.contrast_texts(show.decomposition(no_part), no_part)
    assert texts["part_effect"] == "n/a (not in the results store)"
    assert texts["part_method"] == "n/a"


@pytest.mark.parametrize(
    ("reg_lead", "arm", "start"),
    [
        (10.0, (2.0, 1.0), "the pattern the report describes"),  # lead [3, 17], arms unclear
        (10.0, (12.0, 1.0), "the control arm ahead of comparable non-participants, but"),  # [2, 22]
        (6.0, (2.0, 1.0), "the control arm not clearly ahead of comparable non-participants, so"),
        (6.0, (2.0, -11.0), "the control arm not clearly ahead of comparable non-participants and"),
    ],
)
def test_pattern_verdict_follows_the_intervals(reg_lead, arm, start):
    store = _store(reg_lead=reg_lead, arm=arm)
    assert show.pattern_verdict(show.decomposition(store), {"outflow_full": 5.0}).startswith(start)


def test_detectable_texts_from_the_half_width_of_the_adjusted_contrast():
    z, zp = stats.norm.ppf(0.975), stats.norm.ppf(0.8)
    got = show.detectable_texts(_store())
    se = 20.0 / (2 * z)  # both arm intervals are 20 points wide
    assert got == {"target_power": "80%", "mde_eigen_regie": fmt.pp(se * (z + zp)),
                   "mde_intensief": fmt.pp(se * (z + zp))}  # fmt: skip
    assert got["mde_eigen_regie"] == "14.3 percentage points"
    no_int = _store()[
        lambda s: ~((s["contrast"] == "intensief vs regulier") & (s["method"] == ADJ))
    ]
    assert show.detectable_texts(no_int)["mde_intensief"] == "not estimable"


def test_bound_texts_hand_values():
    # outflow: T = 2 [-8, 12] and 1 [-9, 11]; C = 6 [-1, 13]; self-direction's upper bound from
    # its direct adjusted row 8 [1, 16]. Wellbeing: T = 0.1 [-0.3, 0.5] and 0 [-0.4, 0.4];
    # C = 0.4 [0.1, 0.8]; upper CI limit = upper T limit + upper C limit.
    texts = show.bound_texts(show.all_bounds(_store()))
    pp, pts = "percentage points (95% confidence limits", "points (95% confidence limits"
    assert texts == {
        "bound_out_eigen_regie": f"2.0 to 8.0 {pp} [-8.0, 16.0])",
        "bound_wb_eigen_regie": f"0.10 to 0.50 {pts} [-0.30, 1.30])",
        "bound_out_intensief": f"1.0 to 7.0 {pp} [-9.0, 24.0])",
        "bound_wb_intensief": f"0.00 to 0.40 {pts} [-0.40, 1.20])",
        "bound_out_regulier": f"0.0 to 6.0 {pp} [0.0, 13.0])",
        "bound_wb_regulier": f"0.00 to 0.40 {pts} [0.00, 0.80])",
        "upper_eigen": "+8.0 percentage points",
    }
    no_lead = _store()[lambda s: s["contrast"] != "regulier vs non_participants"]
    texts = show.bound_texts(show.all_bounds(no_lead))  # outflow bounds need the control's lead
    assert texts["bound_out_eigen_regie"] == texts["upper_eigen"] == "n/a"
    assert texts["bound_wb_eigen_regie"] == f"0.10 to 0.50 {pts} [-0.30, 1.30])"
