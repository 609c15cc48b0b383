"""The cohort: the five canonical tables, read from and written to a folder of Parquet files.

Layout of a cohort folder::

    population.parquet  participants.parquet  survey.parquet  spending.parquet
    registry/part-00000.parquet [, part-00001.parquet, ...]
    manifest.json       (sha256 and rows of every file, source, seed, digests; byte-stable)

A folder is written atomically: into a temporary sibling folder that replaces the old one only
when everything has been written, so a failure leaves the previous cohort untouched.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from trustexp.data import codebook
from trustexp.errors import InvalidData
from trustexp.files import sha256_file

if TYPE_CHECKING:
    from trustexp.config import Params

MANIFEST = "manifest.json"
REGISTRY_DIR = "registry"
LOAD_REGISTRY_MAX_ROWS = 5_000_000
"""Registries up to this many rows are read into pandas by ``read_cohort``; larger stay on disk."""
FRAME_TABLES = ("population", "participants", "survey", "spending")


@dataclass
class Cohort:
    """The five canonical tables (the codebook's ``tables``) and where the registry lives on disk.

    ``registry`` may be empty at national scale; then ``registry_path`` is a glob of Parquet
    files to query with DuckDB (``SELECT ... FROM read_parquet('<registry_path>')``).
    ``source`` is ``"synthetic"`` or ``"raw"``; ``seed`` the generator seed (None for raw data);
    ``meta`` extra provenance written into the manifest (e.g. ``params_digest``).
    """

    population: pd.DataFrame
    participants: pd.DataFrame
    survey: pd.DataFrame
    registry: pd.DataFrame
    spending: pd.DataFrame
    registry_path: str | None = None
    source: str = "synthetic"
    seed: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        """One table by name."""
        if name not in codebook.TABLES:
            raise KeyError(f"unknown table {name!r}; known: {', '.join(codebook.TABLES)}")
        return getattr(self, name)

    @property
    def registry_on_disk(self) -> bool:
        """True when the registry is not held in memory (query ``registry_path`` instead)."""
        return self.registry_path is not None and self.registry.empty and not self.population.empty


def code_digest() -> str:
    """A hash of the data layer's code and codebook (part of the manifest's identity)."""
    h = hashlib.sha256()
    here = Path(__file__).parent
    for path in sorted([*here.glob("*.py"), *here.glob("*.yml")]):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def data_digest(params: Params) -> str:
    """A hash of the parameters that determine the cohort (not the analysis settings)."""
    dumped = params.model_dump(mode="json")
    relevant = {k: dumped[k] for k in ("municipality", "seed", "data", "cohort", "truth")}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    """Write one frame as Parquet with stable bytes (no index, zstd, fixed row groups)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", row_group_size=1_000_000)


@contextlib.contextmanager
def atomic_dir(folder: Path | str) -> Iterator[Path]:
    """Yield a fresh temporary sibling of ``folder``; on success it replaces ``folder``.

    On any exception the temporary folder is removed and ``folder`` is left as it was.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".{folder.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = folder.parent / f".{folder.name}.old-{uuid.uuid4().hex[:8]}"
    if folder.exists():
        folder.rename(old)
    try:
        tmp.rename(folder)
    except BaseException:
        if old.exists():
            old.rename(folder)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def write_manifest(folder: Path, cohort_meta: dict[str, Any]) -> dict[str, Any]:
    """Hash every Parquet file under ``folder`` and write ``manifest.json`` (sorted, no timestamps)."""
    tables: dict[str, Any] = {}
    for table in codebook.TABLES:
        if table == "registry":
            files = sorted((folder / REGISTRY_DIR).glob("*.parquet"))
        else:
            files = [folder / f"{table}.parquet"]
        entry = {"files": {}, "rows": 0}
        for f in files:
            rel = f.relative_to(folder).as_posix()
            entry["files"][rel] = {"sha256": sha256_file(f), "rows": _parquet_rows(f)}
            entry["rows"] += entry["files"][rel]["rows"]
        tables[table] = entry
    manifest = {"format": 1, **cohort_meta, "code_digest": code_digest(), "tables": tables}
    text = json.dumps(manifest, sort_keys=True, indent=2, default=str) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")
    return manifest


def _cohort_meta(cohort: Cohort) -> dict[str, Any]:
    return {"source": cohort.source, "seed": cohort.seed, **cohort.meta}


def write_cohort_into(cohort: Cohort, tmp: Path) -> None:
    """Write the tables of ``cohort`` into an (empty) folder, without the manifest."""
    for table in FRAME_TABLES:
        write_frame(codebook.coerce_canonical(table, cohort.table(table)), tmp / f"{table}.parquet")
    reg_dir = tmp / REGISTRY_DIR
    reg_dir.mkdir(exist_ok=True)
    if cohort.registry_on_disk:
        for i, src in enumerate(sorted(glob.glob(cohort.registry_path or ""))):
            dst = reg_dir / f"part-{i:05d}.parquet"
            if Path(src).resolve() != dst.resolve():  # a streamed registry is written in place
                shutil.copyfile(src, dst)
    else:
        registry = codebook.coerce_canonical("registry", cohort.registry)
        write_frame(registry, reg_dir / "part-00000.parquet")


def write_cohort(cohort: Cohort, folder: Path | str) -> Path:
    """Write ``cohort`` to ``folder`` atomically as Parquet plus ``manifest.json``; return the folder."""
    folder = Path(folder)
    with atomic_dir(folder) as tmp:
        write_cohort_into(cohort, tmp)
        write_manifest(tmp, _cohort_meta(cohort))
    return folder


def read_manifest(folder: Path | str) -> dict[str, Any] | None:
    """The manifest of a cohort folder, or None when there is none (or it is unreadable)."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_cohort(folder: Path | str, load_registry: bool | None = None) -> Cohort:
    """Read a cohort folder written by ``write_cohort`` (or ``trustexp data``).

    ``load_registry``: None reads the registry into pandas only when it has at most
    ``LOAD_REGISTRY_MAX_ROWS`` rows; otherwise ``registry`` is empty and ``registry_path`` is the
    glob for DuckDB. ``registry_path`` is always set.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest is None:
        raise InvalidData(
            f"{folder} is not a cohort folder: {MANIFEST} is missing or unreadable; "
            "run `trustexp data` to create it"
        )
    frames = {}
    for table in FRAME_TABLES:
        path = folder / f"{table}.parquet"
        if not path.is_file():
            raise InvalidData(
                f"cohort folder {folder} lacks {path.name}; run `trustexp data` again"
            )
        frames[table] = codebook.coerce_canonical(table, pd.read_parquet(path))
    reg_glob = str(folder / REGISTRY_DIR / "*.parquet")
    n_reg = int(manifest["tables"]["registry"]["rows"])
    if load_registry is None:
        load_registry = n_reg <= LOAD_REGISTRY_MAX_ROWS
    if load_registry:
        files = sorted(glob.glob(reg_glob))
        parts = [pd.read_parquet(f) for f in files]
        registry = (
            pd.concat(parts, ignore_index=True) if parts else codebook.empty_frame("registry")
        )
        registry = codebook.coerce_canonical("registry", registry)
    else:
        registry = codebook.empty_frame("registry")
    meta = {
        k: v
        for k, v in manifest.items()
        if k not in ("format", "tables", "source", "seed", "code_digest")
    }
    return Cohort(
        registry=registry,
        registry_path=reg_glob,
        source=str(manifest.get("source", "synthetic")),
        seed=manifest.get("seed"),
        meta=meta,
        **frames,
    )
