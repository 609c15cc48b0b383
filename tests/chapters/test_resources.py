"""Resources: spending per arm and instrument, budget per extra exit, truth recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SPENDING, SPENDING_PARTICIPANTS, make_params, spending_outflow_case

from trustexp import fmt
from trustexp.chapters import resources as show
from trustexp.data import codebook
from trustexp.data.synthetic import generate
from trustexp.results import validate_results
from trustexp.stats import resources as rs
from trustexp.vocab import group_label


def test_store_rows_pass_the_store_schema():
    per, flags, non = spending_outflow_case()
    rows = show.resources_store_rows(
        rs.spending_by_arm_instrument(per, 200, 1),
        rs.eur_per_extra_outflow(per, flags, non, 200, 2),
        rs.spending_difference(per, 200, 3),
    )
    checked = validate_results(rows.assign(chapter="resources"))
    assert {"spending per participant", "eur per extra outflow", "budget share: training"} <= set(
        checked["method"]
    )


def test_resources_analysis_equals_its_building_blocks():
    from trustexp.data.outcomes import outflow_flags

    params = make_params(analysis={"n_bootstrap": 200})
    cohort = generate(params)
    res = show.resources_analysis(cohort, params)
    assert res.instruments == codebook.level_labels("spending", "instrument")
    per = rs.person_spending(cohort.spending, cohort.participants, list(res.instruments))
    pd.testing.assert_frame_equal(res.per_person, per)
    seed, alpha = params.seed, params.analysis.alpha
    pd.testing.assert_frame_equal(res.by_arm, rs.spending_by_arm_instrument(per, 200, seed, alpha))
    pd.testing.assert_frame_equal(res.difference, rs.spending_difference(per, 200, seed + 2, alpha))
    flags = outflow_flags(cohort.population, cohort.registry, params.analysis.outflow_window_months)
    part = flags["person_id"].isin(cohort.participants["person_id"])
    want = rs.eur_per_extra_outflow(per, flags[part], flags[~part], 200, seed + 1, alpha)
    pd.testing.assert_frame_equal(res.per_exit, want)
    assert res.n_non_participants == int((~part).sum()) > 0
    want_rows = show.resources_store_rows(res.by_arm, res.per_exit, res.difference)
    pd.testing.assert_frame_equal(show.store_rows(res), want_rows)


def test_resources_analysis_refuses_data_without_participants():
    cohort = generate(make_params())
    cohort.participants = cohort.participants.iloc[0:0]
    with pytest.raises(ValueError, match="no participants"):
        show.resources_analysis(cohort, make_params())


def _analysis(by_arm=None, per_exit=None, difference=None) -> show.ResourcesAnalysis:
    empty = pd.DataFrame()
    return show.ResourcesAnalysis(
        instruments={}, per_person=empty, by_arm=by_arm if by_arm is not None else empty,
        per_exit=per_exit if per_exit is not None else empty,
        difference=difference if difference is not None else pd.DataFrame(columns=["arm"]),
        window=24, n_non_participants=7,
    )  # fmt: skip


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


def test_spending_texts_match_the_frame_and_hide_small_shares():
    per, _, _ = spending_outflow_case()
    per = per.assign(reintegration_trajectory=[500.0] * 5 + [0.0] * 95 + [800.0] * 40 + [0.0] * 60)
    by_arm = rs.spending_by_arm_instrument(per, 200, 1)
    diff = rs.spending_difference(per, 200, 2)
    got = show.spending_texts(_analysis(by_arm, difference=diff), n_participants=200, threshold=10)
    b = by_arm.set_index(["arm", "instrument"])
    for key, group in (
        ("all", "participants"),
        ("eigen_regie", "eigen_regie"),
        ("regulier", "regulier"),
    ):
        r = b.loc[(group, rs.ALL)]
        assert got[f"eur_pp_{key}"] == _eur(
            r["per_participant"], r["per_participant_low"], r["per_participant_high"]
        )
    r = b.loc[("participants", "reintegration_trajectory")]
    assert got["traj_users_all"] == "45" and got["n_participants"] == "200"
    assert (
        got["traj_share_all"]
        == f"{fmt.pct(r['share'])} (95% CI [{100 * r['share_low']:.1f}%, {100 * r['share_high']:.1f}%])"
    )
    assert got["traj_share_eigen_regie"] == "not shown (fewer than 10 users)"  # 5 users
    assert got["eur_pp_intensief"] == got["traj_share_intensief"] == got["diff_intensief"] == "n/a"
    d = diff.set_index("arm").loc["eigen_regie"]
    assert got["diff_eigen_regie"] == _eur(d["estimate"], d["ci_low"], d["ci_high"])
    assert list(got)[:4] == ["eur_pp_all", "traj_users_all", "n_participants", "traj_share_all"]  # fmt: skip


def test_per_exit_texts_say_undefined_unbounded_and_missing():
    per_exit = pd.DataFrame({
        "group": ["participants", "eigen_regie", "intensief", "eigen_regie"],
        "comparison": ["non_participants"] * 3 + ["regulier"],
        "estimate": [3000.4, np.nan, 2500.0, 1.0], "ci_low": [1500.0, np.nan, np.nan, 0.0],
        "ci_high": [9999.6, np.nan, np.nan, 2.0], "bounded": [True, False, False, True],
    })  # fmt: skip
    assert show.per_exit_texts(per_exit) == {
        "per_exit_all": "EUR 3,000 (95% CI EUR 1,500 to 10,000)",
        "per_exit_eigen_regie": "not defined (no extra outflow)",
        "per_exit_intensief": "EUR 2,500 (95% CI unbounded: the extra outflow may be zero)",
        "per_exit_regulier": "n/a",
    }
