"""Power: the minimum detectable effect (MDE) of a two-group comparison at the achieved sample size.

Used by the questionnaire chapters (what the data could have detected) and by the robustness
chapter (power of the whole design). The standardised MDE comes from pingouin's t-test power
functions; converting it to points needs the outcome's SD and, for an ANCOVA that adjusts for the
baseline score, the baseline-follow-up correlation ``r`` (residual SD = SD * sqrt(1 - r^2)).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import pingouin as pg


class MDE(NamedTuple):
    """A minimum detectable effect: standardised (in SDs of the outcome) and in outcome points."""

    d: float
    points: float


def mde_d(n1: float, n2: float | None = None, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest Cohen's d a two-sided two-sample t-test detects with ``power`` (pingouin).

    ``n2=None`` means equal groups of ``n1``. Returns NaN when a group has fewer than 2 people.

    >>> round(mde_d(100), 3)
    0.398
    """

    n2 = n1 if n2 is None else n2
    if n1 < 2 or n2 < 2 or not (0 < alpha < 1) or not (0 < power < 1):
        return math.nan
    if n1 == n2:
        d = pg.power_ttest(d=None, n=n1, power=power, alpha=alpha, contrast="two-samples")
    else:
        d = pg.power_ttest2n(nx=n1, ny=n2, d=None, power=power, alpha=alpha)
    return float(d)


def mde(
    sd: float,
    n1: float,
    n2: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    r: float = 0.0,
) -> MDE:
    """Minimum detectable effect in SDs and in points for a two-group comparison.

    Parameters
    ----------
    sd: the outcome's standard deviation (points; for a share in percentage points, the SD of a 0/100
        variable).
    n1, n2: people per group (``n2=None``: equal groups).
    r: correlation of the baseline with the follow-up score when the analysis adjusts for the
        baseline (ANCOVA); 0 for a plain comparison of means.

    Returns ``MDE(d, points)`` where ``d`` is in SDs of the outcome (not of the residual), so
    ``points == d * sd``.

    >>> mde(sd=2.0, n1=100).points  # doctest: +ELLIPSIS
    0.79...
    """
    if not (-1 < r < 1):
        raise ValueError(f"r must be between -1 and 1, got {r}")
    d_resid = mde_d(n1, n2, alpha, power)
    d = d_resid * math.sqrt(1.0 - r**2)
    return MDE(d=d, points=d * sd)
