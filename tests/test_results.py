import pandas as pd
import pytest

from trustexp.errors import InvalidData
from trustexp.results import COLUMNS, VERDICTS, read_results, validate_results, write_results
from trustexp.verdicts import CODES


def _row(**kw):
    base = dict(
        outcome="outflow_full",
        contrast="eigen_regie vs regulier",
        estimate=2.0,
        ci_low=-3.0,
        ci_high=7.0,
        p=0.4,
        n=200,
        method="risk difference",
        scale="pp",
    )
    base.update(kw)
    return base


def test_results_round_trip_through_the_store(tmp_path):
    write_results(
        pd.DataFrame([_row(), _row(contrast="intensief vs regulier")]), "outflow", tmp_path
    )
    back = read_results(tmp_path)
    assert back["chapter"].unique().tolist() == ["outflow"]
    assert back.columns.tolist()[:3] == ["chapter", "outcome", "contrast"]
    assert len(back) == 2


@pytest.mark.parametrize(
    "bad, rule",
    [
        (dict(outcome="happiness"), "isin"),
        (dict(contrast="eigen regie vs control"), "str_matches"),
        (dict(p=1.5), "in_range"),
        (dict(scale="percent"), "isin"),
        (dict(verdict="significant"), "isin"),
    ],
)
def test_store_refuses_rows_off_the_contract_and_writes_nothing(tmp_path, bad, rule):
    with pytest.raises(InvalidData, match=rule):
        write_results(pd.DataFrame([_row(**bad)]), "outflow", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_duplicate_estimates_are_refused(tmp_path):
    with pytest.raises(InvalidData):
        write_results(pd.DataFrame([_row(), _row()]), "outflow", tmp_path)


def test_reading_a_missing_chapter_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="wellbeing"):
        read_results(tmp_path, ["wellbeing"])


def test_the_verdict_column_is_last_optional_and_keeps_its_codes(tmp_path):
    assert COLUMNS[-1] == "verdict" and VERDICTS == CODES
    rows = pd.DataFrame([_row(verdict="gain"), _row(contrast="intensief vs regulier"),
                         _row(contrast="regulier level", scale="share", estimate=0.2, ci_low=0.1,
                              ci_high=0.3, p=None, verdict=float("nan"))])  # fmt: skip
    write_results(rows, "outflow", tmp_path)
    back = read_results(tmp_path)
    assert back.columns.tolist() == COLUMNS
    assert back["verdict"].tolist() == ["gain", None, None]


@pytest.mark.parametrize("code", CODES)
def test_every_verdict_code_passes_the_schema(code):
    assert validate_results(pd.DataFrame([_row(verdict=code)]).assign(chapter="x"))[
        "verdict"
    ].tolist() == [code]
