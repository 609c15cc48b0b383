"""Resources: spending per arm and instrument, cost per extra exit, texts and store rows."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import SPENDING, SPENDING_PARTICIPANTS, make_params, spending_outflow_case, store_row

from trustexp import fmt
from trustexp.chapters import resources as show
from trustexp.config import ConsultantTime
from trustexp.data import codebook
from trustexp.data.synthetic import generate
from trustexp.results import validate_results
from trustexp.stats import cost
from trustexp.stats import resources as rs
from trustexp.vocab import group_label

ATT = "ATT (doubly robust)"
TIME = ConsultantTime(
    hours_per_person_year={"eigen_regie": 10.0, "intensief": 30.0, "regulier": 10.0,
                           "non_participants": 5.0},
    eur_per_hour=80.0,
)  # fmt: skip


def _att_store(part=(8.0, 2.0, 14.0), er=(10.0, -1.0, 21.0), reg=(3.0, 1.0, 5.0)) -> pd.DataFrame:
    """The outflow chapter's ATT rows (pp) of each group against non-participants."""
    rows = [store_row("outflow_full", f"{g} vs non_participants", ATT, *v, 0.01, 1000, "pp")
            for g, v in (("participants", part), ("eigen_regie", er), ("regulier", reg),
                         ("intensief", (5.0, 1.0, 9.0)))]  # fmt: skip
    rows.append(store_row("outflow_full", "participants vs non_participants", "risk difference",
                          50.0, 40.0, 60.0, 0.01, 1000, "pp"))  # fmt: skip
    return pd.DataFrame(rows)


def _per_non() -> pd.DataFrame:
    """Ten non-participants: five paid 100 euros of training, five nothing (mean 50)."""
    return pd.DataFrame({"person_id": [f"N{i}" for i in range(10)], "arm": "non_participants",
                         "training": [100.0] * 5 + [0.0] * 5})  # fmt: skip


def test_cost_rows_match_the_cost_per_extra_exit_worked_by_hand():
    # participants: 100 self-direction at 600 euros, 100 regular service at 300 (mean 450);
    # non-participants 50. Hours: 10 per person-year in both arms (so all participants 10), 5 for
    # non-participants; 80 euros an hour over 2 years.
    per, _, _ = spending_outflow_case()
    costs = show.cost_rows(per, _per_non(), _att_store(), TIME, 2.0).set_index("group")
    assert list(costs.index) == ["participants", "eigen_regie", "regulier"]  # intensief: nobody
    part = costs.loc["participants"]
    # (450 + 10 x 80 x 2) - (50 + 5 x 80 x 2) = 2,050 - 850 = 1,200 euros per person; ATT 8 pp
    assert part["cost_difference"] == pytest.approx(1200.0)
    assert part["estimate"] == pytest.approx(1200 / 0.08)
    assert (part["ci_low"], part["ci_high"]) == pytest.approx((1200 / 0.14, 1200 / 0.02))
    assert (part["spending"], part["spending_non"], part["hours"], part["hours_non"]) == (
        pytest.approx((450.0, 50.0, 10.0, 5.0))
    )
    assert (part["att"], part["att_low"], part["att_high"]) == pytest.approx((0.08, 0.02, 0.14))
    assert part["n_group"] == 200 and part["n"] == 1000 and part["method"] == cost.METHOD
    er = costs.loc["eigen_regie"]  # 600 + 1,600 - 850 = 1,350; ATT 10 pp with an interval from -1
    assert er["estimate"] == pytest.approx(1350 / 0.10)
    assert math.isnan(er["ci_low"]) and math.isnan(er["ci_high"])
    reg = costs.loc["regulier"]  # 300 + 1,600 - 850 = 1,050; ATT 3 pp [1, 5]
    assert (reg["estimate"], reg["ci_low"], reg["ci_high"]) == pytest.approx(
        (1050 / 0.03, 1050 / 0.05, 1050 / 0.01)
    )


