"""Consultants vs participants: pairing, paired differences, ICC, Bland-Altman, truth recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_params, rated_survey

from trustexp import fmt
from trustexp.chapters import consultants as show
from trustexp.data.synthetic import generate
from trustexp.reference import published
from trustexp.results import validate_results
from trustexp.stats import consultants as cs
from trustexp.vocab import ARMS, group_label, outcome_label


def test_store_rows_pass_the_store_schema():
    cohort = generate(make_params())
    pairs = cs.rating_pairs(cohort.survey, cohort.participants)
    rows = show.consultant_store_rows(
        cs.pooled_difference(pairs),
        cs.paired_differences(pairs),
        cs.paired_differences(pairs, by=("item", "arm", "wave")),
        cs.agreement_icc(pairs),
        cs.agreement_icc(pairs, by=("item", "wave")),
        cs.consultant_only_means(cohort.survey, cohort.participants, "progress"),
    )
    checked = validate_results(rows.assign(chapter="consultants"))
    assert {"paired mean difference", "ICC", "consultant rating wave 2"} <= set(checked["method"])


def test_working_elements_are_paraphrased_and_cite_known_sources():
    themes = show.working_elements()
    assert len(themes) == 6
    known = set(published()["sources"])
    bib = open("book/references.bib", encoding="utf-8").read()
    for srcs in themes["sources"]:
        for key in srcs.split(", "):
            assert key in known and f"{{{key}," in bib
    text = " ".join(themes["theme"]) + " ".join(themes["reading"])
    assert not any(q in text for q in ('"', "“", "”", "„"))  # no quotations


@pytest.mark.parametrize("threshold", [10, 10_000])
def test_data_texts_format_counts_with_disclosure(threshold):
    cohort = generate(make_params())
    res = cs.consultant_analysis(cohort.survey, cohort.participants, 0.05, 100, 1, threshold)
    got = show.data_texts(res, cohort.participants, threshold)
    ladder = res.by_wave[res.by_wave["item"] == "ladder"]
    n_people = res.pairs["person_id"].nunique()
    arms = cohort.participants["arm"].astype(str).value_counts()
    shown = lambda n: f"< {threshold}" if 0 < n < threshold else fmt.count(n)  # noqa: E731
    assert got == {
        "paired_items": ", ".join(outcome_label(i).lower() for i in res.paired),
        "only_items": ", ".join(outcome_label(i).lower() for i in res.only),
        "n_pairs_ladder": ", ".join(f"wave {w}: {fmt.count(n)}" for w, n in zip(ladder["wave"], ladder["n"], strict=True)),
        "n_people": shown(n_people),
        "n_arm_text": ", ".join(f"{group_label(a)} {shown(arms[a])}" for a in ARMS),
    }  # fmt: skip


def test_gap_texts_match_the_frames():
    cohort = generate(make_params())
    res = cs.consultant_analysis(cohort.survey, cohort.participants, 0.05, 100, 1, 10)
    got = show.gap_texts(res)
    assert set(got) == {f"{i}_{k}" for i in ("ladder", "wellbeing") for k in show.GAP_KEYS} | {
        "view_text"
    }
    for item, unit in (("ladder", "rungs"), ("wellbeing", "points")):
        pooled = res.pooled[res.pooled["item"] == item].iloc[0]
        est, lo, hi = pooled["estimate"], pooled["ci_low"], pooled["ci_high"]
        assert got[f"{item}_gap"] == fmt.num(est)
        assert (
            got[f"{item}_gap_ci"]
            == f"{fmt.num(est, signed=True)} {unit} (95% CI [{fmt.num(lo)}, {fmt.num(hi)}])"
        )
        for wave in (0, 2):
            row = res.by_wave[(res.by_wave["item"] == item) & (res.by_wave["wave"] == wave)]
            assert got[f"{item}_gap_w{wave}"] == fmt.num(row["estimate"].iloc[0])
        g = res.growth[res.growth["item"] == item].iloc[0]
        assert got[f"{item}_growth"] == (
            f"{fmt.num(g['estimate'], signed=True)} {unit} (95% CI {fmt.ci(g['ci_low'], g['ci_high'])})"
        )
        ic = res.icc[res.icc["item"] == item].iloc[0]
        assert got[f"{item}_icc"] == fmt.num(ic["icc_agreement"])
        assert got[f"{item}_icc_ci"] == fmt.ci(ic["icc_agreement_low"], ic["icc_agreement_high"])
        assert got[f"{item}_icc_c"] == fmt.num(ic["icc_consistency"])


def test_texts_say_when_the_ladder_was_not_paired_or_a_wave_is_missing():
    """Participants answer only life satisfaction, at wave 0: the ladder is consultant-only."""
    rng = np.random.default_rng(8)
    own, cons = rng.integers(3, 8, 12), rng.integers(4, 9, 12)
    survey = rated_survey(
        [(f"P{i}", 0, "participant", None, int(own[i]), None, True) for i in range(12)]
        + [(f"P{i}", 0, "consultant", 4, int(cons[i]), 5, True) for i in range(12)]
    )
    parts = pd.DataFrame({"person_id": [f"P{i}" for i in range(12)], "arm": ["regulier"] * 12})
    res = cs.consultant_analysis(survey, parts, 0.05, 100, 1, threshold=10)
    assert (res.paired, res.only) == (["wellbeing"], ["ladder", "progress"])
    data = show.data_texts(res, parts, 10)
    assert (
        data["only_items"]
        == f"{outcome_label('ladder').lower()}, {outcome_label('progress').lower()}"
    )
    assert data["n_pairs_ladder"] == "wave 0: 12 (wellbeing; the ladder was not paired)"
    assert (
        data["n_arm_text"] == f"{group_label('eigen_regie')} 0, {group_label('intensief')} 0, "
        f"{group_label('regulier')} 12"
    )
    got = show.gap_texts(res)
    assert got["wellbeing_gap"] == fmt.num(float(np.mean(cons - own)))
    assert got["wellbeing_gap_w2"] == "n/a" and got["wellbeing_growth"] == "n/a"
    assert {got[f"ladder_{k}"] for k in show.GAP_KEYS} == {"n/a (not paired in these data)"}


def test_store_rows_are_the_analysis_rows_of_every_part():
    cohort = generate(make_params())
    res = cs.consultant_analysis(cohort.survey, cohort.participants, 0.1, 200, 4, threshold=10)
    want = show.consultant_store_rows(res.pooled, res.by_wave, res.by_arm_wave, res.icc,
                                      res.icc_by_wave, res.only_means.get("progress"))  # fmt: skip
    pd.testing.assert_frame_equal(show.store_rows(res), want)


@pytest.mark.parametrize(
    ("icc", "word"),
    [(0.0, "poor"), (0.4999, "poor"), (0.5, "moderate"), (0.62, "moderate"), (0.75, "good"),
     (0.8999, "good"), (0.9, "excellent"), (0.97, "excellent"), (float("nan"), "not estimated")],
)  # fmt: skip
def test_icc_words_follow_koo_and_li(icc, word):
    assert show.icc_words(icc) == word


def _frame(items, est, lo, hi, **extra) -> pd.DataFrame:
    return pd.DataFrame({"item": items, "estimate": est, "ci_low": lo, "ci_high": hi, **extra})


def _hand_analysis(wb_gap=(0.63, 0.5, 0.76), growth=(0.3, 0.1, 0.5)) -> cs.ConsultantAnalysis:
    """Ladder: consultants lower; wellbeing: ``wb_gap``; ICCs and waves by hand."""
    items = ["ladder", "wellbeing"]
    pooled = _frame(items, [-0.4, wb_gap[0]], [-0.7, wb_gap[1]], [-0.1, wb_gap[2]], n=[80, 80])
    by_wave = pd.DataFrame({"item": ["ladder"] * 2 + ["wellbeing"] * 2, "wave": [0, 2, 0, 2],
                            "estimate": [-0.3, -0.5, 0.2, 1.0], "n": [40, 40, 40, 40]})  # fmt: skip
    icc = pd.DataFrame({"item": items, "icc_agreement": [0.62, 0.31], "icc_agreement_low": [0.5, 0.1],
                        "icc_agreement_high": [0.72, 0.5], "icc_consistency": [0.7, 0.4]})  # fmt: skip
    grow = _frame(items, [-0.05, growth[0]], [-0.3, growth[1]], [0.2, growth[2]])
    empty = pd.DataFrame()
    return cs.ConsultantAnalysis(paired=items, only=["progress"], pairs=empty, by_wave=by_wave,
                                 by_arm_wave=empty, pooled=pooled, icc=icc, icc_by_wave=empty,
                                 limits=empty, cells=empty, n_hidden=0, growth=grow)  # fmt: skip


def test_gap_texts_say_higher_lower_or_not_clearly_from_the_interval():
    got = show.gap_texts(_hand_analysis())
    assert got["wellbeing_gap_text"] == "0.63 points higher (95% CI [0.50, 0.76])"
    assert got["ladder_gap_text"] == "0.40 rungs lower (95% CI [-0.70, -0.10])"
    assert (
        got["wellbeing_growth_dir"] == "grew"
        and got["ladder_growth_dir"] == "did not clearly change"
    )
    assert got["ladder_icc_words"] == "moderate" and got["wellbeing_icc_words"] == "poor"
    assert (got["ladder_gap_w0"], got["ladder_gap_w2"]) == ("-0.30", "-0.50")
    assert got["ladder_icc_ci"] == "[0.50, 0.72]" and got["wellbeing_icc_c"] == "0.40"
    # one item each way: no single direction
    assert got["view_text"].startswith("The consultants' and the participants' judgements did not")
    unclear = show.gap_texts(_hand_analysis(wb_gap=(0.1, -0.2, 0.4), growth=(-0.3, -0.5, -0.1)))
    assert unclear["wellbeing_gap_text"] == (
        "not clearly higher or lower (+0.10 points, 95% CI [-0.20, 0.40])"
    )
    assert unclear["wellbeing_growth_dir"] == "shrank"
    assert unclear["view_text"].startswith(
        "The consultants' and the participants' judgements did not"
    )


def test_view_text_names_one_direction_only_when_every_gap_is_clear_that_way():
    both_lower = _hand_analysis(wb_gap=(-0.5, -0.8, -0.2))
    assert show.view_text(both_lower).startswith(
        "The consultants judged their clients less positively"
    )
    both_higher = _hand_analysis()
    both_higher.pooled.loc[0, ["estimate", "ci_low", "ci_high"]] = [0.4, 0.1, 0.7]
    assert show.view_text(both_higher).startswith(
        "The consultants judged their clients more positively"
    )


def test_consultant_only_charts_are_referred_to_by_number_however_many_there_are():
    from trustexp.chapters.consultants import only_figure_name, only_figures_markdown

    assert only_figure_name("job_readiness") == "fig-consultants-only-job-readiness"
    assert only_figures_markdown({"progress": None}) == (
        "{numref}`fig-consultants-only-progress` shows the consultants' mean rating per arm and "
        "wave, with 95% confidence intervals."
    )
    three = only_figures_markdown(["a", "b", "c"])
    assert three.startswith(
        "{numref}`fig-consultants-only-a`, {numref}`fig-consultants-only-b` and "
        "{numref}`fig-consultants-only-c` show "
    )
    assert "numref" not in only_figures_markdown([])
