"""Chapter 3 (balance): how much adjusting moves the lottery contrasts, and whether it matters."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from conftest import store_row

from trustexp.chapters import balance as show

ADJ, RAW = "difference (covariate-adjusted)", "difference (unadjusted)"


def _store(
    er_raw=4.0, er_adj=(6.0, -2.0, 14.0), in_raw=1.0, in_adj=(1.5, -6.5, 9.5)
) -> pd.DataFrame:
    rows = [
        store_row("outflow_full", "eigen_regie vs regulier", RAW, er_raw, er_raw - 9, er_raw + 9, 0.3, 200, "pp"),
        store_row("outflow_full", "eigen_regie vs regulier", ADJ, *er_adj, 0.2, 200, "pp"),
        store_row("outflow_full", "intensief vs regulier", RAW, in_raw, in_raw - 9, in_raw + 9, 0.8, 200, "pp"),
        store_row("outflow_full", "intensief vs regulier", ADJ, *in_adj, 0.7, 200, "pp"),
        store_row("outflow_any", "intensief vs regulier", ADJ, 30.0, 20.0, 40.0, 0.01, 200, "pp"),
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_imbalance_rows_hand_values() -> None:
    rows = show.imbalance_rows(_store()).set_index("arm")
    er, it = rows.loc["eigen_regie"], rows.loc["intensief"]
    # self-direction: 4 -> 6, half-width (14 - -2) / 2 = 8, share 2 / 8 = 0.25: matters (at the cut)
    assert (er["unadjusted"], er["adjusted"], er["shift"], er["half_width"]) == (4.0, 6.0, 2.0, 8.0)
    assert er["share"] == pytest.approx(0.25) and bool(er["matters"])
    # intensive support: 1 -> 1.5, half-width 8, share 0.0625: does not matter
    assert it["share"] == pytest.approx(0.5 / 8) and not bool(it["matters"])
    assert show.MATTERS == 0.25


def test_imbalance_rows_need_both_rows_and_a_positive_width() -> None:
    no_raw = _store()[
        lambda s: ~((s["contrast"] == "eigen_regie vs regulier") & (s["method"] == RAW))
    ]
    assert show.imbalance_rows(no_raw)["arm"].tolist() == ["intensief"]
    assert show.imbalance_rows(_store().iloc[:0]).empty
    flat = show.imbalance_rows(_store(er_adj=(6.0, 6.0, 6.0))).set_index("arm").loc["eigen_regie"]
    assert math.isnan(flat["share"]) and not bool(flat["matters"])


def test_imbalance_texts_say_which_arm_it_matters_for() -> None:
    texts = show.imbalance_texts(show.imbalance_rows(_store()))
    assert texts["shift_eigen_regie"] == (
        "from +4.0 percentage points to +6.0 percentage points (a shift of +2.0, 25% of the "
        "half-width of its 95% confidence interval)"
    )
    assert texts["shift_intensief"].startswith(
        "from +1.0 percentage points to +1.5 percentage points"
    )
    assert texts["imbalance_verdict"].startswith(
        "the imbalance matters for self-direction: adjusting"
    )
    both = show.imbalance_texts(show.imbalance_rows(_store(in_raw=-1.5)))  # shift 3 of 8
    assert both["imbalance_verdict"].startswith(
        "the imbalance matters for self-direction and intensive support"
    )
    small = show.imbalance_texts(show.imbalance_rows(_store(er_raw=5.0)))  # shift 1 of 8
    assert small["imbalance_verdict"].startswith("the imbalance does not matter for the verdicts")
    none = show.imbalance_texts(show.imbalance_rows(_store().iloc[:0]))
    assert (
        none["imbalance_verdict"]
        == "cannot be judged here: the outflow chapter's estimates are missing"
    )
    assert none["shift_eigen_regie"] == "not estimated (no outflow estimates in the results store)"
