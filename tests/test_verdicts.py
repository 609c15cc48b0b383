"""Verdicts: judgements of estimates with their intervals, and the words glued from them."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from conftest import store_row
from hypothesis import given
from hypothesis import strategies as st

from trustexp import verdicts as vd
from trustexp.config import AnalysisPlan
from trustexp.verdicts import Verdict

# --------------------------------------------------------------------------- judge, hand cases


@pytest.mark.parametrize(
    ("args", "kwargs", "code", "sign"),
    [
        ((4.0, 1.0, 7.0), {}, "gain", 1),  # higher is better, interval above 0
        ((-4.0, -7.0, -1.0), {}, "loss", -1),  # higher is better, interval below 0
        ((-0.5, -0.9, -0.1), {"better": -1}, "gain", -1),  # financial strain fell: a gain
        ((0.5, 0.1, 0.9), {"better": -1}, "loss", 1),  # financial strain rose: a loss
        ((300.0, 100.0, 500.0), {"better": 0}, "higher", 1),  # spending: no better side
        ((-300.0, -500.0, -100.0), {"better": 0}, "lower", -1),
        ((1.4, 1.1, 1.8), {"null": 1.0}, "gain", 1),  # ratio above 1
        ((0.7, 0.5, 0.9), {"null": 1.0}, "loss", -1),  # ratio below 1
        ((1.2, 0.9, 1.6), {"null": 1.0}, "imprecise", 0),  # ratio interval holds 1
        ((0.5, -1.0, 2.0), {"margin": 3.0}, "equivalent", 0),  # inside +-3
        ((0.5, -4.0, 5.0), {"margin": 3.0}, "imprecise", 0),  # crosses the margin
        ((0.5, -3.0, 2.0), {"margin": 3.0}, "imprecise", 0),  # touching the margin is not inside
        ((0.5, -1.0, 2.0), {}, "imprecise", 0),  # no margin: never equivalent
        ((0.0, 0.0, 2.0), {}, "imprecise", 0),  # an interval ending at 0 does not exclude it
    ],
)
def test_judge_hand_cases(args, kwargs, code, sign) -> None:
    assert vd.judge(*args, **kwargs) == Verdict(code, sign)


@pytest.mark.parametrize(
    "triple",
    [(1.0, float("nan"), 2.0), (float("nan"), 0.5, 2.0), (1.0, 0.5, None), (1.0, -math.inf, 2.0)],
)
def test_a_missing_interval_is_imprecise_with_no_sign(triple) -> None:
    assert vd.judge(*triple, margin=5.0) == Verdict("imprecise", 0)


def test_clear_is_true_only_for_directions() -> None:
    assert [Verdict(c, 0).clear for c in vd.CODES] == [True, True, True, True, False, False]


def test_better_direction_by_outcome_and_contrast() -> None:
    assert vd.better_direction("wellbeing") == 1
    assert vd.better_direction("financial_strain") == vd.better_direction("deprived") == -1
    assert vd.better_direction("spending") == vd.better_direction("response") == 0
    assert vd.better_direction("wellbeing", "consultant vs participant") == 0


finite = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)


@given(est=finite, a=finite, b=finite, better=st.sampled_from([-1, 0, 1]),
       margin=st.one_of(st.none(), st.floats(0.01, 1e3)))  # fmt: skip
def test_judge_is_antisymmetric(est, a, b, better, margin) -> None:
    """Flipping the sign of the estimate and its interval swaps gain/loss and higher/lower."""
    lo, hi = min(a, b), max(a, b)
    swap = {"gain": "loss", "loss": "gain", "higher": "lower", "lower": "higher",
            "equivalent": "equivalent", "imprecise": "imprecise"}  # fmt: skip
    v = vd.judge(est, lo, hi, better=better, margin=margin)
    w = vd.judge(-est, -hi, -lo, better=better, margin=margin)
    assert w.code == swap[v.code] and w.sign == -v.sign


@given(est=finite, a=finite, b=finite, better=st.sampled_from([-1, 0, 1]),
       margin=st.one_of(st.none(), st.floats(0.01, 1e3)))  # fmt: skip
def test_an_interval_excluding_zero_is_always_a_clear_direction(est, a, b, better, margin) -> None:
    lo, hi = min(a, b), max(a, b)
    v = vd.judge(est, lo, hi, better=better, margin=margin)
    if lo > 0 or hi < 0:
        assert v.clear and v.code not in ("equivalent", "imprecise")
        assert v.sign == (1 if lo > 0 else -1)
        assert v.code in (("higher", "lower") if better == 0 else ("gain", "loss"))
    else:
        assert not v.clear and v.sign == 0


# --------------------------------------------------------------------------- store rows


def _store(*rows) -> pd.DataFrame:
    return pd.DataFrame([store_row(*r) for r in rows])


def test_row_verdict_uses_outcome_direction_scale_null_and_between_group_margins() -> None:
    margins = {"wellbeing": 0.5, "outflow_full": 5.0}
    rows = _store(
        ("wellbeing", "eigen_regie vs regulier", "ANCOVA (baseline score)", 0.1, -0.2, 0.4),
        ("wellbeing", "regulier wave 2 vs wave 0", "mean change", 0.1, -0.2, 0.4),
        ("financial_strain", "intensief vs regulier", "ANCOVA (baseline score)", -0.4, -0.7, -0.1),
        ("outflow_full", "participants vs non_participants", "hazard ratio", 1.5, 1.2, 1.9, 0.01,
         2000, "hazard_ratio"),
        ("outflow_full", "eigen_regie vs regulier", "hazard ratio", 1.0, 0.9, 1.1, 0.9, 200,
         "hazard_ratio"),
        ("spending", "eigen_regie vs regulier", "spending per participant difference", 250.0, 50.0,
         450.0, 0.01, 200, "eur"),
    )  # fmt: skip
    got = [vd.row_verdict(r, margins) for r in rows.to_dict("records")]
    assert got == [
        Verdict("equivalent", 0),  # between groups, inside +-0.5
        Verdict("imprecise", 0),  # within an arm: no margin
        Verdict("gain", -1),  # lower is better
        Verdict("gain", 1),  # ratio above its null of 1
        Verdict("imprecise", 0),  # margins apply to pp and points only
        Verdict("higher", 1),  # spending: no better side
    ]


def test_annotate_adds_a_verdict_to_judged_rows_and_none_to_the_rest() -> None:
    rows = _store(
        ("outflow_full", "eigen_regie vs regulier", "difference (covariate-adjusted)", 8.0, 2.0, 14.0,
         0.01, 200, "pp"),
        ("outflow_full", "intensief vs regulier", "difference (covariate-adjusted)", 1.0, -3.0, 4.0,
         0.6, 200, "pp"),
        ("outflow_full", "regulier level", "share (Wilson)", 0.2, 0.1, 0.3, None, 100, "share"),
        ("wellbeing", "consultant vs participant", "ICC", 0.6, 0.4, 0.7, 0.01, 90, "icc"),
        ("wellbeing", "consultant vs participant", "paired mean difference", 0.9, 0.5, 1.3),
        ("wellbeing", "eigen_regie vs regulier", "standardised difference (baseline SD)", 0.3, 0.1,
         0.5, 0.01, 120, "d"),
    ).set_index(pd.Index([10, 11, 12, 13, 14, 15]))  # fmt: skip
    out = vd.annotate(rows, {"outflow_full": 5.0})
    assert out.index.equals(rows.index) and out.drop(columns="verdict").equals(rows)
    assert out["verdict"].tolist() == ["gain", "equivalent", None, None, "higher", "gain"]
    assert out["verdict"].dtype == object


def test_margins_of_reads_the_plan() -> None:
    margins = vd.margins_of(AnalysisPlan())
    assert margins["outflow_full"] == 5.0 and margins["wellbeing"] == 0.5
    assert all(isinstance(v, float) for v in margins.values())


# --------------------------------------------------------------------------- words


@pytest.mark.parametrize(
    ("v", "en", "nl"),
    [
        (Verdict("gain", 1), ("higher", "more often", "rose"), ("hoger", "vaker", "steeg")),
        (Verdict("gain", -1), ("lower", "less often", "fell"), ("lager", "minder vaak", "daalde")),
        (Verdict("lower", -1), ("lower", "less often", "fell"), ("lager", "minder vaak", "daalde")),
        (Verdict("imprecise", 0),
         ("not clearly different", "not clearly more or less often", "did not clearly change"),
         ("niet duidelijk anders", "niet duidelijk vaker of minder vaak", "veranderde niet duidelijk")),
        (Verdict("equivalent", 0),
         ("not clearly different", "not clearly more or less often", "did not clearly change"),
         ("niet duidelijk anders", "niet duidelijk vaker of minder vaak", "veranderde niet duidelijk")),
    ],
)  # fmt: skip
def test_direction_words_follow_the_interval_not_the_point(v, en, nl) -> None:
    assert (vd.comparative(v), vd.how_often(v), vd.change(v)) == en
    assert (vd.comparative(v, "nl"), vd.how_often(v, "nl"), vd.change(v, "nl")) == nl


def test_judgement_words_in_english_and_dutch() -> None:
    en = [vd.judgement(Verdict(c, 0)) for c in vd.CODES]
    nl = [vd.judgement(Verdict(c, 0), "nl") for c in vd.CODES]
    assert en == ["a clear gain", "a clear loss", "clearly higher", "clearly lower",
                  "no difference that matters (within the margin)", "too imprecise to tell"]  # fmt: skip
    assert nl == ["een duidelijke verbetering", "een duidelijke verslechtering", "duidelijk hoger",
                  "duidelijk lager", "geen verschil dat ertoe doet (binnen de marge)",
                  "te onzeker om iets over te zeggen"]  # fmt: skip


def test_allowed_range_text() -> None:
    assert vd.allowed_range(-5.04, 9.0, "pp") == "anything from -5.0 to +9.0 percentage points"
    assert vd.allowed_range(-5.04, 9.0, "pp", "nl") == "alles van -5,0 tot +9,0 procentpunt"
    assert vd.allowed_range(-0.2, 0.456, "points", unit=" points") == (
        "anything from -0.20 to +0.46 points"
    )
    assert (
        vd.allowed_range(-0.2, 0.456, "points", "nl", " punt") == "alles van -0,20 tot +0,46 punt"
    )
    assert vd.allowed_range(-0.001, 0.5, "points") == "anything from 0.00 to +0.50"  # no "-0.00"


def test_verdict_sentence_adds_the_range_only_when_imprecise() -> None:
    assert vd.verdict_sentence(Verdict("imprecise", 0), -5, 9, "pp") == (
        "too imprecise to tell (the data allow anything from -5.0 to +9.0 percentage points)"
    )
    assert vd.verdict_sentence(Verdict("imprecise", 0), -5, 9, "pp", "nl") == (
        "te onzeker om iets over te zeggen (de gegevens laten alles van -5,0 tot +9,0 procentpunt open)"
    )
    assert vd.verdict_sentence(Verdict("gain", 1), 2, 9, "pp") == "a clear gain"
    assert (
        vd.verdict_sentence(Verdict("imprecise", 0), math.nan, 9, "pp") == "too imprecise to tell"
    )


def test_annotate_leaves_minimum_detectable_effects_and_simulation_rows_unjudged() -> None:
    rows = _store(
        ("outflow_full", "eigen_regie vs regulier", "MDE registry", 17.0, None, None, None, 200, "pp"),
        ("outflow_full", "eigen_regie vs regulier",
         "simulation bias: difference (covariate-adjusted) [CR2], truth default", 0.4, 0.1, 0.7, None,
         1000, "pp"),
    )  # fmt: skip
    assert vd.annotate(rows, {"outflow_full": 5.0})["verdict"].tolist() == [None, None]