def test_cost_rows_weight_the_arms_hours_by_arm_size_and_skip_groups_without_an_att():
    per, _, _ = spending_outflow_case()
    per = per.iloc[50:].reset_index(drop=True)  # 50 self-direction, 100 regular service
    time = TIME.model_copy(update={"hours_per_person_year": {
        "eigen_regie": 40.0, "intensief": 30.0, "regulier": 10.0, "non_participants": 0.0}})  # fmt: skip
    store = _att_store()[lambda s: s["contrast"] != "regulier vs non_participants"]
    costs = show.cost_rows(per, _per_non().iloc[:0], store, time, 1.0).set_index("group")
    assert list(costs.index) == ["participants", "eigen_regie"]
    assert costs.loc["participants", "hours"] == pytest.approx((40 * 50 + 10 * 100) / 150)
    assert costs.loc["participants", "spending_non"] == 0.0  # no non-participants: no spending
    assert show.cost_rows(per, _per_non(), store.iloc[:0], time, 1.0).empty


def _analysis(by_arm=None, costs=None, difference=None, sensitivity=None, instruments=None,
              paid=3) -> show.ResourcesAnalysis:  # fmt: skip
    empty = pd.DataFrame()
    return show.ResourcesAnalysis(
        instruments=instruments or {}, per_person=empty,
        by_arm=by_arm if by_arm is not None else empty,
        difference=difference if difference is not None else pd.DataFrame(columns=["arm"]),
        costs=costs if costs is not None else empty,
        sensitivity=sensitivity if sensitivity is not None else pd.DataFrame({"estimate": []}),
        window=24, n_non_participants=7, non_participants_paid=paid, years=2.0, eur_per_hour=80.0,
    )  # fmt: skip


def test_store_rows_pass_the_store_schema():
    per, _, _ = spending_outflow_case()
    costs = show.cost_rows(per, _per_non(), _att_store(), TIME, 2.0)
    rows = show.resources_store_rows(
        rs.spending_by_arm_instrument(per, 200, 1), costs, rs.spending_difference(per, 200, 3)
    )
    checked = validate_results(rows.assign(chapter="resources"))
    assert {"spending per participant", cost.METHOD, "budget share: training",
            "spending per participant difference"} <= set(checked["method"])  # fmt: skip
    c = checked[checked["method"] == cost.METHOD].set_index("contrast")
    assert sorted(c.index) == ["eigen_regie vs non_participants", "participants vs non_participants",
                               "regulier vs non_participants"]  # fmt: skip
    assert c.loc["participants vs non_participants", "estimate"] == pytest.approx(15_000.0)
    assert c["ci_low"].isna().sum() == 1  # self-direction's interval cannot be bounded
    assert set(c["scale"]) == {"eur"}


def test_resources_analysis_equals_its_building_blocks():
    params = make_params(analysis={"n_bootstrap": 200})
    cohort = generate(params)
    res = show.resources_analysis(cohort, params, _att_store())
    assert res.instruments == codebook.level_labels("spending", "instrument")
    inst = list(res.instruments)
    per = rs.person_spending(cohort.spending, cohort.participants, inst)
    pd.testing.assert_frame_equal(res.per_person, per)
    seed, alpha = params.seed, params.analysis.alpha
    pd.testing.assert_frame_equal(res.by_arm, rs.spending_by_arm_instrument(per, 200, seed, alpha))
    pd.testing.assert_frame_equal(res.difference, rs.spending_difference(per, 200, seed + 2, alpha))
    pop = cohort.population
    non = pop.loc[~pop["participant"].astype(bool), ["person_id"]].assign(arm="non_participants")
    per_non = rs.person_spending(cohort.spending, non, inst)
    years = params.analysis.outflow_window_months / 12
    time = params.analysis.plan.consultant_time
    pd.testing.assert_frame_equal(
        res.costs, show.cost_rows(per, per_non, _att_store(), time, years)
    )
    assert res.n_non_participants == len(non) > 0
    assert res.non_participants_paid == int((per_non[inst].sum(axis=1) > 0).sum()) > 0
    assert (res.years, res.eur_per_hour) == (years, time.eur_per_hour)
    assert len(res.sensitivity) == 15  # three hourly costs x five multiples of the hours
    want_rows = show.resources_store_rows(res.by_arm, res.costs, res.difference)
    pd.testing.assert_frame_equal(show.store_rows(res), want_rows)


