from pathlib import Path

import yaml

from trustexp.report.build import render_toc

ROOT = Path(__file__).resolve().parents[1]


def _lock_pins():
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    return sorted(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def test_environment_yml_pins_exactly_the_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert sorted(p for p in pip if p != "-e .") == _lock_pins()
    assert "python=3.11" in env["dependencies"]


def test_every_lock_line_is_an_exact_pin():
    assert all("==" in p for p in _lock_pins())


def test_jupyter_book_is_pinned_below_2():
    jb = next(p for p in _lock_pins() if p.lower().startswith("jupyter-book=="))
    assert jb.split("==")[1].startswith("1.")


def test_toc_is_generated_from_the_chapter_list():
    assert (ROOT / "_toc.yml").read_text() == render_toc()


def test_the_lock_pins_the_installer_the_makefile_bootstraps():
    uv = [p for p in _lock_pins() if p.lower().startswith("uv==")]
    assert len(uv) == 1
    makefile = (ROOT / "Makefile").read_text()
    assert "UV_PIN := $(shell grep -i '^uv==' requirements.lock)" in makefile
    assert "pip install -q -r requirements.lock" in makefile  # the fallback installs the same lock
