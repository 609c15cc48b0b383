"""Conclusions: recommendations chosen by the verdicts, limitations, Oss among the other experiments."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import answers_store, store_row

from trustexp import reference
from trustexp.chapters import conclusions as con
from trustexp.chapters.answers import Answer, Question, answers
from trustexp.config import AnalysisPlan
from trustexp.verdicts import Verdict

SIGN = {"gain": 1, "loss": -1, "equivalent": 0, "imprecise": 0}


def _answer(outcome: str, subject: str, code: str) -> Answer:
    reference_group = "non_participants" if subject == "participants" else "regulier"
    scale = "pp" if outcome.startswith("outflow") else "points"
    row = pd.Series(store_row(outcome, f"{subject} vs {reference_group}", "x", 1.0, -1.0, 3.0,
                              0.5, 200, scale))  # fmt: skip
    mde = 12.3 if subject == "eigen_regie" and outcome == "outflow_full" else None
    return Answer(
        Question(outcome, subject, reference_group), row, Verdict(code, SIGN[code]), 5.0, mde
    )


def _answers(
    er="imprecise", ins="imprecise", part="imprecise", wb_er="imprecise", wb_in="imprecise"
):
    return {
        "outflow_full_eigen_regie": _answer("outflow_full", "eigen_regie", er),
        "outflow_full_intensief": _answer("outflow_full", "intensief", ins),
        "outflow_full_participants": _answer("outflow_full", "participants", part),
        "wellbeing_eigen_regie": _answer("wellbeing", "eigen_regie", wb_er),
        "wellbeing_intensief": _answer("wellbeing", "intensief", wb_in),
    }


NO_HARM = (
    "Applying the obligations less strictly did not clearly lower outflow to work in the lottery"
)
OWN_VIEW = "Judge progress by the participants' own answers as well as the consultants' ratings"


def test_an_arm_loss_gives_the_do_not_roll_out_text() -> None:
    recs = con.recommendations(_answers(er="loss"))
    assert recs[0] == ("Do not roll out self-direction as it was tried: the lottery shows it lowered "
                       "outflow to work.")  # fmt: skip
    assert not any(r.startswith(("Consider", NO_HARM)) for r in recs)
    nl = con.recommendations(_answers(er="loss"), "nl")
    assert nl[0].startswith("Voer eigen regie niet in zoals die is uitgeprobeerd")


def test_an_arm_gain_gives_the_consider_text_and_both_can_appear() -> None:
    recs = con.recommendations(_answers(ins="gain"))
    assert recs[0].startswith("Consider making intensive support the usual way of working: the "
                              "lottery shows it raised outflow to work.")  # fmt: skip
    both = con.recommendations(_answers(er="loss", ins="gain"))
    assert both[0].startswith("Do not roll out self-direction") and both[1].startswith(
        "Consider making intensive support"
    )
    two = con.recommendations(_answers(er="gain", ins="gain"), "nl")
    assert two[0].startswith("Overweeg eigen regie en intensieve begeleiding de gewone manier")


@pytest.mark.parametrize("codes", [("imprecise", "imprecise"), ("equivalent", "imprecise"),
                                   ("equivalent", "equivalent")])  # fmt: skip
def test_neither_a_gain_nor_a_loss_gives_the_no_harm_text(codes) -> None:
    recs = con.recommendations(_answers(er=codes[0], ins=codes[1]))
    assert recs[0].startswith(NO_HARM) and "the data also allow a loss" in recs[0]
    assert not any(r.startswith(("Do not roll out", "Consider")) for r in recs)


def test_participation_wellbeing_own_view_and_next_experiment() -> None:
    recs = con.recommendations(_answers(part="gain", wb_in="gain"))
    assert recs[1].startswith(
        "Taking part went with more outflow to work than among comparable people"
    )
    assert recs[2] == ("Intensive support raised wellbeing in the lottery: worth keeping where "
                       "wellbeing is a goal in itself.")  # fmt: skip
    assert recs[3].startswith(OWN_VIEW)
    assert recs[4].startswith("A next experiment needs more people per group to tell effects of about "
                              "12.3 percentage points apart from chance")  # fmt: skip
    plain = con.recommendations(_answers())
    assert plain[1].startswith("Taking part did not clearly go with more outflow to work")
    assert len(plain) == 4 and not any("raised wellbeing" in r for r in plain)
    nl = con.recommendations(_answers(wb_er="gain"), "nl")
    assert nl[2].startswith("Eigen regie verhoogde het welbevinden bij de loting")
    assert "12,3 procentpunt" in nl[-1]


def test_recommendations_markdown_numbers_the_list() -> None:
    text = con.recommendations_markdown(_answers(er="loss"))
    lines = text.splitlines()
    assert lines[0].startswith("1. Do not roll out") and lines[-1].startswith(
        f"{len(lines)}. A next"
    )


def test_experiments_table_has_the_oss_rows_and_the_literature() -> None:
    table = con.experiments_table(answers(answers_store(), AnalysisPlan()))
    lit = [
        i for i in reference.published()["literature"] if "outflow" in i or "outflow_full_time" in i
    ]
    assert len(table) == 2 + len(lit)
    assert table.columns.tolist() == ["place", "participants", "groups",
                                      "headline result on outflow to work", "source"]  # fmt: skip
    assert table["place"].tolist() == [
        "Oss (published)",
        "Oss (this book)",
        *[i["place"] for i in lit],
    ]
    assert "Finland" not in table["place"].tolist()  # no outflow result published
    tilburg = table.set_index("place").loc["Tilburg"]
    assert tilburg["participants"] == "780" and tilburg["source"] == "tilburg_abstract"
    mine = table.iloc[1]["headline result on outflow to work"]
    assert mine == ("self-direction a clear gain; intensive support too imprecise to tell; taking part "
                    "+9.2 percentage points (95% CI [4.5, 14.0]) (a clear gain)")  # fmt: skip
    nl = con.experiments_table(answers(answers_store(), AnalysisPlan()), "nl")
    assert nl["gemeente"].tolist()[:2] == ["Oss (gepubliceerd)", "Oss (dit boek)"]


def test_limitation_texts_from_the_store() -> None:
    got = con.limitation_texts(answers_store(), answers(answers_store(), AnalysisPlan()), True)
    # response after two years: (0.5 + 0.6 + 0.7) x 100 / 300
    assert got["lim_response"] == "60.0%"
    assert (got["lim_mde_outflow"], got["lim_mde_wellbeing"]) == (
        "16.5 percentage points",
        "0.85 points",
    )
    assert "synthetic" in got["lim_data"]
    real = con.limitation_texts(
        answers_store(), answers(answers_store(), AnalysisPlan()), False, "nl"
    )
    assert "synthetisch" not in real["lim_data"] and real["lim_response"] == "60,0%"
    assert con.response_wave2(answers_store().iloc[:0]) is None
