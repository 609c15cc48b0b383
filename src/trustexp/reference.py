"""Published facts about the Oss experiment (``data/reference/published.yml``), with their sources."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

PUBLISHED = Path(__file__).resolve().parents[2] / "data" / "reference" / "published.yml"


@cache
def published() -> dict[str, Any]:
    """The whole published-facts mapping (read once)."""
    return yaml.safe_load(PUBLISHED.read_text(encoding="utf-8"))


def oss(*path: str) -> Any:
    """A value under ``oss``: ``oss("outflow", "difference_vs_non_participants_pp")``."""
    node: Any = published()["oss"]
    for key in path:
        node = node[key]
    return node


def source(key: str) -> str:
    """The full reference of a source key (e.g. ``info_note_2020``)."""
    return published()["sources"][key]
