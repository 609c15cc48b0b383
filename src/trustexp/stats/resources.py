"""Resources: spending of the participation budget per arm and instrument, and between the arms.

Spending is summed per person over the whole experiment (all years in the ``spending`` table);
participants without spending count as zero. Uncertainty comes from a nonparametric bootstrap that
resamples people within each group (percentile intervals, seeded, vectorised).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from trustexp.vocab import ARMS

ALL = "all instruments"


def person_spending(
    spending: pd.DataFrame, participants: pd.DataFrame, instruments: list[str] | None = None
) -> pd.DataFrame:
    """One row per participant: ``person_id, arm`` and euros per instrument over the experiment.

    ``instruments`` fixes the columns (e.g. the codebook levels, so unused instruments show as
    zero); by default the instruments seen in ``spending``. Spending of people who are not
    participants is ignored.

    >>> person_spending(cohort.spending, cohort.participants).head()  # doctest: +SKIP
    """
    inst = (
        list(instruments)
        if instruments is not None
        else sorted(spending["instrument"].astype(str).unique())
    )
    sums = (
        spending.assign(instrument=spending["instrument"].astype(str))
        .groupby(["person_id", "instrument"], observed=True)["amount_eur"]
        .sum()
        .unstack("instrument")
        .reindex(columns=inst)
    )
    base = participants[["person_id", "arm"]].assign(arm=participants["arm"].astype(str))
    base = base.assign(person_id=base["person_id"].astype(str))
    sums.index = sums.index.astype(str)
    out = base.merge(sums, left_on="person_id", right_index=True, how="left")
    out[inst] = out[inst].fillna(0.0).astype(float)
    return out.reset_index(drop=True)


def _resample_means(x: np.ndarray, n_bootstrap: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap means of the rows of ``x`` (people x columns): returns (n_bootstrap, columns)."""
    idx = rng.integers(0, len(x), size=(n_bootstrap, len(x)))
    return x[idx].mean(axis=1)


def spending_by_arm_instrument(
    per_person: pd.DataFrame, n_bootstrap: int, seed: int, alpha: float = 0.05
) -> pd.DataFrame:
    """Spending per arm and instrument: users, total, euros per participant and share of the budget.

    Per participant = total / participants in the arm (zeros included); share = the instrument's
    part of the arm's total. Both with bootstrap percentile CIs (people resampled within the arm).
    Rows with instrument ``"all instruments"`` give the arm's total; rows with arm
    ``"participants"`` all arms together. Returns ``arm, instrument, n,
    users, total_eur, per_participant, per_participant_low, per_participant_high, share,
    share_low, share_high``.

    >>> spending_by_arm_instrument(person_spending(sp, parts), 2000, seed=1)  # doctest: +SKIP
    """
    rng = np.random.default_rng(seed)
    inst = [c for c in per_person.columns if c not in ("person_id", "arm")]
    q = [100 * alpha / 2, 100 * (1 - alpha / 2)]
    rows: list[dict[str, Any]] = []
    groups = [a for a in ARMS if a in set(per_person["arm"])] + ["participants"]
    for arm in groups:
        sel = per_person["arm"] == arm if arm != "participants" else per_person["arm"].notna()
        x = per_person.loc[sel, inst].to_numpy(float)
        if len(x) == 0:
            continue
        x = np.column_stack([x, x.sum(axis=1)])
        boot = _resample_means(x, n_bootstrap, rng)
        tot = boot[:, -1:]
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = np.where(tot > 0, boot / tot, np.nan)
        arm_total = x[:, -1].sum()
        for j, name in enumerate([*inst, ALL]):
            col = x[:, j]
            lo, hi = np.percentile(boot[:, j], q)
            s_lo, s_hi = (np.nanpercentile(shares[:, j], q) if np.isfinite(shares[:, j]).any()
                          else (np.nan, np.nan))  # fmt: skip
            rows.append(dict(
                arm=arm, instrument=name, n=len(col), users=int((col > 0).sum()),
                total_eur=float(col.sum()), per_participant=float(col.mean()),
                per_participant_low=float(lo), per_participant_high=float(hi),
                share=float(col.sum() / arm_total) if arm_total > 0 else np.nan,
                share_low=float(s_lo), share_high=float(s_hi),
            ))  # fmt: skip
    return pd.DataFrame(rows)


def spending_difference(
    per_person: pd.DataFrame, n_bootstrap: int, seed: int, alpha: float = 0.05
) -> pd.DataFrame:
    """Difference in euros per participant, each experimental arm minus regular service.

    CI: bootstrap percentile (people resampled within arm); p: Welch t-test (scipy), shown for
    orientation (spending is skewed; the bootstrap CI is the primary uncertainty). Returns
    ``arm, n, estimate, ci_low, ci_high, p``.
    """

    rng = np.random.default_rng(seed)
    inst = [c for c in per_person.columns if c not in ("person_id", "arm")]
    total = per_person[inst].sum(axis=1).to_numpy(float)
    arm = per_person["arm"].to_numpy()
    if not (arm == "regulier").any():
        return pd.DataFrame(columns=["arm", "n", "estimate", "ci_low", "ci_high", "p"])
    ref = total[arm == "regulier"]
    b_ref = _resample_means(ref[:, None], n_bootstrap, rng)[:, 0]
    rows = []
    for a in [a for a in ARMS if a != "regulier" and (arm == a).any()]:
        x = total[arm == a]
        b = _resample_means(x[:, None], n_bootstrap, rng)[:, 0] - b_ref
        lo, hi = np.percentile(b, [100 * alpha / 2, 100 * (1 - alpha / 2)])
        spread = len(x) > 1 and len(ref) > 1 and (np.ptp(x) > 0 or np.ptp(ref) > 0)
        p = stats.ttest_ind(x, ref, equal_var=False).pvalue if spread else np.nan
        rows.append(dict(arm=a, n=len(x) + len(ref), estimate=float(x.mean() - ref.mean()),
                         ci_low=float(lo), ci_high=float(hi), p=float(p)))  # fmt: skip
    return pd.DataFrame(rows)
