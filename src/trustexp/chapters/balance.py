"""Chapter 3, balance at the start: the balance table, its glued texts and store rows."""

from __future__ import annotations

import pandas as pd

from trustexp import disclosure, fmt
from trustexp.chapters.common import n_text
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
    }
