"""Verdicts follow the numbers: the chapters that carry verdicts, run under four named truths.

The outflow, wellbeing and social-participation chapters and both summaries are executed on cohorts
drawn from the default truth, from no effect at all (``null``), from a clear arm effect on outflow
(``arm_effect``: self-direction +15 pp) and from a harmful arm (``harmful``: self-direction -15 pp).
The cohort is larger than the real one (1,200 participants served by 60 consultants instead of 12)
so that these effects are clear; the test is about the words, not about power. It asserts that the store's verdicts change with the truth,
that the summary's sentences change with them, and that no answer sentence states a direction its
store row contradicts.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_small_project

from trustexp.report.contents import ChapterSpec
from trustexp.results import find_row

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("truths")]

CHAPTERS = (
    ChapterSpec("outflow", "04_outflow.ipynb", "Outflow to work"),
    ChapterSpec("wellbeing", "05_wellbeing.ipynb", "Wellbeing"),
    ChapterSpec("social_participation", "06_social_participation.ipynb", "Social participation"),
    ChapterSpec("summary", "00_summary.ipynb", "Summary",
                deps=("outflow", "wellbeing", "social_participation")),
    ChapterSpec("samenvatting", "00_samenvatting.ipynb", "Samenvatting",
                deps=("outflow", "wellbeing", "social_participation")),
)  # fmt: skip
TRUTHS = ("default", "null", "arm_effect", "harmful")
ER = ("outflow_full", "eigen_regie vs regulier", "difference (covariate-adjusted)")
PART = ("outflow_full", "participants vs non_participants", "ATT (doubly robust)")


def glued(path: Path) -> dict[str, str]:
    """The text values glued in an executed notebook (``myst_nb.glue``), by name."""
    out = {}
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            data = o.get("data", {})
            text = data.get("application/papermill.record/text/plain", data.get("text/plain"))
            if name and text:
                try:
                    out[name] = ast.literal_eval(text if isinstance(text, str) else "".join(text))
                except (ValueError, SyntaxError):
                    out[name] = text
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[pd.DataFrame, dict[str, str], dict[str, str]]]:
    """Per truth: the results store, the English and the Dutch summary's glued texts."""
    out = {}
    for truth in TRUTHS:
        root, _, _ = make_small_project(
            tmp_path_factory.mktemp(f"truth-{truth}"), name=f"truth_{truth.replace('_', '')}",
            build=False, chapters=CHAPTERS, truth=truth, participants=1200, non_participants=2000, consultants=60,
        )  # fmt: skip
        store = pd.concat([pd.read_parquet(p) for p in root.rglob("results/*/*.parquet")])
        notebooks = {p.name: p for p in root.rglob("00_*.ipynb") if "notebooks" not in p.parts}
        out[truth] = (
            store,
            glued(notebooks["00_summary.ipynb"]),
            glued(notebooks["00_samenvatting.ipynb"]),
        )
    return out


def _verdict(store: pd.DataFrame, key: tuple[str, str, str]) -> str:
    row = find_row(store, *key)
    assert row is not None, f"no store row {key}"
    return str(row["verdict"])


def test_store_verdicts_follow_the_truth(runs):
    assert _verdict(runs["default"][0], PART) == "gain"
    assert _verdict(runs["null"][0], PART) != "gain"
    assert _verdict(runs["arm_effect"][0], ER) == "gain"
    assert _verdict(runs["harmful"][0], ER) == "loss"


def test_summary_sentences_change_with_the_verdicts(runs):
    en = {t: runs[t][1] for t in TRUTHS}
    nl = {t: runs[t][2] for t in TRUTHS}
    assert "Taking part raised outflow" in en["default"]["ans_outflow_full_participants"]
    assert "raised" not in en["null"]["ans_outflow_full_participants"]
    assert "self-direction raised outflow" in en["arm_effect"]["head_lottery"]
    assert "self-direction lowered outflow" in en["harmful"]["head_lottery"]
    assert "Eigen regie verhoogde" in nl["arm_effect"]["ans_outflow_full_eigen_regie"]
    assert "Eigen regie verlaagde" in nl["harmful"]["ans_outflow_full_eigen_regie"]
    assert "way of working mattered" in en["arm_effect"]["meaning"]
    assert "self-direction lowered it" in en["harmful"]["meaning"]
    firsts = {t: en[t]["head_lottery"] + en[t]["head_participation"] for t in TRUTHS}
    assert len(set(firsts.values())) == len(TRUTHS), (
        "the first paragraph did not change with the truth"
    )


@pytest.mark.parametrize("truth", TRUTHS)
def test_meaning_follows_the_store_verdicts(runs, truth):
    """The summary's reading of the outflow results is the one the store's verdicts call for."""
    store, en, nl = runs[truth]
    arms = [
        _verdict(store, ("outflow_full", f"{a} vs regulier", ER[2]))
        for a in ("eigen_regie", "intensief")
    ]
    part = _verdict(store, PART)
    if any(code in ("gain", "loss") for code in arms):
        expected = ("way of working mattered", "manier van werken uitmaakte")
    elif part == "gain":
        expected = ("read as a Hawthorne effect", "Hawthorne-effect noemden")
    elif part == "loss":
        expected = ("less often than comparable non-participants", "minder vaak uit naar werk")
    else:
        expected = ("Neither the lottery nor", "Noch de loting")
    assert expected[0] in en["meaning"], (truth, arms, part, en["meaning"])
    assert expected[1] in nl["meaning"], (truth, arms, part, nl["meaning"])
    if "Hawthorne" in en["meaning"] and part != "gain":
        assert "not the pattern of a Hawthorne effect" in en["meaning"], en["meaning"]


@pytest.mark.parametrize("truth", TRUTHS)
def test_no_answer_contradicts_its_store_row(runs, truth):
    store, en, nl = runs[truth]
    rising = {"en": ("raised",), "nl": ("verhoogde",)}
    falling = {"en": ("lowered",), "nl": ("verlaagde",)}
    open_words = {"en": "too imprecise", "nl": "te onzeker"}
    same_words = {"en": "no difference that matters", "nl": "geen verschil dat ertoe doet"}
    for lang, texts in (("en", en), ("nl", nl)):
        for key, text in texts.items():
            if not key.startswith("ans_outflow_full_"):
                continue
            subject = key.removeprefix("ans_outflow_full_")
            ref = "non_participants" if subject == "participants" else "regulier"
            method = PART[2] if subject == "participants" else ER[2]
            code = _verdict(store, ("outflow_full", f"{subject} vs {ref}", method))
            says_up = any(w in text for w in rising[lang])
            says_down = any(w in text for w in falling[lang])
            assert says_up == (code == "gain"), (lang, key, code, text)
            assert says_down == (code == "loss"), (lang, key, code, text)
            assert (open_words[lang] in text) == (code == "imprecise"), (lang, key, code, text)
            assert (same_words[lang] in text) == (code == "equivalent"), (lang, key, code, text)
