"""Survival estimators against statsmodels' independent implementations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustexp.stats import survival as sv


def _frame(seed: int = 2, n: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(["eigen_regie", "intensief", "regulier", "non_participants"], n)
    rate = np.where(group == "non_participants", 0.03, np.where(group == "intensief", 0.07, 0.05))
    t = np.ceil(rng.exponential(1 / rate))
    time = np.minimum(t, 24).astype(float)
    event_any = (t <= 24).astype(int)
    full = event_any * (rng.random(n) < 0.5)
    return pd.DataFrame(
        {
            "group": group,
            "participant": (group != "non_participants").astype(int),
            "time": time,
            "event_any": event_any,
            "event_full": full,
            "age": rng.integers(18, 67, n).astype(float),
            "sex": rng.choice(["female", "male"], n),
            "household": rng.choice(["single", "single_parent", "couple", "couple_children"], n),
            "migration_background": rng.integers(0, 2, n),
            "benefit_years": rng.gamma(2, 1.5, n),
        }
    )


def test_kaplan_meier_matches_statsmodels_survfunc():
    from statsmodels.duration.survfunc import SurvfuncRight

    frame = _frame()
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

    frame = _frame()
    ours = sv.logrank(frame, "event_any")
    stat, p = survdiff(frame["time"], frame["event_any"], frame["group"])
    assert ours["statistic"] == pytest.approx(stat, rel=1e-6)
    assert ours["p"] == pytest.approx(p, rel=1e-6)
    assert ours["df"] == 3


def test_cox_hazard_ratio_matches_statsmodels_phreg_efron():
    from statsmodels.duration.hazard_regression import PHReg

    frame = _frame(seed=4, n=400)
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


def test_survival_texts_format_logrank_and_the_adjusted_hazard_ratio():
    from statsmodels.duration.survfunc import survdiff

    frame = _frame()
    hazards = pd.DataFrame([
        dict(outcome="outflow_full", contrast="participants vs non_participants",
             method="adjusted hazard ratio", estimate=1.756, ci_low=1.204, ci_high=2.5, p=0.01, n=240),
        dict(outcome="outflow_full", contrast="participants vs non_participants",
             method="hazard ratio", estimate=9.0, ci_low=8.0, ci_high=10.0, p=0.01, n=240),
    ])  # fmt: skip
    texts = sv.survival_texts(frame, hazards)
    _, p_all = survdiff(frame["time"], frame["event_any"], frame["group"])
    arms = frame[frame["group"] != "non_participants"]
    _, p_arms = survdiff(arms["time"], arms["event_any"], arms["group"])

    def as_p(p):
        return "< 0.001" if p < 0.001 else f"{p:.3f}"

    assert texts == {
        "logrank_all": as_p(p_all),
        "logrank_arms": as_p(p_arms),
        "hr_adj_full": "1.76 (95% CI [1.20, 2.50])",
    }
