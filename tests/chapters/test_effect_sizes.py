"""The effect-size overview: selection, standardisation and the analysis plan against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import store_row
from hypothesis import given, settings
from hypothesis import strategies as st

from trustexp.chapters import effect_sizes as show
from trustexp.config import AnalysisPlan
from trustexp.errors import InvalidData
from trustexp.results import absent, read_results
from trustexp.stats.overview import WITHIN, binary_sd

ADJ, ANC, ATT = "difference (covariate-adjusted)", "ANCOVA (baseline score)", "ATT (doubly robust)"
STD = "standardised difference (baseline SD)"


def _row(outcome, contrast, method, est, lo, hi, p=0.5, n=100, scale="points", chapter="x"):
    return store_row(outcome, contrast, method, est, lo, hi, p, n, scale, chapter)


def fixture_store() -> pd.DataFrame:
    """The rows the outflow, wellbeing and social-participation chapters write (method names too)."""
    rows = [
        _row("outflow_full", "eigen_regie vs regulier", ADJ, 10.0, 2.0, 18.0, 0.01, 200, "pp"),
        _row("outflow_full", "eigen_regie vs regulier", "difference (unadjusted)", 12.0, 3.0, 21.0, 0.01, 200, "pp"),
        _row("outflow_full", "eigen_regie vs regulier", "hazard ratio", 1.3, 0.9, 1.8, 0.2, 200, "hazard_ratio"),
        _row("outflow_full", "intensief vs regulier", ADJ, 9.0, 1.0, 17.0, 0.03, 200, "pp"),
        _row("outflow_full", "participants vs non_participants", "risk difference", 12.0, 8.0, 16.0, 0.001, 2200, "pp"),
        _row("outflow_full", "participants vs non_participants", ATT, 9.0, 5.0, 13.0, 0.002, 2200, "pp"),
        _row("outflow_full", "eigen_regie level", "share (Wilson)", 0.30, 0.2, 0.4, None, 100, "share"),
        _row("outflow_full", "regulier level", "share (Wilson)", 0.20, 0.1, 0.3, None, 100, "share"),
        _row("outflow_full", "intensief level", "share (Wilson)", 0.25, 0.2, 0.3, None, 100, "share"),
        _row("outflow_full", "participants level", "share (Wilson)", 0.25, 0.2, 0.3, None, 300, "share"),
        _row("outflow_full", "non_participants level", "share (Wilson)", 0.13, 0.1, 0.2, None, 1900, "share"),
        _row("wellbeing", "eigen_regie vs regulier", ANC, 0.4, -0.1, 0.9, 0.12, 120),
        _row("wellbeing", "eigen_regie vs regulier", STD, 0.25, -0.1, 0.6, 0.12, 120, "d"),
        _row("wellbeing", "intensief vs regulier", ANC, -0.2, -0.7, 0.3, 0.43, 118),
        _row("wellbeing", "eigen_regie vs intensief", "MixedLM", 0.1, -0.3, 0.5, 0.6, 180),
        _row("wellbeing", "regulier wave 2 vs wave 0", "mean change", 0.5, 0.1, 0.9, 0.01, 60),
        _row("wellbeing", "regulier wave 2 vs wave 0", STD, 0.3, 0.1, 0.5, 0.01, 60, "d"),
        _row("ladder_self", "eigen_regie vs regulier", ANC, 0.2, -0.1, 0.5, 0.2, 110),
        _row("ladder_self", "intensief vs regulier", ANC, 0.1, -0.2, 0.4, 0.5, 110),
        _row("response", "regulier level", "completed questionnaire wave 0", 0.9, None, None, None, 100, "share"),
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_effect_overview_selects_preferred_methods_and_standardises() -> None:
    out = show.effect_overview(fixture_store(), sds={"wellbeing": 2.0}).set_index(
        ["outcome", "contrast"]
    )
    # MixedLM-only, share and response rows are left out; ladder_self (secondary) is kept
    assert len(out) == 8
    er = out.loc[("outflow_full", "eigen_regie vs regulier")]
    assert er["method"] == ADJ  # the plan's estimator, not the unadjusted difference
    sd = 100 * math.sqrt((0.3 * 0.7 + 0.2 * 0.8) / 2)
    assert er["std_estimate"] == pytest.approx(10.0 / sd)
    assert er["std_low"] == pytest.approx(2.0 / sd)
    assert er["std_method"] == "difference / pooled SD"
    non = out.loc[("outflow_full", "participants vs non_participants")]
    assert non["method"] == ATT
    assert non["std_estimate"] == pytest.approx(9.0 / (100 * binary_sd(0.25, 0.13)))
    wb = out.loc[("wellbeing", "eigen_regie vs regulier")]
    assert (wb["method"], wb["std_estimate"], wb["std_high"]) == (ANC, 0.2, 0.45)
    assert wb["std_method"] == f"{ANC} / baseline SD"
    assert out.loc[("wellbeing", "regulier wave 2 vs wave 0"), "kind"] == WITHIN


def test_effect_overview_falls_back_to_the_chapters_standardised_rows() -> None:
    out = show.effect_overview(fixture_store()).set_index(["outcome", "contrast"])
    assert out.loc[("wellbeing", "eigen_regie vs regulier"), "std_estimate"] == 0.25
    assert out.loc[("wellbeing", "regulier wave 2 vs wave 0"), "std_method"] == STD
    assert math.isnan(out.loc[("wellbeing", "intensief vs regulier"), "std_estimate"])


@settings(max_examples=40, deadline=None)
# subnormal estimates (e.g. 5e-324) underflow to 0 when divided by an SD above 1: no real estimate is one
@given(
    est=st.floats(-30, 30, allow_subnormal=False), half=st.floats(0.1, 20), sd=st.floats(0.05, 50)
)
def test_standardising_keeps_sign_and_interval_order(est, half, sd) -> None:
    store = pd.DataFrame(
        [_row("health", "eigen_regie vs regulier", ANC, est, est - half, est + half)]
    )
    r = show.effect_overview(store, sds={"health": sd}).iloc[0]
    assert r["std_low"] <= r["std_estimate"] <= r["std_high"]
    assert np.sign(r["std_estimate"]) == np.sign(est)


def test_primary_rows_are_the_confirmatory_hypotheses_of_the_plan() -> None:
    rows = show.primary_rows(AnalysisPlan())
    assert rows == [(o, f"{a} vs regulier", ADJ if o == "outflow_full" else ANC)
                    for o in ("outflow_full", "wellbeing", "ladder_self")
                    for a in ("eigen_regie", "intensief")]  # fmt: skip


def test_require_primary_names_every_missing_row() -> None:
    plan = AnalysisPlan()
    show.require_primary(fixture_store(), plan)
    store = fixture_store()
    store = store[~((store["outcome"] == "wellbeing") & (store["method"] == ANC))]
    with pytest.raises(InvalidData, match="wellbeing") as err:
        show.require_primary(store, plan)
    assert len(err.value.violations) == 2
    assert all("'ANCOVA (baseline score)'" in v for v in err.value.violations)


def test_with_plan_holm_within_families_and_gatekeeping() -> None:
    plan = AnalysisPlan()
    ov = show.effect_overview(fixture_store())
    out = show.with_plan(ov, plan).set_index(["outcome", "contrast"])
    prim = out.loc[
        [("outflow_full", "eigen_regie vs regulier"), ("outflow_full", "intensief vs regulier")]
    ]
    # Holm over the two primary p-values 0.01 and 0.03: 0.02 and 0.03; both rejected -> gate open
    assert prim["p_adjusted"].tolist() == pytest.approx([0.02, 0.03])
    assert prim["family"].tolist() == ["primary", "primary"] and prim["rejected"].all()
    wb = out.loc[("wellbeing", "eigen_regie vs regulier")]
    assert wb["family"] == "secondary" and wb["tested_under_plan"] and not wb["rejected"]
    # outside the plan: Holm within the contrast kind (vs non-participants: one test; within: one)
    non = out.loc[("outflow_full", "participants vs non_participants")]
    assert non["family"] == "comparisons with non-participants, exploratory"
    assert non["p_adjusted"] == pytest.approx(0.002) and not non["tested_under_plan"]
    # a primary hypothesis not rejected closes the gate for the secondary family
    s = fixture_store()
    s.loc[(s["contrast"] == "intensief vs regulier") & (s["method"] == ADJ), "p"] = 0.2
    closed = show.with_plan(show.effect_overview(s), plan)
    assert not closed.loc[closed["family"] == "secondary", "tested_under_plan"].any()
    facts = show.overview_facts(closed, plan)
    assert (
        "the secondary family" in facts["plan_result"] and "was not tested" in facts["plan_result"]
    )
    assert facts["plan_result"].startswith(
        "in the primary family (outflow to full-time work), 1 of the 2"
    )


def test_multiplicity_table_says_the_plan_status_and_the_verdict() -> None:
    margins = {"wellbeing": 0.5, "outflow_full": 5.0}
    adjusted = show.with_plan(show.effect_overview(fixture_store()), AnalysisPlan())
    table = show.multiplicity_table(adjusted, margins)
    by = dict(zip(zip(adjusted["outcome"], adjusted["contrast"], strict=True), table.to_dict("records"),
                  strict=True))  # fmt: skip
    er = by[("outflow_full", "eigen_regie vs regulier")]
    assert (er["plan"], er["verdict"]) == ("confirmed under the plan", "a clear gain")
    assert er["estimate [95% CI]"] == "+10.0 pp [2.0, 18.0]"
    wb = by[("wellbeing", "intensief vs regulier")]
    assert (wb["plan"], wb["verdict"]) == ("tested, not confirmed", "too imprecise to tell")
    change = by[("wellbeing", "regulier wave 2 vs wave 0")]
    assert (change["plan"], change["verdict"]) == ("exploratory", "a clear gain")


def test_the_overview_splits_into_one_table_per_kind_of_contrast_without_losing_a_row() -> None:
    adjusted = show.with_plan(show.effect_overview(fixture_store()), AnalysisPlan())
    whole = show.multiplicity_table(adjusted)
    parts = {
        k: show.multiplicity_table(adjusted, kind=k)
        for k in (show.RANDOMISED, show.VS_NON, show.WITHIN)
    }
    assert sum(len(t) for t in parts.values()) == len(whole)
    assert all(" vs regular service" in c for c in parts[show.RANDOMISED]["contrast"])
    assert len(parts[show.WITHIN]) and all(
        "vs regular service" not in c for c in parts[show.WITHIN]["contrast"]
    )
    together = pd.concat(parts.values()).sort_values(["outcome", "contrast"], ignore_index=True)
    assert together.equals(whole.sort_values(["outcome", "contrast"], ignore_index=True))


def test_overview_rows_pass_the_store_schema(tmp_path) -> None:
    from trustexp.results import write_results

    adjusted = show.with_plan(show.effect_overview(fixture_store()), AnalysisPlan())
    write_results(show.overview_rows(adjusted), "effect_sizes", tmp_path)
    back = read_results(tmp_path).set_index(["outcome", "contrast", "method"])
    assert back.loc[("outflow_full", "eigen_regie vs regulier", f"{ADJ} (adjusted)"), "p"] == (
        pytest.approx(0.02)
    )
    assert ("outflow_full", "eigen_regie vs regulier", "standardised difference") in back.index
    assert ("wellbeing", "regulier wave 2 vs wave 0", "mean change (adjusted)") in back.index


def test_the_secondary_family_is_adjusted_over_all_its_hypotheses() -> None:
    adjusted = show.with_plan(show.effect_overview(fixture_store()), AnalysisPlan())
    assert (adjusted["family"] == "secondary").sum() == 4


def test_read_results_with_missing_ok_leaves_out_absent_chapters(tmp_path) -> None:
    from trustexp.results import write_results

    rows = fixture_store().drop(columns="chapter")
    write_results(rows[rows["outcome"] == "outflow_full"], "outflow", tmp_path)
    store = read_results(tmp_path, ("outflow", "wellbeing"), missing="ok")
    assert absent(tmp_path, ("outflow", "wellbeing")) == ["wellbeing"]
    assert set(store["chapter"]) == {"outflow"}
    with pytest.raises(FileNotFoundError, match="wellbeing"):
        read_results(tmp_path, ("outflow", "wellbeing"))
