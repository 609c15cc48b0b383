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
    texts = show.data_texts(
        frame, {"person_months": 123456, "people": 4321}, 24, "national", 10, 18
    )
    book = yaml.safe_load(CODEBOOK_PATH.read_text())["outcomes"]
    plain = {k: book[k]["plain_en"].format(window=24, durable=18)
             for k in ("outflow_full", "outflow_any", "outflow_durable")}  # fmt: skip
    assert texts == {
        "def_full": plain["outflow_full"],
        "def_any": plain["outflow_any"],
        "def_durable": plain["outflow_durable"],
        "window_text": "24 months",
        "comparison_text": "a national stock of recipients of social assistance on benefit at the lottery date",
        "n_person_months": "123,456",
        "n_people_registry": "4,321",
        "n_arms_text": "Self-direction 12, Intensive support < 10, Regular service 0",
        "n_non": "1,500",
    }  # fmt: skip
    assert texts["def_full"] == (
        "left social assistance for full-time paid work within 24 months of the lottery date"
    )
    assert "18 months after" in texts["def_durable"] and "outflow_window" not in texts["def_any"]
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


ADJ, RAW, ATT = "difference (covariate-adjusted)", "difference (unadjusted)", "ATT (doubly robust)"


def _estimate_rows(er=(-1.5, -9.0, 6.0)):
    pvn = "participants vs non_participants"
    return _rows(
        ("outflow_full", pvn, "risk difference", 9.04, 4.96, 13.1),
        ("outflow_full", pvn, ATT, 6.5, 2.25, 10.75),
        ("outflow_full", pvn, "ATT (regression adjustment)", 6.0, 2.0, 10.0),
        ("outflow_full", pvn, "ATT (IPW)", 5.0, 0.5, 9.5),
        ("outflow_full", "eigen_regie vs regulier", ADJ, *er),
        ("outflow_full", "eigen_regie vs regulier", RAW, -1.0, -8.0, 6.0),
        ("outflow_full", "intensief vs regulier", ADJ, 6.0, 0.5, 11.5),
        ("outflow_full", "intensief vs regulier", RAW, 99.0, 98.0, 100.0),
        ("outflow_any", "intensief vs regulier", ADJ, -3.0, -4.0, -2.0),
    )


def test_estimate_texts_pick_the_right_rows_and_judge_them():
    ci, na = "percentage points (95% CI", "n/a (95% CI [n/a])"
    got = show.estimate_texts(_estimate_rows(), (5.0, 12.0), {"outflow_full": 5.0})
    assert got == {
        "rd_full_pvn": f"+9.0 {ci} [5.0, 13.1])",
        "att_full_pvn": f"+6.5 {ci} [2.2, 10.8])",
        "ra_full_pvn": f"+6.0 {ci} [2.0, 10.0])",
        "ipw_full_pvn": f"+5.0 {ci} [0.5, 9.5])",
        "rd_any_pvn": na, "att_any_pvn": na, "att_durable_pvn": na,  # not among the rows
        "published_range": "5 to 12 percentage points",
        "att_often": "more often", "att_judgement": "a clear gain",
        "adj_full_er": f"-1.5 {ci} [-9.0, 6.0])", "raw_full_er": f"-1.0 {ci} [-8.0, 6.0])",
        "adj_any_er": na, "adj_durable_er": na,
        "often_er": "not clearly more or less often",
        "judgement_er": "too imprecise to tell (the data allow anything from -9.0 to +6.0 percentage points)",
        "adj_full_in": f"+6.0 {ci} [0.5, 11.5])", "raw_full_in": f"+99.0 {ci} [98.0, 100.0])",
        "adj_any_in": f"-3.0 {ci} [-4.0, -2.0])", "adj_durable_in": na,
        "often_in": "more often", "judgement_in": "a clear gain",
    }  # fmt: skip
    inside = show.estimate_texts(
        _estimate_rows(er=(0.5, -3.0, 4.0)), (5.0, 12.0), {"outflow_full": 5.0}
    )
    assert inside["often_er"] == "not clearly more or less often"
    assert inside["judgement_er"] == "no difference that matters (within the margin)"
    lower = show.estimate_texts(_estimate_rows(er=(-7.0, -12.0, -2.0)), (5.0, 12.0), {})
    assert (lower["often_er"], lower["judgement_er"]) == ("less often", "a clear loss")
    no_att = _estimate_rows()[lambda r: r["method"] != ATT]
    got = show.estimate_texts(no_att, (5.0, 12.0), {})
    assert (got["att_often"], got["att_judgement"]) == (
        "not clearly more or less often", "too imprecise to tell")  # fmt: skip


