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


def round_count(n: int, base: int = 5) -> int:
    """Round a count to the nearest multiple of ``base`` (halves up), never below ``base``.

    >>> round_count(12), round_count(13), round_count(2_201, 10)
    (10, 15, 2200)
    """
    if base < 1:
        raise ValueError(f"base must be at least 1, got {base}")
    return max(base, base * ((int(n) + base // 2) // base)) if n > 0 else 0


def count_band(n: int, threshold: int, width: int | None = None) -> str:
    """A count as a band of ``width`` (default: the threshold): ``"< 10"``, ``"10–19"``, ``"20–29"``."""
    width = width or threshold
    if n <= 0:
        return "0"
    if n < threshold:
        return suppressed_label(threshold)
    low = threshold + ((int(n) - threshold) // width) * width
    return f"{low:,}–{low + width - 1:,}"


def coarsen_counts(
    table: pd.DataFrame,
    count_columns: Iterable[str],
    threshold: int,
    base: int = 5,
    dependent_columns: Iterable[str] = (),
) -> tuple[pd.DataFrame, int]:
    """Suppress counts below the threshold and round the others to a multiple of ``base``.

    For tables whose exact counts would let a reader subtract one cell from a total to recover a
    suppressed one. Like ``protect``, counts become strings and ``dependent_columns`` are blanked
    on rows with a suppressed count. Returns the table and the number of suppressed cells (the
    page says so with ``coarsen_note``).
    """
    count_columns = list(count_columns)
    out, n_suppressed = protect(table, count_columns, threshold, dependent_columns)
    for col in count_columns:
        values = pd.to_numeric(table[col], errors="coerce")
        out[col] = [
            f"{round_count(int(v), base):,}" if pd.notna(v) and v >= threshold else shown
            for v, shown in zip(values, out[col], strict=True)
        ]
    return out, n_suppressed


def coarsen_note(n_suppressed: int, threshold: int, base: int = 5) -> str:
    """The sentence a page shows under a table coarsened with ``coarsen_counts``."""
    text = f"Counts are rounded to a multiple of {base} (disclosure control)."
    if n_suppressed:
        text += f" {n_suppressed} cell(s) based on fewer than {threshold} people are suppressed."
    return text


def suppress_for_chart(
    frame: pd.DataFrame,
    count_column: str,
    threshold: int,
    dependent_columns: Iterable[str] = (),
) -> tuple[pd.DataFrame, int]:
    """Chart data with small counts (and values computed from them) set to missing.

    Numeric columns stay numeric, so the chart simply draws nothing for those rows; say so with
    ``note``. Returns the frame and the number of rows suppressed.
    """
    out = frame.copy()
    small = pd.to_numeric(out[count_column], errors="coerce").between(1, threshold - 1)
    for col in [count_column, *dependent_columns]:
        if pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].astype(float)
        out.loc[small, col] = None
    return out, int(small.sum())