def test_resources_analysis_refuses_data_without_participants_or_the_outflow_att():
    params = make_params()
    cohort = generate(params)
    with pytest.raises(ValueError, match="run the outflow chapter first"):
        show.resources_analysis(cohort, params, _att_store().iloc[:0])
    cohort.participants = cohort.participants.iloc[0:0]
    with pytest.raises(ValueError, match="no participants"):
        show.resources_analysis(cohort, params, _att_store())


def test_data_texts_format_years_counts_and_window():
    spend = SPENDING.assign(year=[2019, 2017, 2018, 2018, 2017])
    got = show.data_texts(_analysis(), spend, SPENDING_PARTICIPANTS, threshold=3)
    assert got == {
        "years": "2017-2019",
        "n_arm_text": f"{group_label('eigen_regie')} < 3, {group_label('intensief')} 0, "
        f"{group_label('regulier')} < 3",
        "n_payments": "5",
        "window": "24",
        "threshold": "3",
        "n_non_participants": "7",
    }  # fmt: skip
    assert (
        show.data_texts(_analysis(), SPENDING.iloc[0:0], SPENDING_PARTICIPANTS, 3)["years"]
        == "none"
    )


def _eur(est, low, high) -> str:
    return f"EUR {fmt.count(est)} (95% CI EUR {fmt.count(low)} to {fmt.count(high)})"


def _pct_ci(r) -> str:
    return f"{100 * r['share']:.1f}% (95% CI [{100 * r['share_low']:.1f}%, {100 * r['share_high']:.1f}%])"


def test_spending_texts_match_the_frame_and_hide_small_shares():
    per, _, _ = spending_outflow_case()
    per = per.assign(reintegration_trajectory=[500.0] * 5 + [0.0] * 95 + [800.0] * 40 + [0.0] * 60)
    by_arm = rs.spending_by_arm_instrument(per, 200, 1)
    diff = pd.DataFrame({"arm": ["eigen_regie", "intensief"], "estimate": [250.0, -300.0],
                         "ci_low": [100.0, -500.0], "ci_high": [400.0, -100.0]})  # fmt: skip
    labels = {"training": "Training", "reintegration_trajectory": "Reintegration trajectory"}
    got = show.spending_texts(_analysis(by_arm, difference=diff, instruments=labels),
                              n_participants=200, threshold=10)  # fmt: skip
    b = by_arm.set_index(["arm", "instrument"])
    for key, group in (
        ("all", "participants"),
        ("eigen_regie", "eigen_regie"),
        ("regulier", "regulier"),
    ):
        r = b.loc[(group, rs.ALL)]
        assert got[f"eur_pp_{key}"] == _eur(r["per_participant"], r["per_participant_low"],
                                            r["per_participant_high"])  # fmt: skip
    assert got["eur_pp_intensief"] == "n/a"
    traj_all, traj_reg = (
        b.loc[(g, "reintegration_trajectory")] for g in ("participants", "regulier")
    )
    assert got["traj_users_all"] == "45" and got["n_participants"] == "200"
    assert got["traj_share_all"] == _pct_ci(traj_all)
    assert got["traj_all"] == (
        f"reintegration trajectories took {_pct_ci(traj_all)} of all participants' budget"
    )
    assert got["traj_regulier"] == (
        f"reintegration trajectories took {_pct_ci(traj_reg)} of the regular service arm's budget"
    )
    assert got["traj_eigen_regie"] == (  # 5 users
        "fewer than 10 people in the self-direction arm had a trajectory, too few to show their share"
    )
    assert got["traj_intensief"] == "nobody in the intensive support arm had a trajectory"
    # training: 90,000 of 124,500 euros of all participants' budget
    assert (
        got["top_instrument"]
        == f"training ({fmt.pct(90_000 / 124_500)} of all participants' budget)"
    )
    assert got["diff_eigen_regie"] == "EUR 250 more per participant (95% CI EUR 100 to 400)"
    assert got["diff_intensief"] == "EUR 300 less per participant (95% CI EUR -500 to -100)"
    unclear = show.spending_texts(
        _analysis(by_arm, difference=diff.assign(ci_low=[-50.0, -500.0], ci_high=[400.0, 20.0])),
        200,
        10,
    )
    assert (
        unclear["diff_eigen_regie"]
        == "not clearly more or less per participant (95% CI EUR -50 to 400)"
    )
    assert (
        unclear["diff_intensief"]
        == "not clearly more or less per participant (95% CI EUR -500 to 20)"
    )
    missing = show.spending_texts(_analysis(by_arm, difference=diff.iloc[:1]), 200, 10)
    assert missing["diff_intensief"] == "not estimated (an arm without participants)"
    assert list(got)[:4] == ["eur_pp_all", "traj_users_all", "n_participants", "traj_share_all"]


