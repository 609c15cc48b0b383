"""The results store: one Parquet file per chapter and parameter set, one row per estimate.

Ground floor. Chapters write their estimates here; the overview and summary chapters read them and
never refit. Columns: ``chapter, outcome, contrast, estimate, ci_low, ci_high, p, n, method, scale``
(``scale`` ``pp`` means percentage points: 9.0 is 9 pp). Several methods may estimate one contrast;
``method`` tells them apart. Keys come from ``trustexp.vocab``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd
import pandera.pandas as pa

from trustexp import vocab
from trustexp.errors import InvalidData
from trustexp.files import write_atomic

COLUMNS = ["chapter", *vocab.ROW_COLUMNS, "verdict"]
"""The store's columns: ``chapter``, the row columns of ``vocab.ROW_COLUMNS`` and ``verdict`` (the
judgement of ``trustexp.verdicts``, empty for rows that are not judged: levels, MDEs, ICCs)."""
VERDICTS = ("gain", "loss", "higher", "lower", "equivalent", "imprecise")


def _schema() -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "chapter": pa.Column(str),
            "outcome": pa.Column(str, pa.Check.isin(vocab.store_outcomes())),
            "contrast": pa.Column(str, pa.Check.str_matches(vocab.CONTRAST_PATTERN.pattern)),
            "estimate": pa.Column(float),
            "ci_low": pa.Column(float, nullable=True),
            "ci_high": pa.Column(float, nullable=True),
            "p": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
            "n": pa.Column("Int64", pa.Check.ge(0)),
            "method": pa.Column(str),
            "scale": pa.Column(str, pa.Check.isin(vocab.SCALES)),
            "verdict": pa.Column(object, pa.Check.isin(VERDICTS), nullable=True),
        },
        strict=True,
        ordered=True,
        unique=["outcome", "contrast", "method"],
    )


def validate_results(frame: pd.DataFrame) -> pd.DataFrame:
    """Coerce and check a results frame; raise ``InvalidData`` naming the bad rows."""
    frame = frame.reindex(columns=COLUMNS).copy()
    for col in ("estimate", "ci_low", "ci_high", "p"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    frame["n"] = pd.to_numeric(frame["n"], errors="coerce").round().astype("Int64")
    frame["verdict"] = frame["verdict"].astype(object).where(frame["verdict"].notna(), None)
    try:
        return _schema().validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        lines = [
            f"column {r.column}: rule {r.check}, row {r.index}, value {r.failure_case!r}"
            for r in cases.head(20).itertuples()
        ]
        if len(cases) > 20:
            lines.append(f"... and {len(cases) - 20} more")
        raise InvalidData("results store rows break the store schema", lines) from None


def write_results(frame: pd.DataFrame, chapter: str, results_dir: Path | str) -> Path:
    """Validate and write a chapter's estimates atomically; returns the file written."""
    frame = validate_results(frame.assign(chapter=chapter))
    out = Path(results_dir) / f"{chapter}.parquet"
    write_atomic(frame.to_parquet(index=False), out)
    return out


def absent(results_dir: Path | str, chapters: tuple[str, ...] | list[str]) -> list[str]:
    """The chapters among ``chapters`` that have no results in the store yet."""
    return [c for c in chapters if not (Path(results_dir) / f"{c}.parquet").is_file()]


def read_results(
    results_dir: Path | str,
    chapters: tuple[str, ...] | list[str] | None = None,
    missing: Literal["error", "ok"] = "error",
) -> pd.DataFrame:
    """Read the store (all chapters, or the named ones) into one frame.

    With ``missing="error"`` a named chapter without results raises ``FileNotFoundError``; with
    ``missing="ok"`` it is left out (pages that read the store say what is missing via ``absent``).
    """
    folder = Path(results_dir)
    files = sorted(folder.glob("*.parquet"))
    if chapters is not None:
        files = [f for f in files if f.stem in chapters]
        gone = absent(folder, chapters)
        if gone and missing == "error":
            raise FileNotFoundError(
                f"results store {folder} has no results of chapter(s) {sorted(gone)}: run them first"
            )
    if not files:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def find_row(
    store: pd.DataFrame, outcome: str, contrast: str, methods: tuple[str, ...] | str
) -> pd.Series | None:
    """The first row of ``store`` for the outcome and contrast whose method is in ``methods``."""
    methods = (methods,) if isinstance(methods, str) else methods
    hit = store[(store["outcome"] == outcome) & (store["contrast"] == contrast)]
    for method in methods:
        rows = hit[hit["method"] == method]
        if len(rows):
            return rows.iloc[0]
    return None