def test_arm_vs_non_texts_give_the_raw_gap_and_the_att_per_arm():
    ci = "percentage points (95% CI"
    arms = show.arm_vs_non_texts(_rows(
        ("outflow_full", "regulier vs non_participants", "risk difference", 4.0, 1.0, 7.0),
        ("outflow_full", "regulier vs non_participants", ATT, 3.0, -0.5, 6.5)))  # fmt: skip
    assert arms == {"rd_full_eigen_regie_non": "n/a (95% CI [n/a])",
                    "att_full_eigen_regie_non": "n/a (95% CI [n/a])",
                    "rd_full_intensief_non": "n/a (95% CI [n/a])",
                    "att_full_intensief_non": "n/a (95% CI [n/a])",
                    "rd_full_regulier_non": f"+4.0 {ci} [1.0, 7.0])",
                    "att_full_regulier_non": f"+3.0 {ci} [-0.5, 6.5])"}  # fmt: skip


def test_contrasts_display_shows_pp_rows_with_their_verdict():
    rows = pd.concat([_estimate_rows(), _rows(
        ("outflow_full", "participants vs non_participants", "hazard ratio", 1.5, 1.2, 1.9)
    ).assign(scale="hazard_ratio")], ignore_index=True)  # fmt: skip
    shown = show.contrasts_display(rows, {"outflow_full": 5.0})
    assert shown.columns.tolist() == ["outcome", "contrast", "difference, pp [95% CI]", "method", "p",
                                      "n", "verdict"]  # fmt: skip
    assert len(shown) == 9  # the hazard ratio is not a difference of shares
    first, er = shown.iloc[0], shown.iloc[4]
    assert first["difference, pp [95% CI]"] == "+9.0 [5.0, 13.1]" and first["p"] == "0.040"
    assert first["verdict"] == "a clear gain" and first["n"] == 300
    assert (er["method"], er["verdict"]) == (
        "Difference, adjusted for background",
        "too imprecise to tell",
    )
    assert shown.iloc[8]["verdict"] == "a clear loss"  # outflow to any exit fell


def test_forest_rows_keep_the_raw_gap_the_att_and_both_lottery_contrasts():
    rows = _rows(
        ("outflow_full", "a vs b", "risk difference", 1, 0, 2),
        ("outflow_full", "a vs b", ADJ, 1, 0, 2),
        ("outflow_full", "a vs b", "ATT (IPW)", 1, 0, 2),
        ("outflow_any", "a vs b", "risk difference", 1, 0, 2),
        ("outflow_full", "a vs b", ATT, 1, 0, 2),
        ("outflow_full", "a vs b", RAW, 1, 0, 2),
    )
    assert show.forest_rows(rows).index.tolist() == [0, 1, 4, 5]
    assert show.forest_rows(rows, "outflow_any").index.tolist() == [3]


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
        "duration_class": ["1-3 years", "1-3 years"], "method": ["risk difference", ATT],
        "n_participants": [80, 80], "n_non_participants": [400, 400], "estimate": [7.0, 5.5],
        "ci_low": [-1.0, -2.5], "ci_high": [15.0, 13.5], "p": [0.09, 0.0004], "outcome": "outflow_full",
    })  # fmt: skip
    shown = show.duration_contrasts_display(dc)
    assert shown.columns.tolist() == ["time on benefit", "difference, pp [95% CI]", "method", "p",
                                      "participants", "non-participants"]  # fmt: skip
    assert shown.iloc[1].tolist() == ["1-3 years", "+5.5 [-2.5, 13.5]",
                                      "Effect on participants (doubly robust)", "< 0.001", 80, 400]  # fmt: skip
    assert show.duration_texts(dc) == {
        "att_full_13": "+5.5 percentage points (95% CI [-2.5, 13.5])"
    }
    assert show.duration_texts(dc.iloc[:1]) == {
        "att_full_13": "not estimable (too few people in the class)"
    }


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
        "p_consultant": "p = 0.200",
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
        return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"

    assert texts == {
        "logrank_all": as_p(p_all),
        "logrank_arms": as_p(p_arms),
        "hr_adj_full": "1.76 (95% CI [1.20, 2.50])",
    }
