"""The results store: one Parquet file per chapter and parameter set, one row per estimate.

Chapters write their estimates here; the overview and summary chapters read them and never refit.
Columns: ``chapter, outcome, contrast, estimate, ci_low, ci_high, p, n, method, scale``.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pandas as pd

from trustexp.errors import InvalidData

COLUMNS = [
    "chapter",
    "outcome",
    "contrast",
    "estimate",
    "ci_low",
    "ci_high",
    "p",
    "n",
    "method",
    "scale",
]
ESTIMATE_COLUMNS = COLUMNS[2:]
"""The columns of one estimate, without ``chapter`` and ``outcome`` (statistics helpers return these)."""
OUTCOMES = (
    "outflow_full", "outflow_any", "wellbeing", "health", "mental_health", "self_reliance",
    "social_trust", "institutional_trust", "financial_strain", "deprived", "contacts", "ladder",
    "progress", "spending", "response", "benefit_receipt",
)  # fmt: skip
ARMS = ("eigen_regie", "intensief", "regulier")
SCALES = ("pp", "points", "g", "d", "odds_ratio", "hazard_ratio", "ratio", "eur", "share", "icc")
_CONTRAST = re.compile(
    r"^(eigen_regie vs regulier|intensief vs regulier|eigen_regie vs intensief"
    r"|participants vs non_participants|(eigen_regie|intensief|regulier) vs non_participants"
    r"|(eigen_regie|intensief|regulier|participants) wave [12] vs wave 0"
    r"|consultant vs participant"
    r"|(eigen_regie|intensief|regulier|participants|non_participants) level)$"
)


def _schema():
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {
            "chapter": pa.Column(str),
            "outcome": pa.Column(str, pa.Check.isin(OUTCOMES)),
            "contrast": pa.Column(str, pa.Check.str_matches(_CONTRAST.pattern)),
            "estimate": pa.Column(float),
            "ci_low": pa.Column(float, nullable=True),
            "ci_high": pa.Column(float, nullable=True),
            "p": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
            "n": pa.Column("Int64", pa.Check.ge(0)),
            "method": pa.Column(str),
            "scale": pa.Column(str, pa.Check.isin(SCALES)),
        },
        strict=True,
        ordered=True,
        unique=["outcome", "contrast", "method"],
    )


def validate_results(frame: pd.DataFrame) -> pd.DataFrame:
    """Coerce and check a results frame; raise ``InvalidData`` naming the bad rows."""
    import pandera.pandas as pa

    frame = frame.reindex(columns=COLUMNS).copy()
    for col in ("estimate", "ci_low", "ci_high", "p"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    frame["n"] = pd.to_numeric(frame["n"], errors="coerce").round().astype("Int64")
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
    frame = frame.assign(chapter=chapter)
    frame = validate_results(frame)
    out = Path(results_dir) / f"{chapter}.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{chapter}.", suffix=".tmp")
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


def read_results(results_dir: Path | str, chapters: list[str] | None = None) -> pd.DataFrame:
    """Read the store (all chapters, or the named ones) into one frame."""
    folder = Path(results_dir)
    files = sorted(folder.glob("*.parquet"))
    if chapters is not None:
        files = [f for f in files if f.stem in chapters]
        missing = set(chapters) - {f.stem for f in files}
        if missing:
            raise FileNotFoundError(
                f"results store {folder} has no results of chapter(s) {sorted(missing)}: run them first"
            )
    if not files:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