def test_cost_texts_say_bounded_unbounded_undefined_and_missing():
    per, _, _ = spending_outflow_case()
    costs = show.cost_rows(per, _per_non(), _att_store(), TIME, 2.0)
    grid = show.sensitivity(costs, TIME, 2.0)
    got = show.cost_texts(_analysis(costs=costs, sensitivity=grid), TIME, threshold=10)
    assert got["cost_all"] == "EUR 15,000 (95% CI EUR 8,571 to 60,000)"
    assert got["cost_eigen_regie"] == (
        "EUR 13,500, with no upper bound: the data allow that taking part brought no extra exits at all"
    )
    assert got["cost_regulier"] == "EUR 35,000 (95% CI EUR 21,000 to 105,000)"
    assert got["cost_intensief"] == "not estimated (no effect on the participants in the store)"
    assert (got["rate"], got["cost_years"], got["hours_eigen_regie"], got["hours_intensief"],
            got["hours_non_participants"]) == ("EUR 80", "2", "10", "30", "5")  # fmt: skip
    assert (got["spend_non"], got["extra_cost_all"]) == ("EUR 50", "EUR 1,200")
    assert got["split_all"] == "EUR 800 of it consultant time and EUR 400 participation budget"
    assert got["paid_non"] == "< 10" and got["time_reason"] == TIME.reason
    # grid: (400 + mult x rate x 2 x (10 - 5)) / 0.08 for rates 40, 80, 120 and mult 0 to 2
    assert (got["sens_low"], got["sens_high"]) == ("EUR 5,000", "EUR 35,000")
    fell = show.cost_rows(per, _per_non(), _att_store(reg=(-2.0, -6.0, 2.0)), TIME, 2.0)
    texts = show.cost_texts(_analysis(costs=fell, sensitivity=grid), TIME, 10)
    assert texts["cost_regulier"] == (
        "not defined, because the group's outflow to work was not higher than "
        "that of comparable non-participants"
    )


def test_sensitivity_is_the_cost_grid_of_all_participants():
    per, _, _ = spending_outflow_case()
    costs = show.cost_rows(per, _per_non(), _att_store(), TIME, 2.0)
    grid = show.sensitivity(costs, TIME, 2.0)
    assert sorted(set(grid["eur_per_hour"])) == [40.0, 80.0, 120.0]
    one = grid[(grid["eur_per_hour"] == 80.0) & (grid["hours_multiplier"] == 1.0)].iloc[0]
    assert one["estimate"] == pytest.approx(15_000.0)  # the declared hours and rate
    table = show.sensitivity_table(grid)
    assert table.columns.tolist() == ["consultant hours", "EUR 40 per hour", "EUR 80 per hour",
                                      "EUR 120 per hour"]  # fmt: skip
    assert table.iloc[0].tolist() == ["none", "EUR 5,000", "EUR 5,000", "EUR 5,000"]
    assert np.isfinite(grid["estimate"]).all()
