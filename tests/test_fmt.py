import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustexp import fmt


def test_percentages_and_points_have_one_decimal():
    assert fmt.pct(0.1234) == "12.3%"
    assert fmt.pp(9.04) == "9.0 percentage points"
    assert fmt.pp(2.0, signed=True) == "+2.0 percentage points"


def test_pvalues_follow_the_house_style():
    assert fmt.pval(0.0342) == "0.034"
    assert fmt.pval(0.0004) == "< 0.001"
    assert fmt.pval(float("nan")) == "n/a"


def test_counts_have_thousands_separators():
    assert fmt.count(12345) == "12,345"


def test_ci_formats_by_scale():
    assert fmt.ci(0.1, 0.25, scale="pct") == "[10.0%, 25.0%]"
    assert fmt.ci(-1.234, 5.678, scale="pp") == "[-1.2, 5.7]"
    assert fmt.ci(-0.004, 0.5) == "[0.00, 0.50]"
    assert fmt.estimate_with_ci(0.42, 0.1, 0.74) == "0.42 (95% CI [0.10, 0.74])"


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_num_round_trips_to_two_decimals(x):
    out = fmt.num(x)
    assert math.isclose(float(out), round(x, 2), abs_tol=0.0051)
    assert not out.startswith("-0.00")


@pytest.mark.parametrize("f", [fmt.pct, fmt.pp, fmt.num, fmt.pval, fmt.count])
def test_missing_values_say_na(f):
    assert f(None) == "n/a"
