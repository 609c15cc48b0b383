"""Sources that resolve: every source key has a reference entry with a label a reader can tell apart.

The labels, citation styles and key linking live in ``book/_ext/trustexp_sources.py`` (a Sphinx
extension of the book); here they are checked on ``book/references.bib`` and on small
bibliographies written in the tests, with pybtex directly.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml
from pybtex.database import parse_string
from pybtex.richtext import Text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import trustexp_sources as ts  # noqa: E402 - the book's extension, importable from its folder

BIB = ROOT / "book" / "references.bib"
PUBLISHED = ROOT / "data" / "reference" / "published.yml"


def _bib():
    return parse_string(BIB.read_text(encoding="utf-8"), "bibtex")


def _labels(bib) -> dict[str, str]:
    style = ts.BookStyle()
    entries = style.sort(bib.entries.values())
    return {e.key: label for e, label in zip(entries, style.format_labels(entries), strict=True)}


def _source_lists(node) -> list[str]:
    """Every key named in a ``source:`` list anywhere in published.yml."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "source":
                found += value if isinstance(value, list) else [value]
            else:
                found += _source_lists(value)
    elif isinstance(node, list):
        for item in node:
            found += _source_lists(item)
    return found


def test_every_source_key_of_the_published_facts_has_a_reference_entry():
    published = yaml.safe_load(PUBLISHED.read_text(encoding="utf-8"))
    bib_keys = set(_bib().entries.keys())
    missing = sorted(set(published["sources"]) - bib_keys)
    assert not missing, f"source keys without an entry in {BIB.name}: {missing}"
    unknown = sorted(set(_source_lists(published)) - set(published["sources"]))
    assert not unknown, f"published.yml cites keys missing from its `sources` map: {unknown}"


def test_every_entry_of_the_references_has_its_own_label():
    labels = _labels(_bib())
    seen: dict[str, str] = {}
    for key, label in labels.items():
        assert label not in seen, f"{key} and {seen[label]} both read {label!r}"
        seen[label] = key


def test_the_four_muffels_reports_of_2020_are_a_b_c_d_in_date_order():
    labels = _labels(_bib())
    assert labels["report_oss"] == "Muffels et al., 2020a"  # January
    assert labels["tilburg_abstract"] == "Muffels et al., 2020b"  # March
    assert labels["wageningen_abstract"] == "Muffels et al., 2020c"  # April
    assert labels["report_apeldoorn"] == "Muffels et al., 2020d"  # May
    assert labels["report_oss_312"] == "Muffels et al., 2020a, section 3.1.2"
    assert labels["wageningen_33"] == "Muffels et al., 2020c, section 3.3"


def test_labels_name_one_two_or_many_authors_and_organisations():
    bib = parse_string(
        """
        @misc{solo, author = {Doe, Jane}, title = {A}, year = {2019}}
        @misc{pair, author = {Doe, Jane and van Dam, Piet}, title = {B}, year = {2019}}
        @misc{org, author = {{Gemeente Oss}}, title = {C}, year = {2020}}
        @misc{none, title = {{Weten wat werkt: een experiment}}, year = {2020}}
        @misc{first, author = {Roe, Ann and Poe, Bo and Moe, Cy}, title = {Z}, year = {2021}, month = feb}
        @misc{second, author = {Roe, Ann and Poe, Bo and Moe, Cy}, title = {A}, year = {2021}, month = oct}
        @misc{part, author = {Roe, Ann and Poe, Bo and Moe, Cy}, title = {S}, year = {2021},
              partof = {second}, locator = {chapter 2}}
        """,
        "bibtex",
    )
    labels = _labels(bib)
    assert labels["solo"] == "Doe, 2019"
    assert labels["pair"] == "Doe and van Dam, 2019"
    assert labels["org"] == "Gemeente Oss, 2020"
    assert labels["none"] == "Weten wat werkt, 2020"
    # a/b follow the month, not the title; a part takes its document's label and its locator
    assert labels["first"] == "Roe et al., 2021a"
    assert labels["second"] == "Roe et al., 2021b"
    assert labels["part"] == "Roe et al., 2021b, chapter 2"


@pytest.mark.parametrize(
    "name", ["Oss", "Tilburg", "Wageningen", "Utrecht", "Groningen", "Participatiewet"]
)
def test_proper_names_in_titles_keep_their_capital(name):
    bib = _bib()
    style = ts.BookStyle()
    entries = style.sort(bib.entries.values())
    for formatted in style.format_entries(entries):
        raw = bib.entries[formatted.key].fields.get("title", "")
        if name in raw:
            text = formatted.text.render_as("text")
            assert name in text, f"{formatted.key}: {name!r} lost its capital: {text[:120]}"


def test_key_runs_match_whole_keys_separated_by_commas_or_semicolons():
    pattern = ts.key_runs(["info_note_2020", "article_oss", "report_oss", "report_oss_312"])
    text = (
        "published 9 to 13 (info_note_2020, article_oss); see report_oss_312; report_oss, page 14"
    )
    runs = [m.group(0) for m in pattern.finditer(text)]
    assert runs == ["info_note_2020, article_oss", "report_oss_312; report_oss"]
    assert ts.split_run(runs[1]) == ["report_oss_312", "report_oss"]
    # not inside another word, a path or an address
    assert not pattern.search(
        "x_info_note_2020 /data/report_oss article_oss2 https://a.b/report_oss"
    )


def test_label_parts_split_author_and_year_for_textual_citations():
    data = {"formatted_entry": type("F", (), {"label": "Muffels et al., 2020a, section 4.5"})()}
    assert ts.label_author.format_data(data) == Text("Muffels et al.")
    assert ts.label_year.format_data(data) == Text("2020a, section 4.5")
    org = {
        "formatted_entry": type(
            "F", (), {"label": "Ministry of Social Affairs and Health (Finland), 2020"}
        )()
    }
    assert ts.label_author.format_data(org) == Text(
        "Ministry of Social Affairs and Health (Finland)"
    )


def test_bib_titles_are_protected_from_lower_casing():
    """Every title is wrapped in double braces, so styles print it as the publisher wrote it."""
    unprotected = re.findall(
        r"^\s*title = \{(?!\{)(.*)\},?$", BIB.read_text(encoding="utf-8"), re.M
    )
    assert not unprotected, f"titles without protective braces: {unprotected}"
