"""Outflow estimators against independent computations, and truth recovery on a synthetic cohort."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import survival_frame

from trustexp.chapters import outflow as show
from trustexp.stats import outflow as so


def _rows(*specs) -> pd.DataFrame:
    """Store-shaped rows from ``(outcome, contrast, method, estimate, ci_low, ci_high)``."""
    return pd.DataFrame([dict(outcome=o, contrast=c, method=m, estimate=e, ci_low=lo, ci_high=hi,
                              p=0.04, n=300, scale="pp") for o, c, m, e, lo, hi in specs])  # fmt: skip


def test_data_texts_from_the_codebook_and_counts():
    import yaml

    from trustexp.vocab import CODEBOOK_PATH

    frame = pd.DataFrame(
        {"group": ["eigen_regie"] * 12 + ["intensief"] * 3 + ["non_participants"] * 1500}
    )
    texts = show.data_texts(frame, {"person_months": 123456, "people": 4321}, 24, "national", 10)
    book = yaml.safe_load(CODEBOOK_PATH.read_text())["outcomes"]
    assert texts == {
        "def_full": book["outflow_full"]["definition"].replace("outflow_window_months", "24"),
        "def_any": book["outflow_any"]["definition"].replace("outflow_window_months", "24"),
        "window_text": "24 months",
        "comparison_text": "a national stock of recipients of social assistance on benefit at the lottery date",
        "n_person_months": "123,456",
        "n_people_registry": "4,321",
        "n_arms_text": "Self-direction 12, Intensive support < 10, Regular service 0",
        "n_non": "1,500",
    }  # fmt: skip
    municipal = show.data_texts(frame, {"person_months": 1, "people": 1}, 24, "municipal", 10)
    assert municipal["comparison_text"].startswith("the municipality's other recipients")


def test_shares_by_outcome_texts_and_ratio():
    frame = pd.DataFrame({
        "group": ["eigen_regie"] * 10 + ["non_participants"] * 20,
        "participant": [1] * 10 + [0] * 20,
        "outflow_full": [1] * 4 + [0] * 6 + [1] * 2 + [0] * 18,
        "outflow_any": [1] * 5 + [0] * 5 + [1] * 5 + [0] * 15,
    })  # fmt: skip
    shares = so.shares_by_outcome(frame)
    assert list(shares) == ["outflow_full", "outflow_any"]
    both = so.stack_shares(shares)
    assert len(both) == len(shares["outflow_full"]) + len(shares["outflow_any"])
    assert set(both["outcome"]) == {"outflow_full", "outflow_any"}
    # 4 of 10 participants vs 2 of 20 non-participants left for full-time work
    assert show.share_texts(shares) == {
        "share_full_participants": "40.0%",
        "share_full_non": "10.0%",
    }
    texts = show.published_texts(shares, 0.31, 0.262, 2.4)
    assert texts == {
        "pub_ev_with": "31%",
        "pub_ev_without": "26%",
        "pub_ratio": "2",
        "ratio": "4.0",
    }
    no_non = {"outflow_full": shares["outflow_full"][lambda s: s["group"] != "non_participants"]}
    assert show.share_texts(no_non)["share_full_non"] == "n/a"
    assert show.published_texts(no_non, 0.31, 0.262, 2.4)["ratio"] == "n/a"


def test_estimate_texts_pick_the_right_rows():
    pvn = "participants vs non_participants"
    rows = _rows(
        ("outflow_full", pvn, "risk difference", 9.04, 4.96, 13.1),
        ("outflow_full", pvn, "adjusted risk difference", 6.5, 2.25, 10.75),
        ("outflow_full", pvn, "reweighted risk difference", 5.0, 0.5, 9.5),
        ("outflow_full", "eigen_regie vs regulier", "risk difference", -1.5, -9.0, 6.0),
        ("outflow_full", "intensief vs regulier", "risk difference", 0.3, -7.0, 7.6),
        ("outflow_full", "intensief vs regulier", "adjusted risk difference", 99.0, 98.0, 100.0),
    )
    ci = "percentage points (95% CI"
    assert show.estimate_texts(rows, (5.0, 12.0)) == {
        "rd_full_pvn": f"9.0 {ci} [5.0, 13.1])",
        "adj_full_pvn": f"6.5 {ci} [2.2, 10.8])",
        "rw_full_pvn": f"5.0 {ci} [0.5, 9.5])",
        "rd_full_er": f"-1.5 {ci} [-9.0, 6.0])",
        "rd_full_in": f"0.3 {ci} [-7.0, 7.6])",
        "rd_any_pvn": "n/a (95% CI [n/a])",  # not among the rows
        "published_range": "5 to 12 percentage points",
    }
    arms = show.arm_vs_non_texts(
        _rows(("outflow_full", "regulier vs non_participants", "risk difference", 4.0, 1.0, 7.0))
    )
    assert arms == {"rd_full_eigen_regie_non": "n/a (95% CI [n/a])",
                    "rd_full_intensief_non": "n/a (95% CI [n/a])",
                    "rd_full_regulier_non": f"4.0 {ci} [1.0, 7.0])"}  # fmt: skip


def test_forest_and_clustered_rows_filter_by_method():
    rows = _rows(
        ("outflow_full", "a vs b", "risk difference", 1, 0, 2),
        ("outflow_full", "a vs b", "adjusted risk difference, consultant-clustered", 1, 0, 2),
        ("outflow_full", "a vs b", "reweighted risk difference", 1, 0, 2),
        ("outflow_any", "a vs b", "risk difference", 1, 0, 2),
        ("outflow_full", "a vs b", "LPM, consultant-clustered", 1, 0, 2),
    )
    assert show.forest_rows(rows).index.tolist() == [0, 2]
    assert show.clustered_rows(rows).index.tolist() == [4]


def test_balance_display_and_texts():
    balance = pd.DataFrame({
        "covariate": ["age", "benefit_years"],
        "mean_treated": [40.123, 2.5], "mean_comparison": [44.0, 4.25],
        "mean_comparison_weighted": [40.5, 2.75], "smd_before": [-0.312, 0.2], "smd_after": [0.04, -0.061],
    })  # fmt: skip
    shown = show.balance_display(balance)
    assert shown.columns.tolist() == ["characteristic", "participants", "non-participants",
                                      "non-participants, reweighted", "SMD before", "SMD after"]  # fmt: skip
    assert shown.iloc[0].tolist() == ["Age (years)", "40.12", "44.00", "40.50", "-0.31", "0.04"]
    assert show.balance_texts(balance) == {"max_smd_before": "0.31", "max_smd_after": "0.06"}


def test_duration_display_and_text():
    dc = pd.DataFrame({
        "duration_class": ["1-3 years", "1-3 years"], "method": ["risk difference", "adjusted risk difference"],
        "n_participants": [80, 80], "n_non_participants": [400, 400], "estimate": [7.0, 5.5],
        "ci_low": [-1.0, -2.5], "ci_high": [15.0, 13.5], "p": [0.09, 0.0004], "outcome": "outflow_full",
    })  # fmt: skip
    shown = show.duration_contrasts_display(dc)
    assert shown.columns.tolist() == ["time on benefit", "method", "n_participants",
                                      "n_non_participants", "difference", "95% CI (pp)", "p"]  # fmt: skip
    assert shown.iloc[1, 4:].tolist() == ["+5.5 percentage points", "[-2.5, 13.5]", "< 0.001"]
    assert show.duration_texts(dc) == {"adj_full_13": "5.5 percentage points (95% CI [-2.5, 13.5])"}
    assert show.duration_texts(dc.iloc[:1]) == {"adj_full_13": "n/a"}


def test_consultant_mix_display_and_texts():
    mix = pd.DataFrame({"main_arm": ["eigen_regie", "regulier"], "consultants": [4, 3],
                        "participants": [100, 80], "in_main_arm": [90, 60]})  # fmt: skip
    shown = show.consultant_mix_display(mix)
    assert shown.columns.tolist() == ["consultants whose main arm is", "consultants", "participants",
                                      "participants in that arm", "share in main arm"]  # fmt: skip
    assert shown["share in main arm"].tolist() == ["90.0%", "75.0%"]
    assert shown.iloc[0, 0] == "Self-direction"
    variance = {"n_consultants": 7, "r2_without": 0.081, "r2_with": 0.1234, "p": 0.2}
    assert show.consultant_texts(mix, variance) == {
        "main_arm_share": "83.3%",  # 150 of 180
        "n_consultants": "7",
        "r2_without": "8.1%",
        "r2_with": "12.3%",
        "p_consultant": "0.200",
    }


def test_participant_groups_did_texts_and_store_rows():
    frame = pd.DataFrame({"person_id": ["a", "b", "c"], "participant": [1, 0, 1]})
    groups = so.participant_groups(frame)
    assert groups["group"].tolist() == ["participants", "non_participants", "participants"]
    did = {
        "estimate": -3.25,
        "ci_low": -6.0,
        "ci_high": -0.5,
        "p": 0.02,
        "n": 900,
        "pre_participants": 0.7,
    }
    es = pd.DataFrame({"k": [-12, -11], "gap": [-20.04, -18.0]})
    assert show.did_texts(did, es) == {
        "did_text": "-3.2 percentage points (95% CI [-6.0, -0.5])",
        "pre_gap": "-20.0 percentage points",
    }
    assert show.did_texts(did, es.iloc[:0])["pre_gap"] == "n/a"
    row = show.did_store_row(did).iloc[0].to_dict()
    assert row == {"outcome": "benefit_receipt", "contrast": "participants vs non_participants",
                   "estimate": -3.25, "ci_low": -6.0, "ci_high": -0.5, "p": 0.02, "n": 900,
                   "method": "difference-in-differences", "scale": "pp"}  # fmt: skip


def test_chapter_store_rows_stack_contrasts_levels_hazards_and_did():
    rows = _rows(("outflow_full", "a vs b", "risk difference", 1.0, 0.0, 2.0),
                 ("outflow_full", "a vs c", "risk difference", np.nan, np.nan, np.nan))  # fmt: skip
    level = pd.DataFrame(
        {"group": ["participants"], "n": [50], "share": [0.2], "ci_low": [0.1], "ci_high": [0.3]}
    )
    shares = {"outflow_full": level, "outflow_any": level.assign(share=0.4)}
    hazards = _rows(("outflow_any", "a vs b", "hazard ratio", 1.3, 1.1, 1.6)).assign(scale="ratio")
    did = {"estimate": -3.0, "ci_low": -6.0, "ci_high": 0.0, "p": 0.05, "n": 900}
    out = show.chapter_store_rows(rows, shares, hazards, did)
    assert out.columns.tolist() == so.STORE_COLUMNS
    assert out["contrast"].tolist() == ["a vs b", "participants level", "participants level",
                                        "a vs b", "participants vs non_participants"]  # fmt: skip
    assert out["estimate"].tolist() == [1.0, 0.2, 0.4, 1.3, -3.0]  # the NaN row is dropped
    assert out["outcome"].tolist() == ["outflow_full", "outflow_full", "outflow_any", "outflow_any",
                                       "benefit_receipt"]  # fmt: skip


def test_survival_texts_format_logrank_and_the_adjusted_hazard_ratio():
    from statsmodels.duration.survfunc import survdiff

    frame = survival_frame()
    hazards = pd.DataFrame([
        dict(outcome="outflow_full", contrast="participants vs non_participants",
             method="adjusted hazard ratio", estimate=1.756, ci_low=1.204, ci_high=2.5, p=0.01, n=240),
        dict(outcome="outflow_full", contrast="participants vs non_participants",
             method="hazard ratio", estimate=9.0, ci_low=8.0, ci_high=10.0, p=0.01, n=240),
    ])  # fmt: skip
    texts = show.survival_texts(frame, hazards)
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
