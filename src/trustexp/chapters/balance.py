"""Chapter 3, balance at the start: the balance table, its glued texts and store rows."""

from __future__ import annotations

import pandas as pd

from trustexp import disclosure, fmt
from trustexp.chapters.common import n_text
from trustexp.results import find_row
from trustexp.stats import cluster_robust as cr
from trustexp.stats.balance import BASELINE_ITEMS
from trustexp.vocab import (
    ARMS,
    CONTROL,
    SHARE_COVARIATES,
    SHARE_ITEMS,
    TREATED,
    between,
    contrast_label,
    covariate_label,
    group_label,
    in_sentence,
)


def baseline_rows(arm_table: pd.DataFrame) -> pd.DataFrame:
    """Results-store rows: baseline SMD of each questionnaire outcome, experimental arm vs control."""
    rows = []
    for r in arm_table[arm_table["covariate"].isin(BASELINE_ITEMS)].itertuples():
        for arm in TREATED:
            rows.append(dict(outcome=r.covariate, contrast=between(arm, CONTROL),
                             estimate=getattr(r, f"smd_{arm}"), ci_low=None, ci_high=None, p=None,
                             n=getattr(r, f"n_{arm}") + getattr(r, f"n_{CONTROL}"),
                             method="baseline SMD", scale="d"))  # fmt: skip
    return pd.DataFrame(rows)


def _value(covariate: str, x: float) -> str:
    share = covariate in SHARE_COVARIATES or covariate in SHARE_ITEMS
    return fmt.pct(x) if share else fmt.num(x)


def arm_balance_display(arm_table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """The balance table for readers: shares as percentages, scores with two decimals, SMDs.

    The n answering per arm is one column ``n per arm`` (arm 1 / arm 2 / control), small counts
    suppressed.
    """
    out = pd.DataFrame({"characteristic at the start": arm_table["covariate"].map(covariate_label)})
    for arm in ARMS:
        out[group_label(arm)] = [
            _value(c, m)
            for c, m in zip(arm_table["covariate"], arm_table[f"mean_{arm}"], strict=True)
        ]
    for arm in TREATED:
        out[f"SMD {contrast_label(between(arm, CONTROL))}"] = arm_table[f"smd_{arm}"].map(fmt.num)
    out["n per arm"] = [
        " / ".join(disclosure.count_text(int(r[f"n_{a}"]), threshold) for a in ARMS)
        for _, r in arm_table.iterrows()
    ]
    return out


def balance_texts(
    base: pd.DataFrame,
    arm_table: pd.DataFrame,
    smds: pd.DataFrame,
    n_non_participants: int,
    threshold: int,
) -> dict[str, str]:
    """Glue texts: n per arm and of non-participants, the largest SMDs and the health SMD."""
    arm_max = smds[smds["comparison"] != "participants"].loc[lambda s: s["smd"].abs().idxmax()]
    part_max = smds[smds["comparison"] == "participants"].loc[lambda s: s["smd"].abs().idxmax()]
    health = arm_table.set_index("covariate").loc["health"]
    return {
        "n_alloc_text": n_text(base.groupby("arm").size().to_dict(), threshold),
        "n_non": disclosure.count_text(int(n_non_participants), threshold),
        "max_arm_smd": fmt.num(arm_max["smd"]),
        "max_arm_label": covariate_label(arm_max["covariate"]).lower(),
        "max_part_smd": fmt.num(part_max["smd"]),
        "max_part_label": covariate_label(part_max["covariate"]).lower(),
        "health_smd_intensief": fmt.num(health["smd_intensief"]),
        "part_vs_arm": "more" if abs(part_max["smd"]) > abs(arm_max["smd"]) else "less",
    }


MATTERS = 0.25
"""Imbalance matters when adjusting moves an arm contrast by at least this share of the half-width
of its 95 % interval (about half a standard error): a shift of that size could change a verdict."""


def imbalance_rows(outflow_store: pd.DataFrame, outcome: str = "outflow_full") -> pd.DataFrame:
    """Per experimental arm: the unadjusted and covariate-adjusted contrast of the outflow chapter,
    the shift adjustment makes and whether it matters (``MATTERS``).

    Returns ``arm, unadjusted, adjusted, shift, half_width, share, matters`` (empty without rows).
    """
    rows = []
    for arm in TREATED:
        contrast = between(arm, CONTROL)
        raw = find_row(outflow_store, outcome, contrast, cr.METHODS["unadjusted"])
        adj = find_row(outflow_store, outcome, contrast, cr.METHODS["adjusted"])
        if raw is None or adj is None:
            continue
        half = (float(adj["ci_high"]) - float(adj["ci_low"])) / 2
        shift = float(adj["estimate"]) - float(raw["estimate"])
        share = abs(shift) / half if half > 0 else float("nan")
        rows.append(dict(arm=arm, unadjusted=float(raw["estimate"]), adjusted=float(adj["estimate"]),
                         shift=shift, half_width=half, share=share, matters=bool(share >= MATTERS)))  # fmt: skip
    return pd.DataFrame(rows)


def imbalance_texts(rows: pd.DataFrame) -> dict[str, str]:
    """Glue texts ``shift_<arm>`` and ``imbalance_verdict`` from ``imbalance_rows``."""
    out: dict[str, str] = {}
    for r in rows.itertuples():
        out[f"shift_{r.arm}"] = (
            f"from {fmt.pp(r.unadjusted, signed=True)} to {fmt.pp(r.adjusted, signed=True)} "
            f"(a shift of {fmt.num(r.shift, 1, signed=True)}, {fmt.pct(r.share, 0)} of the "
            "half-width of its 95% confidence interval)"
        )
    for arm in TREATED:
        out.setdefault(f"shift_{arm}", "not estimated (no outflow estimates in the results store)")
    mattering = rows[rows["matters"]] if len(rows) else rows
    if not len(rows):
        out["imbalance_verdict"] = (
            "cannot be judged here: the outflow chapter's estimates are missing"
        )
    elif len(mattering):
        names = " and ".join(in_sentence(group_label(a)) for a in mattering["arm"])
        out["imbalance_verdict"] = (
            f"the imbalance matters for {names}: adjusting moves the estimate by at least "
            f"{fmt.pct(MATTERS, 0)} of its interval's half-width, so the adjusted contrast (the "
            "primary one) is the one to read"
        )
    else:
        out["imbalance_verdict"] = (
            f"the imbalance does not matter for the verdicts: adjusting moves each estimate by less "
            f"than {fmt.pct(MATTERS, 0)} of its interval's half-width"
        )
    return out
