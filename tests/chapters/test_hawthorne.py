"""The Hawthorne caveat: store reading, bounds, masking simulation, truth recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from conftest import make_params
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
)

from trustexp.chapters import hawthorne as show
from trustexp.data.outcomes import outflow_flags
from trustexp.data.synthetic import generate
from trustexp.results import validate_results
from trustexp.stats import hawthorne as hw


def _row(outcome, contrast, est, low, high, method, n=200, scale="pp", p=0.5):
    return dict(chapter="x", outcome=outcome, contrast=contrast, estimate=est, ci_low=low,
                ci_high=high, p=p, n=n, method=method, scale=scale)  # fmt: skip


def _store(reg_lead=6.0, arm=(2.0, 1.0)):
    """A results store of the exact shape the outflow and wellbeing chapters write."""
    rows = [
        _row("outflow_full", "eigen_regie vs regulier", arm[0], arm[0] - 10, arm[0] + 10, "risk difference"),
        _row("outflow_full", "intensief vs regulier", arm[1], arm[1] - 10, arm[1] + 10, "risk difference"),
        _row("outflow_full", "participants vs non_participants", 11.0, 7.0, 15.0, "risk difference", 2200),
        _row("outflow_full", "participants vs non_participants", 8.0, 3.0, 13.0, "adjusted risk difference", 2200),
        _row("outflow_full", "regulier vs non_participants", 10.0, 3.0, 17.0, "risk difference", 2000),
        _row("outflow_full", "regulier vs non_participants", reg_lead, reg_lead - 7, reg_lead + 7, "adjusted risk difference", 2000),
        _row("outflow_full", "eigen_regie vs non_participants", reg_lead + arm[0], 1.0, 16.0, "adjusted risk difference", 2000),
        _row("outflow_full", "regulier level", 0.21, 0.14, 0.30, "share (Wilson)", 100, "share"),
        _row("wellbeing", "eigen_regie vs regulier", 0.1, -0.3, 0.5, "ANCOVA", 112, "points"),
        _row("wellbeing", "intensief vs regulier", 0.0, -0.4, 0.4, "ANCOVA", 112, "points"),
        _row("wellbeing", "eigen_regie vs regulier", -0.1, -0.5, 0.2, "Hedges g", 112, "g"),
        _row("wellbeing", "regulier wave 2 vs wave 0", 0.4, 0.1, 0.8, "mean change", 59, "points"),
        _row("wellbeing", "eigen_regie wave 2 vs wave 0", 0.7, 0.3, 1.1, "mean change", 53, "points"),
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_decomposition_reads_preferred_methods_and_skips_missing_rows():
    dec = show.decomposition(_store()).set_index(["outcome", "contrast"])
    assert (
        dec.loc[("outflow_full", "participants vs non_participants"), "method"]
        == "adjusted risk difference"
    )
    assert dec.loc[("outflow_full", "participants vs non_participants"), "estimate"] == 8.0
    assert dec.loc[("outflow_full", "eigen_regie vs regulier"), "component"] == "treatment"
    assert dec.loc[("wellbeing", "eigen_regie vs regulier"), "method"] == "ANCOVA"
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
    bounds = pd.concat(
        [show.bounds_from_store(s, "outflow_full"), show.bounds_from_store(s, "wellbeing")]
    )
    curve = hw.masking_power(100, 100, 0.21, [0.0, 9.0], np.arange(0, 41, 2.0), 50, seed=1)
    det = hw.detectable_effect(curve)
    rows = show.hawthorne_store_rows(bounds, {"eigen_regie": det},
                                   {"eigen_regie": hw.power_at_clean_detectable(curve, det)},
                                   {"eigen_regie": 200})  # fmt: skip
    checked = validate_results(rows.assign(chapter="hawthorne"))
    b = checked[checked["method"] == show.BOUND_METHOD].set_index(["outcome", "contrast"])
    assert b.loc[
        ("outflow_full", "eigen_regie vs non_participants"), ["ci_low", "ci_high"]
    ].tolist() == [2.0, 8.0]


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
                         "risk difference", len(y1) + len(y0)))  # fmt: skip
    for g in ("eigen_regie", "intensief", "regulier"):
        sub = frame[frame.group.isin([g, "non_participants"])]
        sub = sub.assign(t=(sub.group == g).astype(float))
        fit = smf.ols("y ~ t + years + age + migration + single_parent", sub).fit(cov_type="HC1")
        lo, hi = fit.conf_int().loc["t"]
        rows.append(_row("outflow_full", f"{g} vs non_participants", 100 * fit.params["t"], 100 * lo, 100 * hi,
                         "adjusted risk difference", len(sub)))  # fmt: skip
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
    assert texts["part_effect"] == "+8.0 percentage points (95% CI [3.0, 13.0])"  # adjusted row
    assert texts["reg_effect"] == "+6.0 percentage points (95% CI [-1.0, 13.0])"
    assert texts["eigen_vs_reg"] == "+2.0 percentage points (95% CI [-8.0, 12.0])"
    assert texts["int_vs_reg"] == "+1.0 percentage points (95% CI [-9.0, 11.0])"
    assert texts["wb_reg_change"] == "+0.40 points (95% CI [0.10, 0.80])"
    assert texts["wb_eigen_vs_reg"] == "+0.10 points (95% CI [-0.30, 0.50])"
    assert texts["wb_int_vs_reg"] == "0.00 points (95% CI [-0.40, 0.40])"
    assert texts["part_method"] == "adjusted risk difference"
    assert texts["verdict"].startswith("the pattern the report describes")
    no_part = _store()[lambda s: ~s["contrast"].str.startswith("participants")]
    texts = show.contrast_texts(show.decomposition(no_part), no_part)
    assert texts["part_effect"] == "n/a (not in the results store)"
    assert texts["part_method"] == "n/a"


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


def test_masking_grid_rounds_and_floors_the_estimate():
    assert show.masking_grid((5.0, 9.54), 7.96) == [0.0, 5.0, 8.0, 9.5]
    assert show.masking_grid((5.0, 9.5), -2.0) == [0.0, 5.0, 9.5]
    assert show.masking_grid((5.0, 9.5), np.nan) == [0.0, 5.0, 9.5]


def test_masking_simulation_runs_each_arm_with_its_own_seed():
    sizes = {"eigen_regie": 0, "intensief": 40, "regulier": 50}
    m = show.masking_simulation(_store(), (5.0, 9.5), sizes, 30, seed=7, target=0.5)
    assert m.participation == 8.0 and m.published_high == 9.5 and m.control_share == 0.21
    assert m.h_grid == [0.0, 5.0, 8.0, 9.5]
    assert m.effects[0] == 0.0 and m.effects[-1] == 40.0 and len(m.effects) == 41
    assert list(m.curves) == ["intensief"]  # an arm without people is left out
    assert m.pair_sizes == {"intensief": 90}
    # the second arm keeps seed + 1 even when the first is skipped
    direct = hw.masking_power(40, 50, 0.21, [0.0, 5.0, 8.0, 9.5], np.arange(41.0), 30, 8, 0.05)
    pd.testing.assert_frame_equal(m.curves["intensief"], direct)
    det = m.detect["intensief"].set_index("participation_pp")
    first = direct[(direct["participation_pp"] == 0.0) & (direct["power_clean"] >= 0.5)]
    assert det.loc[0.0, "detectable_clean_pp"] == first["effect_pp"].min()
    with pytest.raises(ValueError, match="regulier level"):
        show.masking_simulation(_store()[lambda s: s["contrast"] != "regulier level"], (5.0, 9.5),
                              sizes, 30, seed=7)  # fmt: skip


def _masking(participation: float) -> show.Masking:
    curve = pd.DataFrame({
        "participation_pp": [0.0, 0.0, 0.0, 9.5, 9.5, 9.5], "effect_pp": [0.0, 1.0, 2.0] * 2,
        "power": [0.05, 0.5, 0.9, 0.01, 0.1, 0.35], "power_clean": [0.05, 0.5, 0.9] * 2,
    })  # fmt: skip
    detect = pd.DataFrame({"participation_pp": [0.0, 9.5], "detectable_pp": [2.0, np.nan],
                           "detectable_clean_pp": [2.0, 2.0]})  # fmt: skip
    return show.Masking(participation, 9.5, 0.2, [0.0, 9.5], np.arange(3.0), 0.8,
                      {"eigen_regie": curve}, {"eigen_regie": detect}, {}, {})  # fmt: skip


def test_masking_texts_hand_values():
    assert show.masking_texts(_masking(9.5), 1000) == {
        "n_sim": "1,000",
        "det_clean": "2 percentage points",
        "pub_high": "10 percentage points",
        "det_pub_high": "more than the simulated range",
        "power_pub_high": "35.0%",
        "h_est": "9.5 percentage points",
        "power_est": "35.0%",
    }
    no_est = show.masking_texts(_masking(np.nan), 1000)
    assert no_est["h_est"] == "n/a" and no_est["power_est"] == "n/a"
    floored = show.masking_texts(_masking(-3.0), 1000)  # a negative estimate counts as no effect
    assert floored["h_est"] == "0.0 percentage points" and floored["power_est"] == "90.0%"
