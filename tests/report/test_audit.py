"""The audit rules: small counts, person ids, row-level records and typed result numbers."""

from __future__ import annotations

import nbformat
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustexp import disclosure
from trustexp.charts import to_html
from trustexp.report import audit


def _nb(*outputs, markdown: str = "# Title") -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(markdown), nbformat.v4.new_code_cell("ch.show(x)")]
    nb.cells[1].outputs = [nbformat.v4.new_output("display_data", data=o) for o in outputs]
    return nb


def _table_html(frame: pd.DataFrame) -> dict[str, str]:
    return {"text/html": frame.to_html(index=False)}


def _chart_html(frame: pd.DataFrame, y: str = "n") -> dict[str, str]:
    import altair as alt

    chart = alt.Chart(frame).mark_bar().encode(x="group", y=y)
    return {"text/html": to_html(chart, "Bar chart of the counts per group in the test frame", 1)}


# --------------------------------------------------------------------------- person ids


@pytest.mark.parametrize(
    "text",
    ["P0000042", "client P1234567 left", "NL91ABNA0417164300", "jan@example.nl", "111222333"],
)
def test_person_id_shapes_are_recognised(text):
    assert audit.looks_like_person_id(text)


@pytest.mark.parametrize(
    "text",
    [
        "wave 2, n = 300",
        "2,200 people",
        "trustexp-chart-7ffb986bc185-1",
        "data-004d4e1ba9b4245576e8201fcc38ce14",
        "123456789",  # nine digits that fail the BSN eleven test
        "C08",
        "2017-04-01",
        "0.123456789",
    ],
)
def test_ordinary_values_are_not_person_ids(text):
    assert not audit.looks_like_person_id(text)


def test_elfproef_matches_the_published_rule():
    # 111222333: 9+8+7+12+10+8+9+6-3 = 66 = 6 x 11 (hand computed)
    assert audit.passes_elfproef("111222333")
    assert not audit.passes_elfproef("111222334")
    assert not audit.passes_elfproef("000000000")


# --------------------------------------------------------------------------- small counts


def test_small_count_in_a_count_column_of_a_table_is_found():
    frame = pd.DataFrame({"arm": ["eigen_regie", "regulier"], "n": [7, 120], "share": [0.4, 0.5]})
    found = audit.scan_notebook_for_small_counts(_nb(_table_html(frame)), 10, "ch.ipynb")
    assert len(found) == 1
    assert "column 'n' row 1" in found[0].where and "count 7" in found[0].text
    assert found[0].where.startswith("ch.ipynb cell 2")


def test_protected_table_passes_the_scan():
    frame = pd.DataFrame({"arm": ["eigen_regie", "regulier"], "n": [7, 0], "mean": [3.0, 2.0]})
    shown, _ = disclosure.protect(frame, ["n"], 10, ["mean"])
    assert audit.scan_notebook_for_small_counts(_nb(_table_html(shown)), 10) == []


def test_group_columns_of_whole_numbers_are_counts_but_of_decimals_are_not():
    counts = pd.DataFrame({"stage": ["wave_2"], "eigen_regie": [4], "regulier": [40]})
    means = pd.DataFrame({"stage": ["wave_2"], "eigen_regie": [4.5], "regulier": [6.1]})
    assert len(audit.scan_notebook_for_small_counts(_nb(_table_html(counts)), 10)) == 1
    assert audit.scan_notebook_for_small_counts(_nb(_table_html(means)), 10) == []


def test_small_counts_in_chart_data_and_texts_are_found():
    chart = _chart_html(pd.DataFrame({"group": ["a", "b"], "n": [3, 50]}))
    glued = {"application/papermill.record/text/plain": "'n = 4'"}
    found = audit.scan_notebook_for_small_counts(_nb(chart, glued), 10)
    texts = " | ".join(str(f) for f in found)
    assert "column 'n' row 1" in texts and "count 3" in texts
    assert "'n = 4'" in texts
    assert len(found) == 2


@pytest.mark.parametrize(
    ("text", "hits"),
    [
        ("n = 7", ["n = 7"]),
        ("N: 3", ["N: 3"]),
        ("only 4 participants answered", ["4 participants"]),
        ("n = 12; 2,200 people; 0 respondents", []),
        ("wave 2 of 3 waves", []),
        ("n = 5.5", []),
        ("93.0% [86.3%, 96.6%], 7 of 100", ["7 of 100"]),
        ("93 of 100; wave 2 of 3", []),
    ],
)
def test_small_counts_in_text(text, hits):
    assert audit.small_counts_in_text(text, 10) == hits


@given(st.lists(st.integers(0, 400), min_size=1, max_size=20), st.integers(2, 30))
def test_every_table_protected_by_disclosure_passes(counts, threshold):
    frame = pd.DataFrame({"group": [f"g{i}" for i in range(len(counts))], "n": counts})
    shown, _ = disclosure.protect(frame, ["n"], threshold)
    assert audit.scan_notebook_for_small_counts(_nb(_table_html(shown)), threshold) == []
    raw_small = [c for c in counts if 0 < c < threshold]
    assert len(audit.scan_notebook_for_small_counts(_nb(_table_html(frame)), threshold)) == len(
        raw_small
    )


def test_store_rows_under_the_threshold_are_found():
    store = pd.DataFrame(
        {"chapter": ["x", "x"], "outcome": ["wellbeing"] * 2, "contrast": ["a", "b"], "n": [9, 10]}
    )
    found = audit.scan_store(store, 10, "x.parquet")
    assert len(found) == 1 and "n = 9" in found[0].text and "contrast=a" in found[0].text


# --------------------------------------------------------------------------- personal data


