"""Execute the chapter notebooks with papermill: in dependency order, in parallel, cached, atomic.

``run_chapters`` is what ``trustexp run`` calls. Three parts:

- ``keys``: a chapter's cache key (source notebook, the parameter values it read, input data,
  library code, installed environment, its dependencies' keys) and the cache records;
- ``worker``: one chapter executed by papermill in a process (and kernel) of its own, with the
  failing cell named; ``warm``: the preloaded interpreter that forks those workers so the heavy
  imports are paid once per run, not once per chapter;
- ``scheduler``: dependency order, at most ``jobs`` chapters at once, cached chapters settled
  without running, atomic installation of the executed notebooks, failures isolated.
"""

from __future__ import annotations

from trustexp.layout import CACHE_DIRNAME
from trustexp.report.pipeline.keys import (
    ParamSet,
    chapter_keys,
    default_code_dir,
    default_out_dir,
    environment_digest,
    installed_packages,
    library_digest,
)
from trustexp.report.pipeline.scheduler import (
    ChapterResult,
    RunReport,
    default_executor,
    run_chapters,
    start_preloading,
)

__all__ = [
    "CACHE_DIRNAME",
    "ChapterResult",
    "ParamSet",
    "RunReport",
    "chapter_keys",
    "library_digest",
    "default_code_dir",
    "default_executor",
    "default_out_dir",
    "environment_digest",
    "installed_packages",
    "run_chapters",
    "start_preloading",
]
