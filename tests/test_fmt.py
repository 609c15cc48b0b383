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


def test_p_is_puts_the_symbol_before_the_value():
    assert fmt.p_is(0.0342) == "p = 0.034"
    assert fmt.p_is(0.0004) == "p < 0.001"
    assert fmt.p_is(0.001) == "p = 0.001"
    assert fmt.p_is(1.0) == "p = 1.000"
    assert fmt.p_is(None) == "p = n/a"


@pytest.mark.parametrize("x", [-0.0, -0.04, -0.049999, -1e-12])
def test_points_and_intervals_never_print_minus_zero(x):
    assert fmt.pp(x) == "0.0 percentage points"
    assert fmt.pp(x, signed=True) == "0.0 percentage points"
    assert fmt.ci(x, x, scale="pp") == "[0.0, 0.0]"
    assert fmt.ci(x / 100, 0.5, scale="pct") == "[0.0%, 50.0%]"
    assert fmt.ci(x / 10, x / 10) == "[0.00, 0.00]"


@given(st.floats(min_value=-1e4, max_value=1e4, allow_nan=False), st.booleans())
def test_pp_and_ci_never_start_a_number_with_minus_zero(x, signed):
    text = fmt.pp(x, signed=signed) + " " + fmt.ci(x, -x, scale="pp") + fmt.ci(x, x)
    assert "-0.0 " not in text and "[-0.0," not in text and "-0.0]" not in text
    assert "-0.00," not in text and "-0.00]" not in text
    assert float(fmt.pp(x).split()[0]) == pytest.approx(x, abs=0.0501)
