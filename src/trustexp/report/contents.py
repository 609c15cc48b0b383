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
    """One chapter: key (results-store name), notebook file, title (and its Dutch title, for the
    Dutch pages' links), the chapters it reads and ``cost``: about how many seconds it takes to
    execute, which the scheduler uses until a run has timed it (a fresh clone), so that the
    longest chain starts first."""

    key: str
    notebook: str
    title: str
    deps: tuple[str, ...] = ()
    title_nl: str = ""
    cost: float = 1.0


ESTIMATES = ("outflow", "wellbeing", "social_participation", "other_outcomes")
EVERYTHING = ("response", "balance", *ESTIMATES, "consultants", "effect_sizes", "hawthorne",
              "resources", "robustness")  # fmt: skip

CHAPTERS: tuple[ChapterSpec, ...] = (
    ChapterSpec("summary", "00_summary.ipynb", "Summary", EVERYTHING, "Summary (in English)"),
    ChapterSpec("samenvatting", "00_samenvatting.ipynb", "Samenvatting", EVERYTHING, "Samenvatting"),
    ChapterSpec("design", "01_design.ipynb", "Design of the experiment", (), "Opzet van het experiment",
                cost=1.5),
    ChapterSpec("response", "02_response.ipynb", "Response and attrition", (), "Respons en uitval",
                cost=1.5),
    ChapterSpec("balance", "03_balance.ipynb", "Balance at the start", ("outflow",),
                "Vergelijkbaarheid bij de start", cost=1.5),
    ChapterSpec("outflow", "04_outflow.ipynb", "Outflow to work", (), "Uitstroom naar werk", cost=8),
    ChapterSpec("wellbeing", "05_wellbeing.ipynb", "Wellbeing", (), "Welbevinden", cost=2.5),
    ChapterSpec("social_participation", "06_social_participation.ipynb", "Social participation", (),
                "Maatschappelijke participatie", cost=4.5),
    ChapterSpec("other_outcomes", "07_other_outcomes.ipynb", "Health, self-reliance, trust, poverty and motivation",
                (), "Gezondheid, zelfredzaamheid, vertrouwen, armoede en motivatie", cost=7),
    ChapterSpec("consultants", "08_consultants.ipynb", "Consultants and participants", (),
                "Consulenten en deelnemers", cost=2.5),
    ChapterSpec("effect_sizes", "09_effect_sizes.ipynb", "Effect sizes at a glance", ESTIMATES,
                "Effecten in één oogopslag", cost=1.5),
    ChapterSpec("hawthorne", "10_hawthorne.ipynb", "The Hawthorne caveat", ("outflow", "wellbeing"),
                "Het Hawthorne-voorbehoud", cost=3),
    ChapterSpec("resources", "11_resources.ipynb", "Resources", ("outflow",), "Middelen", cost=1.5),
    ChapterSpec("robustness", "12_robustness.ipynb", "Robustness: how firm are the main results?",
                ESTIMATES, "Robuustheid: hoe stevig zijn de uitkomsten?", cost=15),
    ChapterSpec("conclusions", "13_conclusions.ipynb", "Conclusions and answers", EVERYTHING,
                "Conclusions and answers (in English)"),
    ChapterSpec("conclusies", "13_conclusies.ipynb", "Conclusies en antwoorden", EVERYTHING,
                "Conclusies en antwoorden"),
)  # fmt: skip


def chapter(key: str) -> ChapterSpec:
    """Look up a chapter by key."""
    for spec in CHAPTERS:
        if spec.key == key:
            return spec
    raise KeyError(f"unknown chapter {key!r}; known: {', '.join(c.key for c in CHAPTERS)}")
