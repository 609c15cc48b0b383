"""Presentation pieces several chapters share: counts per group in words, estimates as text."""

from __future__ import annotations

from typing import Any

from trustexp import disclosure, fmt
from trustexp.reference import oss as published
from trustexp.vocab import group_label


def n_text(counts: dict[str, Any], threshold: int) -> str:
    """``"Self-direction 101, Intensive support 99, Regular service 100"``, small counts suppressed."""
    parts = []
    for k, v in counts.items():
        shown = disclosure.suppressed_label(threshold) if 0 < v < threshold else fmt.count(v)
        parts.append(f"{group_label(k)} {shown}")
    return ", ".join(parts)


def published_texts(key: str, *path: str) -> dict[str, str]:
    """Glue texts ``<key>`` (a published finding, in the sources' words) and ``<key>_sources``.

    ``path`` leads to a node of ``published.yml``'s ``oss`` mapping with ``value`` and ``source``.
    """
    node = published(*path)
    return {key: str(node["value"]).replace("eigen_regie", "eigen regie"),
            f"{key}_sources": ", ".join(node["source"])}  # fmt: skip


def missing_texts(missing: list[str]) -> dict[str, str]:
    """Glue text ``missing_chapters``: the chapters whose results the page could not read."""
    return {"missing_chapters": ", ".join(missing) if missing else "none"}


def estimate_text(
    estimate: float, ci_low: float, ci_high: float, scale: str, lang: str = "en", unit: str = ""
) -> str:
    """An estimate with its 95 % CI as the book writes it in prose.

    ``pp``: ``"+9.3 percentage points (95% CI [4.1, 14.5])"``; other scales: ``"+0.42 (95% CI
    [0.10, 0.74])"`` with ``unit`` (e.g. ``" points"``) after the number; Dutch notation for
    ``lang="nl"``. Missing values read ``n/a``.

    >>> estimate_text(9.31, 4.1, 14.5, "pp")
    '+9.3 percentage points (95% CI [4.1, 14.5])'
    """
    if scale == "pp":
        text = f"{fmt.pp(estimate, signed=True)} (95% CI {fmt.ci(ci_low, ci_high, scale='pp')})"
        if lang == "nl":
            text = text.replace("percentage points", "procentpunt").replace("95% CI", "95%-BI")
            return fmt.nl(text)
        return text
    text = f"{fmt.num(estimate, signed=True)}{unit} (95% CI {fmt.ci(ci_low, ci_high)})"
    return fmt.nl(text.replace("95% CI", "95%-BI")) if lang == "nl" else text


def row_estimate_text(row, lang: str = "en", unit: str = "") -> str:
    """``estimate_text`` of a store row (or ``"not estimated"`` when the row is missing)."""
    if row is None:
        return "not estimated" if lang == "en" else "niet geschat"
    return estimate_text(row["estimate"], row["ci_low"], row["ci_high"], row["scale"], lang, unit)
