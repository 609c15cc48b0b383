"""The codebook: labels, types, ranges, levels and raw-file aliases of every column.

Everything is read from ``codebook.yml`` next to this module (the one source of truth, parsed once
by ``trustexp.vocab``); the schemas, the raw-file loaders and the book's Codebook appendix are
generated from it. Labels of arms, outcomes and contrasts for the book come from ``vocab``.
"""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd

from trustexp import vocab

TABLES: tuple[str, ...] = ("population", "participants", "survey", "registry", "spending")


def _cached() -> dict[str, Any]:
    return vocab.codebook()


def load_codebook() -> dict[str, Any]:
    """Return the parsed codebook (a fresh copy: callers may modify it)."""
    return copy.deepcopy(_cached())


def columns(table: str) -> dict[str, dict[str, Any]]:
    """The column specifications of ``table`` in canonical order (read-only use)."""
    try:
        return _cached()["tables"][table]["columns"]
    except KeyError:
        raise KeyError(f"unknown table {table!r}; known: {', '.join(TABLES)}") from None


def column_spec(table: str, column: str) -> dict[str, Any]:
    """The specification of one column."""
    cols = columns(table)
    if column not in cols:
        raise KeyError(f"unknown column {column!r} of table {table!r}; known: {', '.join(cols)}")
    return cols[column]


def table_key(table: str) -> list[str]:
    """The columns that identify a row of ``table``."""
    return list(_cached()["tables"][table]["key"])


def levels(table: str, column: str) -> list[Any]:
    """Canonical level keys of a categorical (or labelled integer) column, in codebook order."""
    return list(column_spec(table, column).get("levels", {}))


def label(table: str, column: str, lang: str = "en") -> str:
    """The English (``lang="en"``) or Dutch (``"nl"``) label of a column."""
    if lang not in ("en", "nl"):
        raise ValueError(f"lang must be 'en' or 'nl', got {lang!r}")
    return str(column_spec(table, column)[f"label_{lang}"])


def level_labels(table: str, column: str, lang: str = "en") -> dict[Any, str]:
    """Map each level key of a column to its English or Dutch label."""
    if lang not in ("en", "nl"):
        raise ValueError(f"lang must be 'en' or 'nl', got {lang!r}")
    spec = column_spec(table, column)
    if "levels" not in spec:
        raise KeyError(f"column {table}.{column} has no levels")
    return {k: v[lang] for k, v in spec["levels"].items()}


def outcome(key: str) -> dict[str, Any]:
    """The definition of an outcome key (label, table, definition, scale, source)."""
    return vocab.outcome(key)


def outcome_keys() -> list[str]:
    """The outcome keys, in codebook order."""
    return list(vocab.outcome_keys())


def aliases(table: str) -> dict[str, str]:
    """Map lower-cased raw column names (canonical names and aliases) onto canonical names."""
    out: dict[str, str] = {}
    for name, spec in columns(table).items():
        out[name.lower()] = name
        for alias in spec.get("aliases", []):
            out[str(alias).lower()] = name
    return out


def level_codes(table: str, column: str) -> dict[str, Any]:
    """Map lower-cased raw codes (level keys, labels, numeric codes) onto level keys."""
    out: dict[str, Any] = {}
    for key, spec in column_spec(table, column).get("levels", {}).items():
        out[str(key).lower()] = key
        for lang in ("en", "nl"):
            out[str(spec[lang]).lower()] = key
        for code in spec.get("codes", []):
            out[str(code).lower()] = key
    return out


def bool_codes() -> dict[str, bool]:
    """Map lower-cased raw codes of boolean columns onto True / False."""
    raw = _cached()["bool_codes"]
    out = {c: True for c in raw["true"]}
    out.update({c: False for c in raw["false"]})
    return out


def _allowed(spec: dict[str, Any]) -> str:
    if "levels" in spec and spec["type"] == "category":
        return ", ".join(f"{k} ({v['en']} / {v['nl']})" for k, v in spec["levels"].items())
    if "range" in spec:
        lo, hi = spec["range"]
        text = f"{lo} to {hi}"
        if "levels" in spec:
            text += "; " + ", ".join(f"{k} = {v['en']}" for k, v in spec["levels"].items())
        return text
    if spec["type"] == "bool":
        return "true / false (ja / nee, 1 / 0)"
    return ""


def codebook_table() -> pd.DataFrame:
    """One row per column of every table, for the book's Codebook appendix."""
    rows = []
    for table in TABLES:
        for name, spec in columns(table).items():
            rows.append(
                {
                    "table": table,
                    "column": name,
                    "label_en": spec["label_en"],
                    "label_nl": spec["label_nl"],
                    "type": spec["type"],
                    "unit": spec.get("unit", ""),
                    "allowed": _allowed(spec),
                    "scale": spec.get("scale", ""),
                    "required": bool(spec.get("required", True)),
                    "nullable": bool(spec.get("nullable", False)),
                    "aliases": ", ".join(str(a) for a in spec.get("aliases", [])),
                    "source": spec.get("source") or "",
                }
            )
    return pd.DataFrame(rows)


def pandas_dtype(table: str, column: str) -> Any:
    """The canonical pandas dtype of a column (nullable variants where the codebook allows nulls)."""
    spec = column_spec(table, column)
    kind, nullable = spec["type"], bool(spec.get("nullable", False))
    if kind in ("id", "string"):
        return pd.StringDtype()
    if kind == "bool":
        return "boolean" if nullable else "bool"
    if kind == "int":
        return "Int64" if nullable else "int64"
    if kind == "float":
        return "float64"
    if kind in ("date", "month"):
        return "datetime64[ns]"
    if kind == "category":
        return pd.CategoricalDtype(levels(table, column))
    raise ValueError(f"unknown type {kind!r} of {table}.{column} in the codebook")


def empty_frame(table: str) -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes of ``table``."""
    return pd.DataFrame(
        {name: pd.Series([], dtype=pandas_dtype(table, name)) for name in columns(table)}
    )


def coerce_canonical(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Order columns canonically and cast each to its canonical dtype (values already canonical)."""
    out = {}
    for name in columns(table):
        out[name] = frame[name].astype(pandas_dtype(table, name))
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))
