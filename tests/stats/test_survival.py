"""Survival estimators against statsmodels' independent implementations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import survival_frame

from trustexp.stats import survival as sv


def test_kaplan_meier_matches_statsmodels_survfunc():
    from statsmodels.duration.survfunc import SurvfuncRight

    frame = survival_frame()
    km = sv.kaplan_meier(frame, "event_any")
    for g, sub in frame.groupby("group"):
        sm = SurvfuncRight(sub["time"], sub["event_any"])
        ours = km[(km["group"] == g) & (km["time"] > 0)].set_index("time")["cum_outflow"]
        theirs = pd.Series(1 - sm.surv_prob, index=sm.surv_times)
        common = theirs.index.intersection(ours.index)
        assert len(common) > 3
        assert np.allclose(ours.loc[common], theirs.loc[common])
    first = km.groupby("group").head(1)
    assert (first["cum_outflow"] == 0).all()
    assert (km["ci_low"] <= km["cum_outflow"] + 1e-12).all()
    assert (km["cum_outflow"] <= km["ci_high"] + 1e-12).all()


def test_logrank_matches_statsmodels_survdiff():
    from statsmodels.duration.survfunc import survdiff

    frame = survival_frame()
    ours = sv.logrank(frame, "event_any")
    stat, p = survdiff(frame["time"], frame["event_any"], frame["group"])
    assert ours["statistic"] == pytest.approx(stat, rel=1e-6)
    assert ours["p"] == pytest.approx(p, rel=1e-6)
    assert ours["df"] == 3


def test_cox_hazard_ratio_matches_statsmodels_phreg_efron():
    from statsmodels.duration.hazard_regression import PHReg

    frame = survival_frame(seed=4, n=400)
    rows = sv.cox_hazard_ratios(frame, "event_any", "outflow_any")
    ph = PHReg(
        frame["time"], frame[["participant"]].astype(float), status=frame["event_any"], ties="efron"
    ).fit()
    r = rows[
        (rows["contrast"] == "participants vs non_participants")
        & (rows["method"] == "hazard ratio")
    ].iloc[0]
    assert r["estimate"] == pytest.approx(np.exp(ph.params[0]), rel=1e-4)
    lo, hi = np.exp(ph.conf_int()[0])
    assert r["ci_low"] == pytest.approx(lo, rel=1e-3)
    assert r["ci_high"] == pytest.approx(hi, rel=1e-3)
    part = frame[frame["participant"] == 1]
    x = pd.DataFrame(
        {"eigen_regie": part["group"] == "eigen_regie", "intensief": part["group"] == "intensief"}
    ).astype(float)
    ph2 = PHReg(part["time"], x, status=part["event_any"], ties="efron").fit()
    r2 = rows[rows["contrast"] == "intensief vs regulier"].iloc[0]
    assert r2["estimate"] == pytest.approx(np.exp(ph2.params[1]), rel=1e-4)
    assert set(rows["scale"]) == {"hazard_ratio"}
