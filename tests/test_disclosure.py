import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from trustexp import disclosure


def test_small_counts_and_their_shares_are_suppressed():
    table = pd.DataFrame({"group": ["a", "b", "c"], "n": [3, 0, 25], "share": [0.5, 0.0, 0.2]})
    out, k = disclosure.protect(table, ["n"], 10, dependent_columns=["share"])
    assert out["n"].tolist() == ["< 10", "0", "25"]
    assert out.loc[0, "share"] == "suppressed"
    assert out.loc[2, "share"] == 0.2
    assert k == 2
    assert "2 cell(s)" in disclosure.note(k, 10)


@given(
    st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=30), st.integers(2, 50)
)
def test_no_count_below_threshold_survives(counts, threshold):
    out, _ = disclosure.protect(pd.DataFrame({"n": counts}), ["n"], threshold)
    for shown in out["n"]:
        if shown.startswith("<"):
            continue
        value = int(shown.replace(",", ""))
        assert value == 0 or value >= threshold


def test_count_text_for_prose():
    assert disclosure.count_text(7, 10) == "< 10"
    assert disclosure.count_text(1234, 10) == "1,234"
