"""Chapter cache keys and cache records: when may a chapter's last executed notebook be reused?

A chapter's key is a sha256 over canonical JSON of the parts it was made from:

- ``notebook``: the source notebook's bytes;
- ``params_file``: the string passed to the notebook;
- ``params``: the values of the parameter paths the chapter *read* in its last successful run
  (recorded by ``trustexp.chapter`` through ``trustexp.params_reads``), or the digest of the whole
  set when no reads are known (first run, or a notebook that does not open a ``Chapter``);
- ``data``: the cohort manifest's bytes (it stands for the data and everything that made them);
- ``code``: the library code (``*.py``, ``*.yml`` of the ``trustexp`` package);
- ``environment``: the installed distributions as they are (``name==version``, sorted) with the
  Python version and implementation — not the lock file, which may differ from what is installed;
- ``deps``: the keys of the chapters it reads.

After a successful run the record stores the key recomputed with the reads just observed, so the
next run, which keys on the same reads, finds it; a change to a parameter the chapter never read
leaves its key alone.
"""

from __future__ import annotations

import json
import platform
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from trustexp.errors import TrustexpError
from trustexp.files import sha256_bytes, sha256_file_or_none, tree_digest, write_atomic
from trustexp.layout import Layout
from trustexp.report.contents import ChapterSpec

KEY_RECIPE = 2
CODE_SUFFIXES = (".py", ".yml")
INSTALLERS = frozenset({"pip", "uv"})
"""Left out of the environment digest: they install packages, no chapter imports them, and
``make install`` may upgrade pip on its own."""


@dataclass(frozen=True)
class ParamSet:
    """What the pipeline needs from a parameter set: its name, digest, values and folders."""

    name: str
    digest: str
    cohort_dir: Path
    results_dir: Path
    values: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    cache_dir: Path | None = field(default=None, compare=False)

    @classmethod
    def load(cls, params_file: str | Path, root: Path = Path(".")) -> ParamSet:
        """Validate ``params_file`` (relative paths are relative to ``root``) with ``load_params``."""
        from trustexp.config import load_params

        path = Path(params_file)
        params = load_params(path if path.is_absolute() else Path(root) / path)
        return cls.of(params, root)

    @classmethod
    def of(cls, params: Any, root: Path = Path(".")) -> ParamSet:
        """The pipeline's view of validated ``Params`` in project ``root``."""
        layout = params.layout(root)
        return cls(
            params.name,
            params.digest(),
            layout.cohort_dir,
            layout.results_dir,
            values=params.model_dump(mode="json"),
            cache_dir=layout.cache_dir,
        )

    @property
    def manifest(self) -> Path:
        """The cohort manifest whose bytes stand for the input data in cache keys."""
        return self.cohort_dir / "manifest.json"


def default_out_dir(root: Path, name: str) -> Path:
    """Where a set's executed chapters go (``Layout.chapters_dir``)."""
    return Layout(root, name).chapters_dir


def default_code_dir() -> Path:
    """The folder of the ``trustexp`` package the kernels import (``src/trustexp``)."""
    import trustexp

    return Path(trustexp.__file__).resolve().parent


def library_digest(code_dir: Path) -> str:
    """Digest of the library code: every ``*.py`` / ``*.yml`` under ``code_dir`` (no bytecode)."""
    return tree_digest(code_dir, CODE_SUFFIXES)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_packages() -> list[str]:
    """Sorted ``name==version`` of every distribution importable here (installers left out)."""
    found = set()
    for dist in metadata.distributions():
        name = dist.metadata["Name"] if dist.metadata else None
        if name and _canonical(name) not in INSTALLERS:
            found.add(f"{_canonical(name)}=={dist.version}")
    return sorted(found)


def environment_digest() -> str:
    """Digest of the environment chapters execute in: installed packages, Python version and build."""
    blob = {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "packages": installed_packages(),
    }
    return sha256_bytes(json.dumps(blob, sort_keys=True).encode())


def topological(chapters: Sequence[ChapterSpec]) -> list[ChapterSpec]:
    """Chapters in an order where each comes after its deps; refuse unknown deps and cycles."""
    by_key: dict[str, ChapterSpec] = {}
    for spec in chapters:
        if spec.key in by_key:
            raise TrustexpError(f"chapter key {spec.key!r} is declared twice")
        by_key[spec.key] = spec
    for spec in chapters:
        unknown = [d for d in spec.deps if d not in by_key]
        if unknown:
            raise TrustexpError(
                f"chapter {spec.key!r} depends on unknown chapter(s) {', '.join(unknown)}; "
                f"known: {', '.join(by_key)}"
            )
    order: list[ChapterSpec] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(key: str, path: tuple[str, ...]) -> None:
        if state.get(key) == 2:
            return
        if state.get(key) == 1:
            raise TrustexpError(f"chapter dependencies form a cycle: {' -> '.join((*path, key))}")
        state[key] = 1
        for dep in by_key[key].deps:
            visit(dep, (*path, key))
        state[key] = 2
        order.append(by_key[key])

    for spec in chapters:
        visit(spec.key, ())
    return order


