"""The book's contents: the chapter list and each chapter's dependencies, declared once.

(Named ``contents`` so that "chapter" means one thing: a chapter's own code lives in
``trustexp.chapters``, its notebook in ``notebooks/``, its executed notebook in the layout's
``chapters_dir``.)

A chapter is a source notebook in ``notebooks/``; ``deps`` name chapters whose results store it
reads, so the pipeline runs it after them. Order here is the order in the table of contents.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChapterSpec:
    """One chapter: key (results-store name), notebook file, title and the chapters it reads."""

    key: str
    notebook: str
    title: str
    deps: tuple[str, ...] = ()


ESTIMATES = ("outflow", "wellbeing", "social_participation", "other_outcomes")
EVERYTHING = ("response", "balance", *ESTIMATES, "consultants", "effect_sizes", "hawthorne",
              "resources", "robustness")  # fmt: skip

CHAPTERS: tuple[ChapterSpec, ...] = (
    ChapterSpec("summary", "00_summary.ipynb", "Summary", deps=EVERYTHING),
    ChapterSpec("samenvatting", "00_samenvatting.ipynb", "Samenvatting", deps=EVERYTHING),
    ChapterSpec("design", "01_design.ipynb", "Design of the experiment"),
    ChapterSpec("response", "02_response.ipynb", "Response and attrition"),
    ChapterSpec("balance", "03_balance.ipynb", "Balance at the start"),
    ChapterSpec("outflow", "04_outflow.ipynb", "Outflow to work"),
    ChapterSpec("wellbeing", "05_wellbeing.ipynb", "Wellbeing"),
    ChapterSpec("social_participation", "06_social_participation.ipynb", "Social participation"),
    ChapterSpec(
        "other_outcomes", "07_other_outcomes.ipynb", "Health, self-reliance, trust and poverty"
    ),
    ChapterSpec("consultants", "08_consultants.ipynb", "Consultants and participants"),
    ChapterSpec(
        "effect_sizes", "09_effect_sizes.ipynb", "Effect sizes at a glance", deps=ESTIMATES
    ),
    ChapterSpec(
        "hawthorne", "10_hawthorne.ipynb", "The Hawthorne caveat", deps=("outflow", "wellbeing")
    ),
    ChapterSpec("resources", "11_resources.ipynb", "Resources"),
    ChapterSpec(
        "robustness",
        "12_robustness.ipynb",
        "Robustness: how firm are the main results?",
        deps=ESTIMATES,
    ),
)


def chapter(key: str) -> ChapterSpec:
    """Look up a chapter by key."""
    for spec in CHAPTERS:
        if spec.key == key:
            return spec
    raise KeyError(f"unknown chapter {key!r}; known: {', '.join(c.key for c in CHAPTERS)}")
