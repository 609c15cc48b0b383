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


def arms_table():
    """The three arms as the sources describe them, as a display table."""
    import pandas as pd

    frame = pd.DataFrame(oss("arms"))
    frame["job_search_obligation"] = frame["job_search_obligation"].map({True: "yes", False: "no"})
    return frame.rename(
        columns={
            "key": "arm",
            "nl": "Dutch name",
            "en": "English name",
            "contact_initiative": "who initiates contact",
            "job_search_obligation": "obligation to apply for jobs",
        }
    )
