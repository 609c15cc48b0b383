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
