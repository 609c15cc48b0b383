"""The browser tests and ``make browser-deps`` find Chromium by the same rules (tests/chromium.py).

Fake browsers are small scripts in a temporary PATH: one answering like GitHub's image
(``chromium-browser`` only), one like Ubuntu's snap shim (a ``chromium-browser`` that exits 1
asking for a snap), and ``$TRUSTEXP_CHROMIUM`` pointing elsewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from trustexp.report.browser import find_chromium

ROOT = Path(__file__).resolve().parents[1]
REAL = "#!/bin/sh\necho 'Chromium 142.0.7444.59 built on Ubuntu 24.04'\n"
CHROME = "#!/bin/sh\necho 'Google Chrome 142.0.7444.59 '\n"
SNAP_SHIM = (
    "#!/bin/sh\necho \"Command '/usr/bin/chromium-browser' requires the chromium snap to be "
    'installed." >&2\nexit 1\n'
)


def _fake(folder: Path, name: str, script: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(script)
    path.chmod(0o755)
    return path


def _env(path_dirs: list[Path], **extra: str) -> dict[str, str]:
    """A PATH of ``path_dirs`` plus only the tools the Makefile recipe needs (no real browser)."""
    tools = path_dirs[0].parent / "tools" if path_dirs else Path(extra.pop("tools"))
    tools.mkdir(parents=True, exist_ok=True)
    for tool in ("grep", "id"):
        link = tools / tool
        if not link.exists():
            link.symlink_to(shutil.which(tool))
    return {"PATH": ":".join([*map(str, path_dirs), str(tools)]), **extra}


def test_chromium_browser_is_found_when_chromium_is_missing(tmp_path):
    fake = _fake(tmp_path / "bin", "chromium-browser", REAL)
    assert find_chromium(_env([tmp_path / "bin"])) == (fake, "")


def test_chromium_comes_before_chromium_browser(tmp_path):
    first = _fake(tmp_path / "bin", "chromium", REAL)
    _fake(tmp_path / "bin", "chromium-browser", REAL)
    assert find_chromium(_env([tmp_path / "bin"]))[0] == first


def test_a_snap_shim_is_not_taken_for_a_browser(tmp_path):
    shim = _fake(tmp_path / "shim", "chromium", SNAP_SHIM)
    real = _fake(tmp_path / "real", "chromium-browser", REAL)
    found, _ = find_chromium(_env([tmp_path / "shim", tmp_path / "real"]))
    assert found == real and found != shim


def test_trustexp_chromium_wins_and_is_the_only_one_tried(tmp_path):
    _fake(tmp_path / "bin", "chromium", REAL)
    chrome = _fake(tmp_path / "opt", "google-chrome", CHROME)
    env = _env([tmp_path / "bin"], TRUSTEXP_CHROMIUM=str(chrome))
    assert find_chromium(env) == (chrome, "")
    env["TRUSTEXP_CHROMIUM"] = str(tmp_path / "missing")
    found, tried = find_chromium(env)
    assert found is None and "missing: not found" in tried


def _browser_deps(env: dict[str, str]) -> str:
    done = subprocess.run(
        [shutil.which("make"), "-s", "--no-print-directory", "browser-deps"],
        cwd=ROOT,
        env={**env, "HOME": os.environ.get("HOME", "/tmp")},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_make_browser_deps_finds_the_same_browser_without_installing(tmp_path):
    fake = _fake(tmp_path / "bin", "chromium-browser", REAL)
    _fake(tmp_path / "shim", "chromium", SNAP_SHIM)
    out = _browser_deps(_env([tmp_path / "shim", tmp_path / "bin"]))
    assert out.strip() == f"browser tests: {fake}"
    chrome = _fake(tmp_path / "opt", "google-chrome", CHROME)
    out = _browser_deps(_env([tmp_path / "shim"], TRUSTEXP_CHROMIUM=str(chrome)))
    assert out.strip() == f"browser tests: {chrome}"


def test_make_browser_deps_never_installs_over_an_explicit_choice(tmp_path):
    env = _env([], tools=str(tmp_path / "tools"), TRUSTEXP_CHROMIUM=str(tmp_path / "missing"))
    out = _browser_deps(env)
    assert "does not run as Chromium" in out and "installing" not in out
