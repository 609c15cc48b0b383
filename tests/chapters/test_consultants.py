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
    assert set(got) == {f"{i}_{k}" for i in ("ladder", "wellbeing") for k in show.GAP_KEYS}
    for item, unit in (("ladder", "rungs"), ("wellbeing", "points")):
        pooled = res.pooled[res.pooled["item"] == item].iloc[0]
        est, lo, hi = pooled["estimate"], pooled["ci_low"], pooled["ci_high"]
        assert got[f"{item}_gap"] == fmt.num(est)
        assert (
            got[f"{item}_gap_ci"]
            == f"{fmt.num(est)} {unit} (95% CI [{fmt.num(lo)}, {fmt.num(hi)}])"
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
