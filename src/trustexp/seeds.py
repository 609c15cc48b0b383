"""The search for the default seed, reproducible: which seeds' cohorts land in the published band.

The default parameter set's seed was picked among ``report.calibration.SEED_SEARCH`` (first to last)
because its cohort lands in the published band: each arm's raw gap in outflow to full-time work
against the non-participants within the published range (9 to 13 percentage points). ``seed_search``
redraws every seed of that range from the generator's arrays (``data.synthetic.draw_municipal``,
the same draws as ``generate``) and says which land, so the count and the choice can be checked;
``trustexp seeds`` prints it and the calibration page quotes it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustexp.config import Params, params_from_dict
from trustexp.data.synthetic import draw_municipal
from trustexp.reference import oss
from trustexp.vocab import ARMS


def _with_seed(params: Params, seed: int) -> Params:
    raw = params.model_dump(mode="json")
    raw["seed"] = int(seed)
    raw["data"] = {"source": "synthetic", "raw_dir": raw["data"]["raw_dir"]}
    raw["cohort"]["comparison"] = "municipal"
    return params_from_dict(raw, "<seed search>")


def seed_gaps(params: Params) -> dict[str, float]:
    """Each arm's raw gap in outflow to full-time work against the non-participants, in pp."""
    dr = draw_municipal(params, with_non_participants=True)
    window = params.analysis.outflow_window_months
    full_p = (dr.exit_k >= 1) & (dr.exit_k <= window) & (dr.reason == 0)
    full_n = (dr.exit_n >= 1) & (dr.exit_n <= window) & (dr.reason_n == 0)
    base = float(full_n.mean())
    return {a: 100 * (float(full_p[dr.arm_idx == i].mean()) - base) for i, a in enumerate(ARMS)}


def seed_search(params: Params, first: int, last: int) -> pd.DataFrame:
    """One row per seed from ``first`` to ``last``: ``seed``, ``gap_<arm>`` (pp) and ``lands``.

    ``lands``: every arm's gap lies within the published band
    (``outflow.difference_vs_non_participants_pp``), the criterion the default seed was chosen by.

    >>> seed_search(load_params(), 20170401, 20170550)["lands"].sum()  # doctest: +SKIP
    """
    lo, hi = oss("outflow", "difference_vs_non_participants_pp", "value")
    rows = []
    for seed in range(int(first), int(last) + 1):
        gaps = seed_gaps(_with_seed(params, seed))
        rows.append({"seed": seed, **{f"gap_{a}": g for a, g in gaps.items()},
                     "lands": all(lo <= g <= hi for g in gaps.values())})  # fmt: skip
    return pd.DataFrame(rows)


def search_summary(found: pd.DataFrame, chosen: int) -> dict[str, int | bool]:
    """``n_seeds``, ``n_landed``, and whether ``chosen`` is in the range and whether it landed."""
    landed = found[found["lands"]]
    return {
        "n_seeds": len(found),
        "n_landed": len(landed),
        "chosen_in_range": bool((found["seed"] == chosen).any()),
        "chosen_lands": bool(np.asarray(landed["seed"] == chosen).any()),
    }