def test_identifier_columns_and_values_are_found_in_tables_charts_and_text():
    table = _table_html(pd.DataFrame({"person_id": ["P0000001"], "wellbeing": [7]}))
    chart = _chart_html(pd.DataFrame({"group": ["x"], "n": [30], "consultant_id": ["C01"]}))
    printed = {"text/plain": "  person_id  arm\n0  P0000001  regulier"}
    found = audit.scan_notebook_for_personal_data(_nb(table, chart, printed))
    kinds = [f.kind for f in found]
    assert set(kinds) == {"person_id"}
    joined = " | ".join(str(f) for f in found)
    assert "['person_id']" in joined and "['consultant_id']" in joined and "P0000001" in joined


def test_row_level_records_are_found_but_aggregates_are_not():
    rows = pd.DataFrame({"age": [31, 45], "sex": ["f", "m"], "household": ["single", "couple"]})
    raw_scores = pd.DataFrame({"arm": ["regulier"] * 60, "wellbeing": range(60)})
    aggregate = pd.DataFrame({"age": ["18-29"], "sex": ["f"], "n": [40], "share": [0.3]})
    means = pd.DataFrame({"arm": ["regulier"] * 3, "wave": [0, 1, 2], "wellbeing": [6.1, 6.3, 6.4]})
    assert [f.kind for f in audit.scan_notebook_for_personal_data(_nb(_table_html(rows)))] == [
        "row_level"
    ]
    chart = _chart_html(raw_scores.rename(columns={"arm": "group"}), y="wellbeing")
    assert [f.kind for f in audit.scan_notebook_for_personal_data(_nb(chart))] == ["row_level"]
    assert audit.scan_notebook_for_personal_data(_nb(_table_html(aggregate))) == []
    assert audit.scan_notebook_for_personal_data(_nb(_table_html(means))) == []


# --------------------------------------------------------------------------- typed numbers


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Outflow was 12.3% in the control group.", "percent"),
        ("Outflow was 12 % higher.", "percent"),
        ("a difference of 9 percentage points", "percentage_points"),
        ("a difference of 9.0 pp", "percentage_points"),
        ("het verschil was 9 procentpunten", "percentage_points"),
        ("the difference was significant (p = 0.03)", "p_value"),
        ("p < .001", "p_value"),
        ("95% CI [1.2, 3.4]", "ci"),
        ("CI 1.2 to 3.4", "ci"),
        ("Cohen's d = 0.41", "effect_size"),
        ("an odds ratio of 1.8", "effect_size"),
        ("the sample (n = 300)", "n_equals"),
        ("of 2,200 people on assistance", "count_with_separator"),
        ("wellbeing rose by 0.42 points", "decimal"),
        ("welzijn steeg met 0,42 punt", "decimal"),
    ],
)
def test_result_numbers_typed_in_prose_are_found(text, kind):
    found = audit.typed_numbers_in_markdown(text)
    assert [t.kind for t in found] == [kind], found


@pytest.mark.parametrize(
    "text",
    [
        "Of {glue:text}`n_assessed` people, {glue:text}`n_randomised` volunteered.",
        "Estimates come with 95 % confidence intervals and 95% CIs.",
        "See {cite}`info_note_2020,report_oss` and {doc}`../methods`.",
        "The three arms ran for two years, from 2017 to 2019 (2017–2019), over 24 months.",
        "In wave 2 and chapter 4.2, section 3.1, Table 2 and Figure 1.",
        "1. Self-direction\n2. Intensive support\n3. Regular service",
        "## 4.2 Results",
        "The lottery took place on 2017-04-01 (01-04-2017).",
        "Vega-Lite 6.4.1 with Python 3.11.",
        "Use `fmt.pct(0.123)` or\n```python\nx = 0.5  # 12%\n```\nthen.",
        "a six-rung scale, from isolated (1) to paid work (6)",
        "Link to [the 2020 note](https://example.org/a-12.5%25.pdf).",
        "Math: $z_{0.975} = 1.96$.",
        ":::{admonition} In short\n:class: tip\nOf {glue:text}`n` people.\n:::",
        "Limits of agreement: mean ± 1.96 SD. <!-- not-a-result: 1.96 -->",
    ],
)
def test_ordinary_numbers_are_not_findings(text):
    assert audit.typed_numbers_in_markdown(text) == []


def test_each_number_is_reported_once_with_its_line():
    found = audit.typed_numbers_in_markdown("Intro.\n\nOutflow rose by 9.3 percentage points.")
    assert [(t.kind, t.text, t.line) for t in found] == [
        ("percentage_points", "9.3 percentage points", 3)
    ]


def test_not_a_result_marker_only_exempts_the_texts_it_lists():
    text = "Within 0.1 is balanced; outflow was 12.5%. <!-- not-a-result: 0.1 -->"
    assert [t.text for t in audit.typed_numbers_in_markdown(text)] == ["12.5%"]


def test_notebook_scan_reads_markdown_cells_and_prose_strings_in_code():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("Outflow rose by 9.3 percentage points."),
        nbformat.v4.new_code_cell(
            'ch.callout("Published", [f"published 9.0 pp; this build {x:.1f}"])\n'
            'alt.Axis(format=".0%", title="Share of people (%)")'
        ),
        nbformat.v4.new_code_cell('params_file = "x"', metadata={"tags": ["injected-parameters"]}),
    ]
    found = audit.typed_numbers_in_notebook(nb, "nb.ipynb")
    assert [(f.kind, f.where) for f in found] == [
        ("typed_number:percentage_points", "nb.ipynb cell 1 (markdown) line 1"),
        ("typed_number:percentage_points", "nb.ipynb cell 2 (code) line 1"),
    ]
