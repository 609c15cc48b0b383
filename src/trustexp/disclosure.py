"""Statistical disclosure control: no table or chart shows a count below the threshold.

The data are personal data of people on social assistance. Counts of people below the threshold
(default 10, ``analysis.disclosure_threshold``) are replaced by ``"< 10"`` and shares computed on
fewer people are blanked, and the page says so. Every table passes through ``protect``.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


def suppressed_label(threshold: int) -> str:
    """The text shown instead of a small count."""
    return f"< {threshold}"


def protect(
    table: pd.DataFrame,
    count_columns: Iterable[str],
    threshold: int,
    dependent_columns: Iterable[str] = (),
) -> tuple[pd.DataFrame, int]:
    """Suppress small counts (and values computed from them) in a display table.

    Parameters
    ----------
    count_columns: columns holding counts of people; a value in ``1 .. threshold-1`` is suppressed
        (zero is not disclosive of a person and is kept).
    dependent_columns: columns whose value on the same row is derived from a suppressed count
        (a share, a mean); they are blanked on those rows.

    Returns the protected table (counts as strings) and the number of suppressed cells.
    """
    out = table.copy()
    small = pd.Series(False, index=out.index)
    n_cells = 0
    for col in count_columns:
        values = pd.to_numeric(out[col], errors="coerce")
        mask = values.between(1, threshold - 1)
        n_cells += int(mask.sum())
        small |= mask
        out[col] = [
            suppressed_label(threshold) if m else (f"{int(v):,}" if pd.notna(v) else "")
            for v, m in zip(values, mask, strict=True)
        ]
    for col in dependent_columns:
        out[col] = out[col].astype(object)
        out.loc[small, col] = "suppressed"
        n_cells += int(small.sum())
    return out, n_cells


def note(n_suppressed: int, threshold: int) -> str:
    """The sentence a page shows under a table in which cells were suppressed ('' if none)."""
    if n_suppressed == 0:
        return ""
    return (
        f"{n_suppressed} cell(s) based on fewer than {threshold} people are suppressed "
        "(disclosure control)."
    )


def count_text(n: int, threshold: int) -> str:
    """A count for prose: ``"1,234"``, or ``"< 10"`` when it would disclose a small group."""
    return suppressed_label(threshold) if 0 < n < threshold else f"{int(n):,}"
