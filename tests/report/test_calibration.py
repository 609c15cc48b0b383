"""The generated calibration page shows the parameter set's truth and the published facts."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from trustexp import fmt
from trustexp.config import load_params, params_from_dict
from trustexp.report import audit
from trustexp.report.build import METHOD_PAGES, render_toc
from trustexp.report.calibration import TEMPLATE, render_calibration, write_calibration_page

ROOT = Path(__file__).resolve().parents[2]
PARAMS_FILE = ROOT / "params" / "oss.yml"


def _raw() -> dict:
    return yaml.safe_load(PARAMS_FILE.read_text(encoding="utf-8"))


def test_default_page_shows_the_truth_input_values():
    params = load_params(PARAMS_FILE)
    t = params.truth
    page = render_calibration(params)
    expected = [
        f"{100 * t.participation.outflow_full:.1f} percentage points",
        f"eigen regie {100 * t.arm_effect.eigen_regie.outflow_full:.1f} percentage points",
        f"intensief {100 * t.arm_effect.intensief.outflow_full:.1f} percentage points",
        f"{100 * t.outflow.base_full:.1f}%",
        f"{100 * t.outflow.duration_per_year:.1f} percentage points per year",
        f"{t.consultants.n_consultants} consultants",
        f"{100 * t.consultants.home_arm_share:.1f}% of their clients",
        f"standard deviation of {100 * t.consultants.outflow_sd:.1f} percentage points",
        f"{t.population.participants.benefit_months_median:.0f} months for participants",
        f"{t.population.non_participants.benefit_months_median:.0f} months for non-participants",
        f"wave trend of +{t.survey.wave_trend.wellbeing:.2f} points",
        f"+{t.survey.wave_trend.contacts:.2f} contacts a month",
        f"+{t.survey.wave_trend.ladder:.2f} rungs per wave",
        f"+{t.arm_effect.eigen_regie.contacts:.2f} contacts and +{t.arm_effect.eigen_regie.ladder:.2f} rungs",
        f"starts {abs(t.arm_baseline.intensief.health):.2f} points lower",
        f"ladder {t.consultants.rating_bias.ladder:.2f} rungs",
        f"wellbeing {t.consultants.rating_bias.wellbeing:.2f} points higher",
        f"mean of {t.survey.baseline_mean.mental_health:.1f}",
        ", ".join(f"{100 * r:.1f}%" for r in t.nonresponse.participant_rate[:-1])
        + f" and {100 * t.nonresponse.participant_rate[-1]:.1f}%",
        f"{params.cohort.n_non_participants:,} non-participants",
        f"within {t.outflow.horizon_months} months",
    ]
    missing = [text for text in expected if text not in page]
    assert not missing, missing


def test_default_page_shows_the_published_values():
    page = render_calibration(load_params(PARAMS_FILE))
    for text in (
        "9 to 13 percentage points",
        "more than 2,000 recipients",
        "about 1.4 percentage points",
        "from about 7% to about 13%",
        "about twice",
        "{cite}`report_apeldoorn_312`",
        "(0–100, below 60 = unhealthy)",
        "ladder scores 1–6",
    ):
        assert text in page, text


def test_changing_the_truth_changes_the_page():
    raw = _raw()
    raw["truth"]["participation"]["outflow_full"] = 0.123
    raw["truth"]["consultants"]["n_consultants"] = 17
    changed = render_calibration(params_from_dict(raw))
    default = render_calibration(load_params(PARAMS_FILE))
    assert "of 12.3 percentage points" in changed
    assert "17 consultants" in changed
    assert "of 9.5 percentage points" in default and "of 9.5 percentage points" not in changed


def test_the_default_seed_paragraph_only_for_the_chosen_seed():
    raw = _raw()
    assert "**The default seed.**" in render_calibration(params_from_dict(raw))
    raw["seed"] = 1
    other = render_calibration(params_from_dict(raw))
    assert "**The default seed.**" not in other and "uses the seed 1," in other


def test_template_types_no_number():
    from trustexp.report.calibration import _SEED_CHOSEN, _SEED_OTHER

    text = "\n".join((TEMPLATE, _SEED_CHOSEN, _SEED_OTHER))
    # the audit finds no typed result number in the hand-written prose...
    assert audit.typed_numbers_in_markdown(text) == []
    # ...and no digit at all outside roles ({cite}`report_oss_312`), fields and the name MHI-5
    prose = re.sub(r"\{[\w:.-]+\}`[^`]*`|\{\w+\}|MHI-5", "", text)
    assert re.findall(r".{0,30}\d.{0,30}", prose) == []


def test_every_number_the_audit_sees_on_the_page_was_filled_in():
    from trustexp.report.calibration import calibration_values

    params = load_params(PARAMS_FILE)
    filled = " ".join(calibration_values(params).values())
    found = audit.typed_numbers_in_markdown(render_calibration(params))
    assert found  # the page shows numbers, all generated
    assert [t for t in found if t.text not in filled] == []


def test_generated_page_is_in_the_methods_toc_and_not_scanned_as_hand_written():
    assert "generated/calibration" in METHOD_PAGES
    assert "          - file: generated/calibration\n" in render_toc()
    assert not (ROOT / "book" / "calibration.md").exists()
    import importlib.util

    spec = importlib.util.spec_from_file_location("prose", ROOT / "tests" / "test_prose.py")
    prose = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(prose)
    assert "generated/calibration" not in prose.PAGES


def test_write_calibration_page(tmp_path):
    params = load_params(PARAMS_FILE)
    path = tmp_path / "generated" / "calibration.md"
    write_calibration_page(path, params)
    assert path.read_text(encoding="utf-8") == render_calibration(params)
    assert fmt.count(params.truth.consultants.n_consultants) in path.read_text(encoding="utf-8")
