"""Coarsening helpers of ``trustexp.disclosure``: rounding, bands, and chart data."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from trustexp import disclosure


def test_round_count_rounds_halves_up_and_never_to_zero():
    assert [disclosure.round_count(n) for n in (0, 1, 2, 3, 12, 13, 2_202)] == [
        0,
        5,
        5,
        5,
        10,
        15,
        2_200,
    ]
    assert disclosure.round_count(2_205, 10) == 2_210


def test_count_band_uses_the_threshold_as_width_by_default():
    assert [disclosure.count_band(n, 10) for n in (0, 7, 10, 19, 20, 1_234)] == [
        "0",
        "< 10",
        "10–19",
        "10–19",
        "20–29",
        "1,230–1,239",
    ]


def test_coarsen_counts_suppresses_small_rounds_the_rest_and_says_so():
    table = pd.DataFrame({"arm": ["a", "b", "c"], "n": [4, 12, 2_201], "share": [0.1, 0.2, 0.3]})
    shown, k = disclosure.coarsen_counts(table, ["n"], 10, base=5, dependent_columns=["share"])
    assert shown["n"].tolist() == ["< 10", "10", "2,200"]
    assert shown.loc[0, "share"] == "suppressed" and shown.loc[1, "share"] == 0.2
    assert k == 2
    assert "rounded to a multiple of 5" in disclosure.coarsen_note(k, 10)
    assert "fewer than 10 people" in disclosure.coarsen_note(k, 10)


@given(
    st.lists(st.integers(0, 5_000), min_size=1, max_size=25), st.integers(2, 30), st.integers(1, 20)
)
def test_coarsened_counts_are_multiples_of_the_base_and_never_small(counts, threshold, base):
    shown, _ = disclosure.coarsen_counts(pd.DataFrame({"n": counts}), ["n"], threshold, base)
    for raw, text in zip(counts, shown["n"], strict=True):
        if text.startswith("<"):
            assert 0 < raw < threshold
            continue
        value = int(text.replace(",", ""))
        assert value % base == 0
        assert abs(value - raw) <= base / 2 or (raw < base and value == base)
        assert value == 0 or raw >= threshold


def test_suppress_for_chart_blanks_small_rows_and_keeps_numbers_numeric():
    frame = pd.DataFrame({"group": ["a", "b"], "n": [3, 40], "share": [0.5, 0.25]})
    out, k = disclosure.suppress_for_chart(frame, "n", 10, ["share"])
    assert k == 1
    assert out["n"].isna().tolist() == [True, False] and out["share"].tolist()[1] == 0.25
    assert pd.api.types.is_float_dtype(out["share"])
