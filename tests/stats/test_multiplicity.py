"""Holm's adjustment against statsmodels (the independent computation), ties and edges included."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from trustexp.stats.multiplicity import holm

P = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@given(
    st.lists(st.one_of(P, st.sampled_from([0.0, 0.01, 0.05, 0.5, 1.0])), min_size=1, max_size=40)
)
def test_holm_equals_statsmodels_exactly(pvals):
    expected = multipletests(np.array(pvals), method="holm")[1]
    assert np.array_equal(holm(pvals), expected)


def test_holm_textbook_example():
    # Holm (1979) step-down: 0.01 x 4, then max(previous, 0.02 x 3), ...
    assert holm([0.01, 0.02, 0.03, 0.04]).tolist() == [0.04, 0.06, 0.06, 0.06]
    assert holm([]).tolist() == []
