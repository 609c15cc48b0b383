"""Summary sentences from the results store: numbers, Dutch notation and missing rows."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import store_row

from trustexp import fmt
from trustexp.chapters import summary
from trustexp.errors import InvalidData

_row = store_row


def store() -> pd.DataFrame:
    rows = [
        _row(
            "outflow_full",
            "eigen_regie vs regulier",
            "risk difference",
            1.04,
            -8.7,
            10.7,
            0.8,
            200,
            "pp",
        ),
        _row(
            "outflow_full",
            "intensief vs regulier",
            "risk difference",
            -2.0,
            -11.0,
            7.0,
            0.7,
            200,
            "pp",
        ),
        _row("wellbeing", "eigen_regie vs regulier", "ANCOVA", 0.123, -0.2, 0.45, 0.4, 120),
        _row("wellbeing", "intensief vs regulier", "ANCOVA", 0.6, 0.1, 1.1, 0.02, 118),
        _row(
            "outflow_full",
            "participants vs non_participants",
            "adjusted risk difference",
            9.25,
            4.5,
            14.0,
            0.001,
            2200,
            "pp",
        ),
        _row(
            "outflow_full",
            "participants level",
            "share (Wilson)",
            0.2234,
            0.18,
            0.27,
            None,
            300,
            "share",
        ),
        _row(
            "outflow_full",
            "non_participants level",
            "share (Wilson)",
            0.1066,
            0.09,
            0.12,
            None,
            1234,
            "share",
        ),
        *[
            _row("outflow_full", f"{a} level", "share (Wilson)", 0.22, 0.1, 0.3, None, 100, "share")
            for a in ("eigen_regie", "intensief", "regulier")
        ],
        _row(
            "spending",
            "participants level",
            "spending per participant",
            1591.4,
            1500,
            1700,
            None,
            300,
            "eur",
        ),
    ]
    return pd.DataFrame(rows)


def test_facts_carry_the_store_numbers_formatted_by_fmt() -> None:
    f = summary.summary_facts(store(), "en")
    assert f["n_participants"] == "300"
    assert f["n_non_participants"] == "1,234"
    assert f["outflow_vs_non"] == "+9.2 percentage points (95% CI [4.5, 14.0])"
    assert f["outflow_er"] == f"{fmt.pp(1.04, signed=True)} (95% CI [-8.7, 10.7])"
    assert f["wellbeing_er"] == "+0.12 points (95% CI [-0.20, 0.45])"
    assert f["outflow_share_participants"] == "22.3%"
    assert f["outflow_ratio"] == "2.1"  # 0.2234 / 0.1066 = 2.096
    assert f["spend_participant"] == "€1,591"


def test_dutch_facts_use_decimal_comma_and_procentpunt() -> None:
    f = summary.summary_facts(store(), "nl")
    assert f["outflow_vs_non"] == "+9,2 procentpunt (95%-BI [4,5; 14,0])"
    assert f["n_non_participants"] == "1.234"
    assert f["outflow_share_non"] == "10,7%"
    assert f["wellbeing_int"] == "+0,60 punt (95%-BI [0,10; 1,10])"
    assert f["spend_participant"] == "€ 1.591"


def test_missing_optional_rows_read_not_estimated() -> None:
    f_en, f_nl = summary.summary_facts(store(), "en"), summary.summary_facts(store(), "nl")
    assert f_en["contacts_er"] == "not estimated in this build"
    assert f_nl["wellbeing_change"] == "niet geschat in deze build"
    assert f_en["permutation_min_p"] == "not estimated in this build"


def test_missing_primary_row_is_an_error() -> None:
    s = store()
    with pytest.raises(InvalidData, match="intensief vs regulier"):
        summary.summary_facts(
            s[~((s["outcome"] == "wellbeing") & (s["contrast"] == "intensief vs regulier"))]
        )


def test_verdict_words_follow_the_confidence_intervals() -> None:
    v = summary.verdict_words(store(), "en")
    assert v["outflow_arms_verdict"] == "too small to tell apart from chance"
    assert v["wellbeing_arms_verdict"].startswith("a difference")  # intensief CI excludes 0


@pytest.mark.parametrize(
    "text, dutch",
    [("12,345.6", "12.345,6"), ("[0.10, 0.74]", "[0,10; 0,74]"), ("< 0.001", "< 0,001"),
     ("-4.1 percentage", "-4,1 percentage"), ("22.3%", "22,3%")],
)  # fmt: skip
def test_dutch_number_notation(text: str, dutch: str) -> None:
    assert fmt.nl(text) == dutch
