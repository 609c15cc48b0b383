"""Hashing and atomic writes (``trustexp.files``), checked against hashlib and the file system."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustexp import files


@given(st.binary(max_size=3 * (1 << 20) // 2))
def test_sha256_of_bytes_and_files_is_hashlibs(data: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.bin"
        path.write_bytes(data)
        expected = hashlib.sha256(data).hexdigest()
        assert files.sha256_bytes(data) == expected
        assert files.sha256_file(path) == expected
        assert files.sha256_file_or_none(path) == expected
        assert files.sha256_file_or_none(Path(tmp) / "missing") is None


def test_tree_digest_covers_names_and_bytes_but_not_bytecode(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("A = 1\n")
    (tmp_path / "b.yml").write_text("b: 2\n")
    before = files.tree_digest(tmp_path, (".py", ".yml"))
    # the documented layout: per file, length-prefixed relative path and bytes, sorted by path
    h = hashlib.sha256()
    for rel, data in ((b"b.yml", b"b: 2\n"), (b"pkg/a.py", b"A = 1\n")):
        h.update(len(rel).to_bytes(8, "big") + rel + len(data).to_bytes(8, "big") + data)
    assert before == h.hexdigest()

    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.py").write_text("junk")
    (tmp_path / "notes.txt").write_text("not code")
    assert files.tree_digest(tmp_path, (".py", ".yml")) == before
    (tmp_path / "pkg" / "a.py").rename(tmp_path / "pkg" / "c.py")  # same bytes, other name
    assert files.tree_digest(tmp_path, (".py", ".yml")) != before


def test_write_atomic_writes_bytes_and_text_and_leaves_nothing_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "new" / "out.txt"
    files.write_atomic("één\n", target)
    assert target.read_bytes() == "één\n".encode()
    files.write_atomic(b"\x00\x01", target)
    assert target.read_bytes() == b"\x00\x01"

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        files.write_atomic(b"half", target)
    assert target.read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.txt"]


def test_move_atomic_across_file_systems_copies_then_renames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, dst = tmp_path / "src.bin", tmp_path / "dest" / "dst.bin"
    src.write_bytes(b"payload")
    real_replace = os.replace
    calls = []

    def cross_device(a, b):
        calls.append((Path(a).name, Path(b).name))
        if Path(a) == src:  # a rename from the other "file system" is refused
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_replace(a, b)

    monkeypatch.setattr(os, "replace", cross_device)
    files.move_atomic(src, dst)
    assert dst.read_bytes() == b"payload" and not src.exists()
    assert calls[0] == ("src.bin", "dst.bin") and calls[1][1] == "dst.bin"
    assert sorted(p.name for p in dst.parent.iterdir()) == ["dst.bin"]


def test_move_atomic_reraises_other_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        files.move_atomic(tmp_path / "missing", tmp_path / "dst")
