"""Hashing and atomic file writes: the one place that does either (standard library only).

Every module that fingerprints files (cache keys, the cohort manifest, the book's build key) or
writes a file that must never be seen half-written (executed chapters, cache records, generated
pages) calls these. An atomic write goes to a hidden temporary file in the destination folder and
is then renamed over the destination (``os.replace``), so a reader sees the old bytes or the new
ones, never a mixture; across file systems the bytes are first copied next to the destination.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

_BLOCK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    """The sha256 hex digest of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path | str) -> str:
    """The sha256 hex digest of a file, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            h.update(block)
    return h.hexdigest()


def sha256_file_or_none(path: Path | str) -> str | None:
    """``sha256_file`` of an existing file, ``None`` when there is no such file."""
    return sha256_file(path) if Path(path).is_file() else None


def tree_files(folder: Path, keep: Callable[[Path], bool] = lambda _p: True) -> list[Path]:
    """Files under ``folder`` (recursively, sorted) that ``keep`` accepts; ``__pycache__`` skipped."""
    return sorted(
        p
        for p in Path(folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and keep(p)
    )


def files_digest(files: Iterable[Path], base: Path) -> str:
    """sha256 over ``files``: each file's path relative to ``base`` and its bytes, length-prefixed.

    The order given is the order hashed (pass sorted paths); length prefixes keep ``ab``+``c``
    apart from ``a``+``bc``.
    """
    h = hashlib.sha256()
    for path in files:
        rel = Path(path).relative_to(base).as_posix().encode()
        h.update(len(rel).to_bytes(8, "big") + rel)
        size = Path(path).stat().st_size
        h.update(size.to_bytes(8, "big"))
        with open(path, "rb") as fh:
            for block in iter(lambda fh=fh: fh.read(_BLOCK), b""):
                h.update(block)
    return h.hexdigest()


def tree_digest(folder: Path, suffixes: tuple[str, ...] | None = None) -> str:
    """``files_digest`` of every file under ``folder`` (only ``suffixes`` when given)."""
    folder = Path(folder)

    def keep(p: Path) -> bool:
        return suffixes is None or p.suffix in suffixes

    return files_digest(tree_files(folder, keep), folder)


def _temp_beside(path: Path) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(tmp)


def write_atomic(data: bytes | str, path: Path | str) -> None:
    """Write ``data`` (bytes, or text as UTF-8) to ``path`` atomically; create the folder."""
    path = Path(path)
    blob = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_beside(path)
    try:
        tmp.write_bytes(blob)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def move_atomic(src: Path | str, dst: Path | str) -> None:
    """Move the file ``src`` onto ``dst`` atomically, also across file systems; create the folder.

    On one file system this is a rename. Across file systems (``EXDEV``) the bytes are copied to a
    temporary file beside ``dst``, renamed over it, and only then is ``src`` removed.
    """
    src, dst = Path(src), Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dst)
        return
    except OSError as err:
        if err.errno != errno.EXDEV:
            raise
    tmp = _temp_beside(dst)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    src.unlink(missing_ok=True)
