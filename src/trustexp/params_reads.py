"""Record which parameters a chapter reads, so that only the chapters that read a changed value re-run.

``track(params, sink)`` wraps a validated parameter set (any pydantic model) in a read-through
view: reading a field gives the real value and tells ``sink`` its dotted path
(``"analysis.n_permutations"``); a nested model comes back wrapped, so the path of the leaf is
what is recorded. Anything that may depend on more than a single field — a method such as
``model_dump`` or ``digest``, ``repr``, equality, iteration — records the whole object's path
(``""`` for the whole set), which is always safe. ``isinstance(view, Params)`` stays true.

The pipeline passes a file name in ``TRUSTEXP_PARAMS_READS``; ``sink_to_file`` appends each new
path to it (one per line), and the pipeline keys the chapter on the values of those paths.
Written by hand because no library records attribute reads on pydantic models.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

ENV_VAR = "TRUSTEXP_PARAMS_READS"
PATH_ONLY = {"layout": "name", "cohort_dir": "name", "results_dir": "name"}
"""Methods whose result depends on one field only: recorded as that field, not the whole set."""


class TrackedModel:
    """A read-recording view of a pydantic model (see the module docstring)."""

    __slots__ = ("_tracked_obj", "_tracked_path", "_tracked_sink")

    def __init__(self, obj: BaseModel, path: str, sink: Callable[[str], None]) -> None:
        object.__setattr__(self, "_tracked_obj", obj)
        object.__setattr__(self, "_tracked_path", path)
        object.__setattr__(self, "_tracked_sink", sink)

    def _child(self, name: str) -> str:
        return f"{self._tracked_path}.{name}" if self._tracked_path else name

    def __getattr__(self, name: str) -> Any:
        obj = self._tracked_obj
        value = getattr(obj, name)
        if name in type(obj).model_fields:
            if isinstance(value, BaseModel):
                return TrackedModel(value, self._child(name), self._tracked_sink)
            self._tracked_sink(self._child(name))
            return value
        if name in PATH_ONLY and not self._tracked_path:
            self._tracked_sink(PATH_ONLY[name])
        else:
            self._tracked_sink(self._tracked_path)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"parameters are read-only (tried to set {self._child(name)!r})")

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # isinstance(view, Params) is True
        return type(self._tracked_obj)

    def untracked(self) -> BaseModel:
        """The wrapped model itself (its reads are not recorded: the whole object counts as read)."""
        self._tracked_sink(self._tracked_path)
        return self._tracked_obj

    def __repr__(self) -> str:
        self._tracked_sink(self._tracked_path)
        return repr(self._tracked_obj)

    def __eq__(self, other: object) -> bool:
        self._tracked_sink(self._tracked_path)
        if isinstance(other, TrackedModel):
            other = other.untracked()
        return self._tracked_obj == other

    def __hash__(self) -> int:
        self._tracked_sink(self._tracked_path)
        return hash(self._tracked_obj)

    def __iter__(self):
        self._tracked_sink(self._tracked_path)
        return iter(self._tracked_obj)

    def __reduce_ex__(self, protocol: int):  # pickles as the model itself (e.g. to a worker)
        self._tracked_sink(self._tracked_path)
        return (_same, (self._tracked_obj,))


def _same(obj: Any) -> Any:
    return obj


def track(params: BaseModel, sink: Callable[[str], None]) -> Any:
    """A view of ``params`` that calls ``sink(path)`` for every field path read (see module doc)."""
    return TrackedModel(params, "", sink)


def sink_to_file(path: Path | str) -> Callable[[str], None]:
    """A sink that appends each path it has not seen before to ``path`` (one per line)."""
    seen: set[str] = set()
    target = Path(path)

    def sink(read: str) -> None:
        if read in seen:
            return
        seen.add(read)
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(read + "\n")

    return sink


def tracked_from_env(params: BaseModel) -> Any:
    """``params`` wrapped to record reads into ``$TRUSTEXP_PARAMS_READS``; as is when it is unset."""
    target = os.environ.get(ENV_VAR)
    return track(params, sink_to_file(target)) if target else params


def read_paths(path: Path | str) -> list[str] | None:
    """The recorded paths (sorted, unique), ``None`` when nothing was recorded."""
    target = Path(path)
    if not target.is_file():
        return None
    return sorted(set(target.read_text(encoding="utf-8").splitlines()))
