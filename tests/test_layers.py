"""The layer contract of ``pyproject.toml`` holds, and it would catch a lower layer importing a higher one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(package_parent: Path, config: Path) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(package_parent), "PATH": str(LINT.parent)}
    return subprocess.run(
        [str(LINT), "--config", str(config), "--no-cache"],
        capture_output=True, text=True, env=env, cwd=package_parent, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    """A copy of the package (sources only) and of ``pyproject.toml`` in a scratch folder."""
    if not LINT.is_file():
        pytest.fail(f"lint-imports not installed next to {sys.executable}")
    top = tmp_path_factory.mktemp("layers")
    shutil.copytree(ROOT / "src" / "trustexp", top / "trustexp",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    shutil.copy(ROOT / "pyproject.toml", top / "pyproject.toml")
    return top


def test_the_package_keeps_its_layer_contracts(copy):
    out = _lint(copy, copy / "pyproject.toml")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


@pytest.mark.parametrize(
    ("module", "imported"),
    [
        ("trustexp/stats/proportions.py", "trustexp.chapters.common"),  # statistics -> presentation
        ("trustexp/stats/power.py", "trustexp.fmt"),  # statistics -> formatting (not pure)
        ("trustexp/vocab.py", "trustexp.results"),  # ground -> ground above it
        ("trustexp/charts/balance.py", "trustexp.chapter"),  # presentation -> notebook runtime
    ],
)
def test_a_lower_layer_importing_a_higher_one_breaks_the_contract(copy, tmp_path, module, imported):
    pkg = tmp_path / "pkg"
    shutil.copytree(copy, pkg)
    target = pkg / module
    target.write_text(target.read_text() + f"\nimport {imported}  # noqa: E402, F401\n")
    out = _lint(pkg, pkg / "pyproject.toml")
    assert out.returncode != 0
    assert "BROKEN" in out.stdout or "broken" in out.stdout
    assert imported in out.stdout