# --------------------------------------------------------------------------- parameter reads

_MISSING = "<not in this parameter set>"


def read_value(values: Mapping[str, Any], path: str) -> Any:
    """The (JSON) value at a dotted parameter ``path``; ``""`` is the whole set."""
    node: Any = values
    for part in path.split(".") if path else ():
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def params_part(param_set: ParamSet, reads: Sequence[str] | None) -> dict[str, Any]:
    """The ``params`` key part: values of the read paths, or the digest of the whole set."""
    if reads is None or param_set.values is None:
        return {"digest": param_set.digest}
    return {"read": {path: read_value(param_set.values, path) for path in sorted(set(reads))}}


def _key(parts: dict[str, Any]) -> str:
    return sha256_bytes(json.dumps(parts, sort_keys=True, separators=(",", ":")).encode())


@dataclass(frozen=True)
class KeyInputs:
    """The parts shared by every chapter of a run (computed once)."""

    params_file: str
    param_set: ParamSet
    data: str | None
    code: str
    environment: str

    @classmethod
    def gather(cls, params_file: str, param_set: ParamSet, code_dir: Path) -> KeyInputs:
        """Read the manifest, hash the code and the environment."""
        return cls(
            str(params_file),
            param_set,
            sha256_file_or_none(param_set.manifest),
            library_digest(code_dir),
            environment_digest(),
        )

    def key(
        self,
        spec: ChapterSpec,
        notebook_digest: str,
        deps: Mapping[str, str],
        reads: Sequence[str] | None,
    ) -> dict[str, Any]:
        """``{"key", "parts"}`` of one chapter."""
        parts = {
            "recipe": KEY_RECIPE,
            "notebook": notebook_digest,
            "params_file": self.params_file,
            "params": params_part(self.param_set, reads),
            "data": self.data,
            "code": self.code,
            "environment": self.environment,
            "deps": {dep: deps[dep] for dep in spec.deps},
        }
        return {"key": _key(parts), "parts": parts}


def chapter_keys(
    chapters: Sequence[ChapterSpec],
    *,
    notebooks_dir: Path,
    params_file: str,
    param_set: ParamSet,
    code_dir: Path,
    reads: Mapping[str, Sequence[str] | None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Cache key of every chapter with the parts it was made from: ``{chapter: {"key", "parts"}}``.

    ``reads`` gives each chapter's parameter reads; by default they are those recorded in
    ``param_set.cache_dir`` (none when the set has no cache folder).
    """
    if reads is None:
        reads = previous_reads(param_set.cache_dir, chapters) if param_set.cache_dir else {}
    inputs = KeyInputs.gather(params_file, param_set, code_dir)
    keys: dict[str, dict[str, Any]] = {}
    for spec in topological(chapters):
        notebook = sha256_bytes((notebooks_dir / spec.notebook).read_bytes())
        deps = {dep: keys[dep]["key"] for dep in spec.deps}
        keys[spec.key] = inputs.key(spec, notebook, deps, reads.get(spec.key))
    return keys


# --------------------------------------------------------------------------- cache records


def record_file(cache_dir: Path, key: str) -> Path:
    """The record of a chapter's last successful run."""
    return cache_dir / f"{key}.json"


def load_record(path: Path) -> dict[str, Any]:
    """A cache record, or ``{}`` when missing or unreadable."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def previous_reads(
    cache_dir: Path | None, chapters: Sequence[ChapterSpec]
) -> dict[str, list[str] | None]:
    """The parameter paths each chapter read in its last successful run (``None``: unknown)."""
    if cache_dir is None:
        return {}
    out: dict[str, list[str] | None] = {}
    for spec in chapters:
        reads = load_record(record_file(cache_dir, spec.key)).get("params_read")
        out[spec.key] = list(reads) if isinstance(reads, list) else None
    return out


def is_cached(record: Mapping[str, Any], key: str, out_file: Path, results_file: Path) -> bool:
    """Same key as the last successful run, and what that run produced is still in place."""
    if not record or record.get("key") != key:
        return False
    if sha256_file_or_none(out_file) != record.get("output_sha256"):
        return False
    return not record.get("results") or results_file.is_file()


def write_record(path: Path, record: Mapping[str, Any]) -> None:
    """Write a cache record atomically (indented, sorted keys)."""
    write_atomic(json.dumps(record, indent=1, sort_keys=True) + "\n", path)
