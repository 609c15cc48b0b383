import subprocess
import sys
from pathlib import Path

import pytest

from trustexp.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert "usage: trustexp" in capsys.readouterr().out


def test_module_and_console_script_both_answer():
    for cmd in (
        [sys.executable, "-m", "trustexp", "--help"],
        [str(Path(sys.executable).with_name("trustexp")), "--help"],
    ):
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        assert "data" in out and "run" in out and "build" in out


def test_bad_parameter_set_exits_non_zero_naming_the_key(tmp_path, capsys):
    bad = tmp_path / "bad.yml"
    bad.write_text((ROOT / "params/oss.yml").read_text().replace("seed:", "sede:"))
    assert main(["data", "--params", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "sede: unknown key" in err and "seed: required key is missing" in err


def test_validate_reports_a_missing_folder(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_build_without_executed_chapters_says_what_to_run(tmp_path, capsys, monkeypatch):
    (tmp_path / "params").mkdir()
    (tmp_path / "params/x.yml").write_text("name: x\nmunicipality: X\nseed: 1\n")
    monkeypatch.chdir(tmp_path)
    assert main(["build", "--params", "params/x.yml"]) == 2
    assert "trustexp run" in capsys.readouterr().err
