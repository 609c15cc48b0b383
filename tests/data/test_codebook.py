"""The codebook: complete, consistent with the tables, and the labels the book shows."""

from __future__ import annotations

import yaml

from trustexp import vocab
from trustexp.data import codebook
from trustexp.data.truth import OUTCOME_KEYS

PUBLISHED_SOURCES = {
    "info_note_2020",
    "article_oss",
    "bd_2020",
    "report_oss_312",
    "report_oss_45",
    "report_oss_health",
    "report_oss",
    "report_apeldoorn_312",
    "regioplan_ladder",
    "cbs_mhi5",
}


def test_labels_and_level_labels_in_both_languages():
    assert codebook.label("participants", "arm", "nl") == "Experimentgroep (loting)"
    assert codebook.level_labels("participants", "arm") == {
        "eigen_regie": "Self-direction",
        "intensief": "Intensive support",
        "regulier": "Regular service",
    }
    assert codebook.level_labels("participants", "arm", "nl")["eigen_regie"] == "Eigen regie"
    assert codebook.level_labels("survey", "ladder")[6] == "Paid work"


def test_dutch_aliases_and_codes_map_onto_canonical_names():
    assert codebook.aliases("participants")["persoonsnummer"] == "person_id"
    assert codebook.aliases("participants")["groep"] == "arm"
    codes = codebook.level_codes("participants", "arm")
    assert (codes["1"], codes["2"], codes["3"]) == ("eigen_regie", "intensief", "regulier")


def test_no_alias_maps_onto_two_columns_of_a_table():
    for table in codebook.TABLES:
        seen = {}
        for name, spec in codebook.columns(table).items():
            for alias in [name, *spec.get("aliases", [])]:
                assert seen.setdefault(str(alias).lower(), name) == name, (table, alias)


def test_codebook_table_has_the_appendix_columns_and_every_source_is_published():
    table = codebook.codebook_table()
    assert {"table", "column", "label_en", "label_nl", "type", "unit", "allowed", "source"} <= set(
        table.columns
    )
    assert len(table) == sum(len(codebook.columns(t)) for t in codebook.TABLES)
    assert set(table["source"]) - {""} <= PUBLISHED_SOURCES
    assert (
        "Self-direction"
        in table.set_index(["table", "column"]).loc[("participants", "arm"), "allowed"]
    )


def test_every_outcome_key_is_defined():
    assert codebook.outcome_keys() == list(OUTCOME_KEYS)
    assert "outflow_window_months" in codebook.outcome("outflow_full")["definition"]


def test_codebook_file_is_plain_yaml():
    assert yaml.safe_load(vocab.CODEBOOK_PATH.read_text(encoding="utf-8"))["version"] == 1
