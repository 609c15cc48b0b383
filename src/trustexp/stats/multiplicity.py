"""Holm's step-down adjustment of p-values.

Written out (four lines) rather than called from ``statsmodels.stats.multitest.multipletests``:
its Holm branch runs a full ``gc.collect()`` on every call, which in a chapter's kernel (a heap of
fitted models and charts) cost 0.25-0.4 s per call and about 2 s of the other-outcomes chapter.
The arithmetic is the same as statsmodels' (sorted, times n, n-1, ..., 1, running maximum, capped
at 1), and ``tests/stats/test_multiplicity.py`` checks it against statsmodels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def holm(pvals: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values, in the order given.

    >>> holm([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(pvals, float)
    order = np.argsort(p)
    adjusted = np.maximum.accumulate(p[order] * np.arange(len(p), 0, -1))
    adjusted[adjusted > 1] = 1
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return out


__all__ = ["holm"]
