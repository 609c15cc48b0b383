"""The effect-size overview: selection, standardisation and multiplicity against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import store_row
from hypothesis import given, settings
from hypothesis import strategies as st

from trustexp.chapters import effect_sizes as show
from trustexp.errors import InvalidData
from trustexp.results import absent, read_results
from trustexp.stats.overview import WITHIN, adjust_pvalues, binary_sd


def _row(outcome, contrast, method, est, lo, hi, p=0.5, n=100, scale="points", chapter="x"):
    return store_row(outcome, contrast, method, est, lo, hi, p, n, scale, chapter)


def fixture_store() -> pd.DataFrame:
    rows = [
        _row(
            "outflow_full",
            "eigen_regie vs regulier",
            "risk difference",
            10.0,
            -2.0,
            22.0,
            0.1,
            200,
            "pp",
        ),
        _row(
            "outflow_full",
            "eigen_regie vs regulier",
            "hazard ratio",
            1.3,
            0.9,
            1.8,
            0.2,
            200,
            "hazard_ratio",
        ),
        _row(
            "outflow_full",
            "intensief vs regulier",
            "risk difference",
            5.0,
            -7.0,
            17.0,
            0.4,
            200,
            "pp",
        ),
        _row(
            "outflow_full",
            "participants vs non_participants",
            "risk difference",
            12.0,
            8.0,
            16.0,
            0.001,
            2200,
            "pp",
        ),
        _row(
            "outflow_full",
            "participants vs non_participants",
            "adjusted risk difference",
            9.0,
            5.0,
            13.0,
            0.002,
            2200,
            "pp",
        ),
        _row(
            "outflow_full",
            "eigen_regie level",
            "share (Wilson)",
            0.30,
            0.2,
            0.4,
            None,
            100,
            "share",
        ),
        _row(
            "outflow_full", "regulier level", "share (Wilson)", 0.20, 0.1, 0.3, None, 100, "share"
        ),
        _row(
            "outflow_full", "intensief level", "share (Wilson)", 0.25, 0.2, 0.3, None, 100, "share"
        ),
        _row(
            "outflow_full",
            "participants level",
            "share (Wilson)",
            0.25,
            0.2,
            0.3,
            None,
            300,
            "share",
        ),
        _row(
            "outflow_full",
            "non_participants level",
            "share (Wilson)",
            0.13,
            0.1,
            0.2,
            None,
            1900,
            "share",
        ),
        _row("wellbeing", "eigen_regie vs regulier", "ANCOVA", 0.4, -0.1, 0.9, 0.12, 120),
        _row("wellbeing", "eigen_regie vs regulier", "Hedges g", 0.25, -0.1, 0.6, 0.2, 120, "g"),
        _row("wellbeing", "intensief vs regulier", "ANCOVA", -0.2, -0.7, 0.3, 0.43, 118),
        _row("wellbeing", "eigen_regie vs intensief", "MixedLM", 0.1, -0.3, 0.5, 0.6, 180),
        _row("wellbeing", "regulier wave 2 vs wave 0", "mean change", 0.5, 0.1, 0.9, 0.01, 60),
        _row(
            "wellbeing",
            "regulier wave 2 vs wave 0",
            "within-person d",
            0.3,
            0.1,
            0.5,
            0.01,
            60,
            "d",
        ),
        _row(
            "response",
            "regulier level",
            "completed questionnaire wave 0",
            0.9,
            None,
            None,
            None,
            100,
            "share",
        ),
    ]
    return pd.DataFrame(rows)


def test_effect_overview_selects_preferred_methods_and_standardises() -> None:
    out = show.effect_overview(fixture_store(), sds={"wellbeing": 2.0}).set_index(
        ["outcome", "contrast"]
    )
    assert len(out) == 6  # MixedLM-only, share and response rows are not effects
    er = out.loc[("outflow_full", "eigen_regie vs regulier")]
    assert er["method"] == "risk difference"
    sd = 100 * math.sqrt((0.3 * 0.7 + 0.2 * 0.8) / 2)
    assert er["std_estimate"] == pytest.approx(10.0 / sd)
    assert er["std_low"] == pytest.approx(-2.0 / sd)
    non = out.loc[("outflow_full", "participants vs non_participants")]
    assert non["method"] == "adjusted risk difference"
    assert non["std_estimate"] == pytest.approx(9.0 / (100 * binary_sd(0.25, 0.13)))
    wb = out.loc[("wellbeing", "eigen_regie vs regulier")]
    assert (wb["method"], wb["std_estimate"], wb["std_high"]) == ("ANCOVA", 0.2, 0.45)
    assert out.loc[("wellbeing", "regulier wave 2 vs wave 0"), "kind"] == WITHIN


def test_effect_overview_falls_back_to_the_chapters_standardised_rows() -> None:
    out = show.effect_overview(fixture_store()).set_index(["outcome", "contrast"])
    assert out.loc[("wellbeing", "eigen_regie vs regulier"), "std_estimate"] == 0.25
    assert out.loc[("wellbeing", "regulier wave 2 vs wave 0"), "std_method"] == "within-person d"
    assert math.isnan(out.loc[("wellbeing", "intensief vs regulier"), "std_estimate"])


@settings(max_examples=40, deadline=None)
@given(est=st.floats(-30, 30), half=st.floats(0.1, 20), sd=st.floats(0.05, 50))
def test_standardising_keeps_sign_and_interval_order(est, half, sd) -> None:
    store = pd.DataFrame(
        [_row("health", "eigen_regie vs regulier", "ANCOVA", est, est - half, est + half)]
    )
    r = show.effect_overview(store, sds={"health": sd}).iloc[0]
    assert r["std_low"] <= r["std_estimate"] <= r["std_high"]
    assert np.sign(r["std_estimate"]) == np.sign(est)


def test_require_primary_names_every_missing_row() -> None:
    show.require_primary(pd.concat([fixture_store(), pd.DataFrame([
        _row("wellbeing", "intensief vs regulier", "ANCOVA", 0, -1, 1)])]))  # fmt: skip
    store = fixture_store()
    store = store[~((store["outcome"] == "wellbeing") & (store["method"] == "ANCOVA"))]
    with pytest.raises(InvalidData, match="wellbeing") as err:
        show.require_primary(store)
    assert len(err.value.violations) == 2


def test_overview_rows_pass_the_store_schema(tmp_path) -> None:
    from trustexp.results import read_results, write_results

    adjusted = adjust_pvalues(show.effect_overview(fixture_store()))
    write_results(show.overview_rows(adjusted), "effect_sizes", tmp_path)
    back = read_results(tmp_path)
    assert {"standardised risk difference", "risk difference (Holm)", "ANCOVA (BH)"} <= set(
        back["method"]
    )


def test_read_results_with_missing_ok_leaves_out_absent_chapters(tmp_path) -> None:
    from trustexp.results import write_results

    rows = fixture_store().drop(columns="chapter")
    write_results(rows[rows["outcome"] == "outflow_full"], "outflow", tmp_path)
    store = read_results(tmp_path, ("outflow", "wellbeing"), missing="ok")
    assert absent(tmp_path, ("outflow", "wellbeing")) == ["wellbeing"]
    assert set(store["chapter"]) == {"outflow"}
    with pytest.raises(FileNotFoundError, match="wellbeing"):
        read_results(tmp_path, ("outflow", "wellbeing"))
