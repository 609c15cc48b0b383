"""Answers to the municipality's questions: rows chosen by the plan, sentences chosen by the verdicts."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import answers_store, store_row

from trustexp.chapters import answers as ans
from trustexp.config import AnalysisPlan
from trustexp.verdicts import Verdict

PLAN = AnalysisPlan()


@pytest.fixture(scope="module")
def answered() -> dict[str, ans.Answer]:
    return ans.answers(answers_store(), PLAN)


def test_one_answer_per_question_keyed_by_outcome_and_subject(answered) -> None:
    assert len(answered) == len(ans.QUESTION_OUTCOMES) * 2 + 1
    assert list(answered)[:2] == ["outflow_full_eigen_regie", "outflow_full_intensief"]
    assert list(answered)[-1] == "outflow_full_participants"
    part = answered["outflow_full_participants"].question
    assert (part.contrast, part.lottery) == ("participants vs non_participants", False)


def test_answers_pick_the_plans_estimator_and_the_att_row(answered) -> None:
    er = answered["outflow_full_eigen_regie"]
    assert er.row["method"] == "difference (covariate-adjusted)" and er.row["estimate"] == 8.0
    assert (er.margin, er.mde) == (5.0, 16.5)
    part = answered["outflow_full_participants"]
    assert part.row["method"] == "ATT (doubly robust)" and part.row["estimate"] == 9.25
    assert (part.margin, part.mde) == (5.0, None)  # no MDE: not a lottery comparison
    assert answered["wellbeing_eigen_regie"].row["method"] == "ANCOVA (baseline score)"
    assert answered["wellbeing_eigen_regie"].mde == 0.85
    other = PLAN.model_copy(
        update={"estimators": {**PLAN.estimators, "outflow_full": "difference (unadjusted)"}}
    )
    assert ans.answers(answers_store(), other)["outflow_full_eigen_regie"].row["estimate"] == 30.0


def test_verdicts_follow_the_intervals_the_direction_and_the_margin(answered) -> None:
    codes = {k: (a.verdict.code, a.verdict.sign) for k, a in answered.items() if a.row is not None}
    assert codes == {
        "outflow_full_eigen_regie": ("gain", 1),
        "outflow_full_intensief": ("imprecise", 0),  # -5.04 reaches past the 5 pp margin
        "outflow_full_participants": ("gain", 1),
        "wellbeing_eigen_regie": ("equivalent", 0),
        "wellbeing_intensief": ("gain", 1),
        "ladder_self_eigen_regie": ("imprecise", 0),
        "ladder_self_intensief": ("imprecise", 0),
        "financial_strain_intensief": ("gain", -1),  # a fall in difficulty making ends meet
        "health_eigen_regie": ("imprecise", 0),
    }


def test_the_att_is_judged_with_the_margin_like_the_stores_verdict() -> None:
    store = answers_store()
    att = (store["contrast"] == "participants vs non_participants") & (
        store["method"] == "ATT (doubly robust)"
    )
    store.loc[att, ["estimate", "ci_low", "ci_high"]] = [0.5, -2.0, 3.0]  # inside +-5 pp
    part = ans.answers(store, PLAN)["outflow_full_participants"]
    assert part.verdict == Verdict("equivalent", 0)
    assert part.sentence().endswith("within the margin of plus or minus 5.0 percentage points.")


def test_a_store_verdict_that_disagrees_with_the_plan_is_an_error() -> None:
    store = answers_store().assign(verdict=None)
    er = (store["contrast"] == "eigen_regie vs regulier") & (
        store["method"] == "difference (covariate-adjusted)"
    )
    store.loc[er, "verdict"] = "gain"  # agrees: fine
    assert ans.answers(store, PLAN)["outflow_full_eigen_regie"].verdict.code == "gain"
    store.loc[er, "verdict"] = "imprecise"  # e.g. written under other margins
    with pytest.raises(ValueError, match="differs from the store's: gain vs imprecise"):
        ans.answers(store, PLAN)


@pytest.mark.parametrize(
    ("key", "en", "nl"),
    [
        ("outflow_full_eigen_regie",
         "Self-direction raised outflow to full-time work compared with regular service: "
         "+8.0 percentage points (95% CI [2.0, 14.0]), a clear gain.",
         "Eigen regie verhoogde de uitstroom naar voltijds werk ten opzichte van de reguliere "
         "dienstverlening: +8,0 procentpunt (95%-BI [2,0; 14,0]), een duidelijke verbetering."),
        ("outflow_full_intensief",
         "Whether intensive support changed outflow to full-time work compared with regular service "
         "is too imprecise to tell: the estimate is +1.7 percentage points, but the data allow "
         "anything from -5.0 to +9.0 percentage points.",
         "Of intensieve begeleiding de uitstroom naar voltijds werk veranderde ten opzichte van de "
         "reguliere dienstverlening, is te onzeker om te zeggen: de schatting is +1,7 procentpunt, "
         "maar de gegevens laten alles van -5,0 tot +9,0 procentpunt open."),
        ("wellbeing_eigen_regie",
         "Self-direction made no difference that matters to life satisfaction (wellbeing) compared "
         "with regular service: +0.10 points (95% CI [-0.20, 0.40]), within the margin of plus or "
         "minus 0.50 points.",
         "Eigen regie maakte geen verschil dat ertoe doet voor het welbevinden (tevredenheid met het "
         "leven) ten opzichte van de reguliere dienstverlening: +0,10 punt (95%-BI [-0,20; 0,40]), "
         "binnen de marge van plus of min 0,50 punt."),
        ("financial_strain_intensief",
         "Intensive support lowered difficulty making ends meet compared with regular service: "
         "-0.50 points (95% CI [-0.90, -0.10]), a clear gain.",
         "Intensieve begeleiding verlaagde de moeite om rond te komen ten opzichte van de reguliere "
         "dienstverlening: -0,50 punt (95%-BI [-0,90; -0,10]), een duidelijke verbetering."),
        ("outflow_full_participants",
         "Taking part raised outflow to full-time work compared with comparable people who did not "
         "take part: +9.2 percentage points (95% CI [4.5, 14.0]), a clear gain.",
         "Meedoen verhoogde de uitstroom naar voltijds werk ten opzichte van vergelijkbare mensen die "
         "niet meededen: +9,2 procentpunt (95%-BI [4,5; 14,0]), een duidelijke verbetering."),
        ("deprived_eigen_regie",
         "Self-direction against regular service, material deprivation: not estimated.",
         "Eigen regie ten opzichte van de reguliere dienstverlening, de materiële tekorten: niet geschat."),
    ],
)  # fmt: skip
def test_sentences_per_verdict_in_english_and_dutch(answered, key, en, nl) -> None:
    assert answered[key].sentence("en") == en
    assert answered[key].sentence("nl") == nl


def test_a_loss_and_a_neutral_direction_read_as_such() -> None:
    row = pd.Series(store_row("outflow_full", "intensief vs regulier", "difference (covariate-adjusted)",
                              -8.0, -14.0, -2.0, 0.01, 200, "pp"))  # fmt: skip
    q = ans.Question("outflow_full", "intensief", "regulier")
    loss = ans.Answer(q, row, Verdict("loss", -1), 5.0, None)
    assert loss.sentence() == ("Intensive support lowered outflow to full-time work compared with "
                               "regular service: -8.0 percentage points (95% CI [-14.0, -2.0]), a clear loss.")  # fmt: skip
    assert loss.sentence("nl").endswith("een duidelijke verslechtering.")
    higher = ans.Answer(
        q, row, Verdict("lower", -1), 5.0, None
    )  # no judgement word for a direction
    assert higher.sentence().endswith("(95% CI [-14.0, -2.0]).")


def test_figure_allowed_margin_mde_and_words_of_a_missing_row(answered) -> None:
    missing = answered["deprived_eigen_regie"]
    assert missing.row is None and missing.verdict == Verdict("imprecise", 0)
    assert (missing.figure(), missing.figure("nl")) == ("not estimated", "niet geschat")
    assert (missing.verdict_words(), missing.verdict_words("nl")) == (
        "not estimated",
        "niet geschat",
    )
    assert (missing.allowed(), missing.mde_text(), missing.point()) == ("n/a", "n/a", "n/a")
    er = answered["outflow_full_eigen_regie"]
    assert (er.margin_text(), er.margin_text("nl")) == ("5.0 percentage points", "5,0 procentpunt")
    assert (er.mde_text(), er.mde_text("nl")) == ("16.5 percentage points", "16,5 procentpunt")
    assert answered["outflow_full_intensief"].mde_text() == "16.9 percentage points"
    assert answered["wellbeing_eigen_regie"].mde_text("nl") == "0,85 punt"
    assert answered["wellbeing_intensief"].mde_text() == "n/a"  # no MDE row


def test_answer_texts_and_table_and_counts(answered) -> None:
    texts = ans.answer_texts(answered, "en")
    assert len(texts) == 5 * len(answered)
    assert (
        texts["verdict_wellbeing_eigen_regie"] == "no difference that matters (within the margin)"
    )
    assert texts["allow_outflow_full_intensief"] == "anything from -5.0 to +9.0 percentage points"
    assert texts["fig_wellbeing_intensief"] == "+0.60 points (95% CI [0.10, 1.10])"
    assert texts["ans_outflow_full_eigen_regie"] == answered["outflow_full_eigen_regie"].sentence()
    table = ans.answers_table(answered, "nl")
    assert len(table) == len(answered) and table.columns[0] == "vraag"
    assert table.iloc[-1].tolist()[-1] == "geen vergelijking door loting"
    counts = ans.verdict_counts(answered, ("outflow_full", "wellbeing"))
    assert counts == {"n": 4, "clear": 2, "equivalent": 1, "imprecise": 1, "gain": 2, "loss": 0}
    assert ans.after_colon("Taking part") == "taking part"
