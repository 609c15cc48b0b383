"""Property tests: the generator is valid for any seed and size; loaders raise only InvalidData."""

from __future__ import annotations

import pandas as pd
from conftest import make_params
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rawfiles import write_csv

from trustexp.data import codebook
from trustexp.data.load import load_raw
from trustexp.data.schema import validate_cohort
from trustexp.data.synthetic import generate
from trustexp.errors import InvalidData


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(30, 90), n_non=st.integers(30, 60))
def test_generator_is_valid_for_any_seed_and_size(seed, n, n_non):
    cohort = generate(
        make_params(
            seed=seed,
            cohort={
                "n_participants": n,
                "n_non_participants": n_non,
                "months_before": 1,
                "follow_up_months": 6,
            },
        )
    )
    validate_cohort(cohort)
    counts = cohort.participants["arm"].value_counts()
    assert counts.sum() == n and counts.max() - counts.min() <= 1


_BASE = generate(
    make_params(
        seed=5,
        cohort={
            "n_participants": 30,
            "n_non_participants": 30,
            "months_before": 1,
            "follow_up_months": 6,
        },
    )
)
_CELLS = st.one_of(
    st.text(max_size=12),
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(
        ["", "ja", "nee", "3", "2017-04-01", "31-02-2017", "eigen regie", ";", '"', "NaN"]
    ),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    table=st.sampled_from(codebook.TABLES),
    column_pick=st.integers(0, 50),
    row_pick=st.integers(0, 10_000),
    value=_CELLS,
)
# found by hypothesis: 2**63 in a whole-number column overflowed int64 (TypeError, not InvalidData)
@example(table="survey", column_pick=1, row_pick=0, value="9.223372036854775e+18")
def test_load_raw_raises_nothing_but_invalid_data(
    tmp_path_factory, table, column_pick, row_pick, value
):
    folder = write_csv(_BASE, tmp_path_factory.mktemp("raw"))
    path = folder / f"{table}.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    column = df.columns[column_pick % len(df.columns)]
    df.loc[row_pick % len(df), column] = value
    df.to_csv(path, index=False)
    try:
        load_raw(folder)
    except InvalidData:
        pass
