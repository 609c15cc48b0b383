"""Summary pages from the results store: numbers, Dutch notation, headline and meaning texts."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import answers_store, store_row

from trustexp import fmt
from trustexp.chapters import summary
from trustexp.chapters.answers import Answer, Question, answers
from trustexp.config import AnalysisPlan
from trustexp.errors import InvalidData
from trustexp.verdicts import Verdict

PLAN = AnalysisPlan()


def _facts(store: pd.DataFrame, lang: str = "en") -> dict[str, str]:
    return summary.summary_facts(store, answers(store, PLAN), PLAN, lang)


def test_facts_carry_the_store_numbers_formatted_by_fmt() -> None:
    f = _facts(answers_store())
    assert f["n_participants"] == "300"  # three arms of 100
    assert f["n_arms"] == "self-direction 100, intensive support 100, regular service 100"
    assert f["n_non_participants"] == "1,234"
    assert f["outflow_share_participants"] == "22.3%" and f["outflow_share_non"] == "10.7%"
    assert f["outflow_ratio"] == "2.1"  # 0.2234 / 0.1066 = 2.096
    assert (
        f["wellbeing_change"]
        == "self-direction +0.50; intensive support -0.25; regular service not estimated"
    )
    assert f["unconfirmed"] == "1 of the 2"  # health (unclear) and financial strain (clear)
    assert f["plan_clear"] == "2 of the 3"  # adjusted p 0.02, 0.6 and 0.04
    assert f["consultant_gap"] == "+1.20 points (95% CI [0.80, 1.60])"
    assert f["spend_participant"] == "EUR 1,591" and f["cost_per_exit"] == "EUR 27,000"
    assert f["coverage_range"] == "93.5% to 96.0%"
    # the answers' glue texts are part of the facts
    assert f["fig_outflow_full_eigen_regie"] == f"{fmt.pp(8.0, signed=True)} (95% CI [2.0, 14.0])"
    assert f["verdict_outflow_full_intensief"] == "too imprecise to tell"


def test_dutch_facts_use_decimal_comma_and_procentpunt() -> None:
    f = _facts(answers_store(), "nl")
    assert f["n_non_participants"] == "1.234" and f["outflow_share_non"] == "10,7%"
    assert (
        f["n_arms"] == "eigen regie 100, intensieve begeleiding 100, reguliere dienstverlening 100"
    )
    assert (
        f["wellbeing_change"]
        == "eigen regie +0,50; intensieve begeleiding -0,25; reguliere dienstverlening niet geschat"
    )
    assert f["unconfirmed"] == "1 van de 2" and f["outflow_ratio"] == "2,1"
    assert f["consultant_gap"] == "+1,20 punt (95%-BI [0,80; 1,60])"
    assert f["spend_participant"] == "EUR 1.591" and f["coverage_range"] == "93,5% tot 96,0%"
    assert f["fig_outflow_full_participants"] == "+9,2 procentpunt (95%-BI [4,5; 14,0])"


def test_missing_optional_rows_read_not_estimated() -> None:
    s = answers_store()
    s = s[
        ~s["outcome"].isin(["spending", "response"])
        & ~s["method"].str.contains("simulation|\\(adjusted\\)$")
    ]
    s = s[s["contrast"] != "consultant vs participant"]
    for lang, word in (("en", "not estimated"), ("nl", "niet geschat")):
        f = _facts(s, lang)
        for key in (
            "spend_participant",
            "cost_per_exit",
            "coverage_range",
            "plan_clear",
            "consultant_gap",
        ):
            assert f[key] == word, key
    no_levels = _facts(answers_store()[lambda d: ~d["contrast"].str.endswith("level")])
    assert no_levels["n_participants"] == no_levels["outflow_ratio"] == "not estimated"


def test_missing_primary_row_is_an_error() -> None:
    s = answers_store()
    s = s[~((s["outcome"] == "ladder_self") & (s["contrast"] == "intensief vs regulier"))]
    with pytest.raises(InvalidData, match="lacks estimates the analysis plan tests") as err:
        _facts(s)
    assert err.value.violations == [
        "outcome 'ladder_self', contrast 'intensief vs regulier', method 'ANCOVA (baseline score)'"
    ]


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_headline_texts_say_synthetic_only_on_synthetic_data(lang) -> None:
    all_answers = answers(answers_store(), PLAN)
    facts = _facts(answers_store(), lang)
    synthetic = summary.headline_texts(all_answers, facts, 2017, True, lang)
    real = summary.headline_texts(all_answers, facts, 2017, False, lang)
    assert set(synthetic) == set(real) == {"head_tested", "head_lottery", "head_sure",
                                           "head_participation", "head_source", "head_machine"}  # fmt: skip
    assert "synthet" in synthetic["head_source"]
    assert not any("synthet" in t.lower() for t in real.values())
    assert "2017" in real["head_tested"] and "300" in real["head_tested"]
    sure = {"en": "16.5 percentage points", "nl": "16,5 procentpunt"}[lang]
    assert sure in real["head_sure"]


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_head_sure_reads_without_a_minimum_detectable_effect(lang) -> None:
    store = answers_store()
    store = store[~store["method"].astype(str).str.startswith("MDE")]
    texts = summary.headline_texts(answers(store, PLAN), _facts(store, lang), 2017, False, lang)
    assert "n/a" not in texts["head_sure"]
    assert {"en": "robustness chapter", "nl": "Robuustheid"}[lang] in texts["head_sure"]


def test_headline_lottery_sentence_follows_the_answers() -> None:
    all_answers = answers(answers_store(), PLAN)
    texts = summary.headline_texts(all_answers, _facts(answers_store()), 2017, False)
    er, ins = all_answers["outflow_full_eigen_regie"], all_answers["outflow_full_intensief"]
    assert texts["head_lottery"] == (
        f"What the lottery shows: self-direction raised outflow to full-time work compared with "
        f"regular service: +8.0 percentage points (95% CI [2.0, 14.0]), a clear gain. {ins.sentence()}"
    )
    assert er.sentence().startswith("Self-direction raised")
    assert texts["head_participation"].startswith(
        "Without a lottery, and so less certain: taking part raised outflow to full-time work"
    )


def _outflow_answers(er: str, ins: str, part: str) -> dict[str, Answer]:
    sign = {"gain": 1, "loss": -1, "imprecise": 0, "equivalent": 0}
    out = {}
    for subject, code in (("eigen_regie", er), ("intensief", ins), ("participants", part)):
        ref = "non_participants" if subject == "participants" else "regulier"
        row = pd.Series(
            store_row("outflow_full", f"{subject} vs {ref}", "x", 1.0, 0.5, 1.5, 0.01, 200, "pp")
        )
        out[f"outflow_full_{subject}"] = Answer(Question("outflow_full", subject, ref), row,
                                                Verdict(code, sign[code]), 5.0, None)  # fmt: skip
    return out


@pytest.mark.parametrize(
    ("codes", "start", "hawthorne"),
    [
        (
            ("imprecise", "equivalent", "gain"),
            "Participants left benefit for work more often",
            True,
        ),
        (
            ("gain", "imprecise", "gain"),
            "The lottery shows that the way of working mattered",
            False,
        ),
        (
            ("imprecise", "loss", "gain"),
            "The lottery shows that the way of working mattered",
            False,
        ),
        (("imprecise", "imprecise", "imprecise"), "Neither the lottery nor the comparison", False),
        (
            ("equivalent", "equivalent", "loss"),
            "Participants left benefit for work less often",
            False,
        ),
        (
            ("equivalent", "equivalent", "equivalent"),
            "Neither the lottery nor the comparison",
            False,
        ),
    ],
)
def test_meaning_text_picks_the_hawthorne_reading_only_when_it_fits(
    codes, start, hawthorne
) -> None:
    """Hawthorne only with a clear gain of taking part and no clear arm difference."""
    text = summary.meaning_text(_outflow_answers(*codes))
    assert text.startswith(start)
    assert ("the pattern the evaluators read as a Hawthorne effect" in text) == hawthorne


def test_meaning_text_says_what_equivalence_rules_out() -> None:
    both = summary.meaning_text(_outflow_answers("equivalent", "equivalent", "equivalent"))
    assert "no difference larger than 5.0 percentage points" in both
    assert "Both ways of working stayed within the declared margin" in both
    assert "too small" not in both
    open_arms = summary.meaning_text(_outflow_answers("imprecise", "equivalent", "imprecise"), "nl")
    assert "te klein" in open_arms and "geen verschil groter" not in open_arms


def test_meaning_text_names_the_clear_arms_and_their_direction() -> None:
    text = summary.meaning_text(_outflow_answers("gain", "loss", "imprecise"))
    assert "self-direction raised it and intensive support lowered it" in text
    nl = summary.meaning_text(_outflow_answers("imprecise", "imprecise", "gain"), "nl")
    assert nl.startswith("Deelnemers stroomden vaker uit naar werk") and "Hawthorne-effect" in nl


def test_count_and_share_texts_and_missing_chapters() -> None:
    assert (
        summary.count_text(1234.0, "nl") == "1.234" and summary.count_text(None) == "not estimated"
    )
    assert summary.share_text(None, "nl") == "niet geschat"
    assert summary.missing_texts([])["missing_note"] == "Every chapter's results were read."
    assert summary.missing_texts(["outflow"], "nl")["missing_note"].startswith(
        "Resultaten die ontbreken: outflow"
    )


@pytest.mark.parametrize(
    "text, dutch",
    [("12,345.6", "12.345,6"), ("[0.10, 0.74]", "[0,10; 0,74]"), ("< 0.001", "< 0,001"),
     ("-4.1 percentage", "-4,1 percentage"), ("22.3%", "22,3%")],
)  # fmt: skip
def test_dutch_number_notation(text: str, dutch: str) -> None:
    assert fmt.nl(text) == dutch


def test_headline_group_size_follows_the_store() -> None:
    s = answers_store()
    level = s["contrast"].isin([f"{a} level" for a in ("eigen_regie", "intensief", "regulier")])
    s.loc[level & (s["outcome"] == "outflow_full"), "n"] = 40
    all_answers = answers(s, PLAN)
    texts = summary.headline_texts(all_answers, _facts(s), 2017, False)
    assert "hundred" not in texts["head_sure"]
