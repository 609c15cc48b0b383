"""What the scheduler hands a worker process: one chapter's job (a small JSON file)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Job:
    """Everything a worker process needs to execute one chapter (JSON-serialisable)."""

    chapter: str
    source: str
    output: str
    params_file: str
    cwd: str
    env: dict[str, str]
    log_file: str
    result_file: str
    start_timeout: float

    @property
    def job_file(self) -> Path:
        """Where the scheduler writes this job for the worker process to read."""
        return Path(self.output[: -len(".ipynb")] + ".job.json")

    def write(self) -> Path:
        """Write the job file; return its path."""
        self.job_file.write_text(json.dumps(asdict(self)), encoding="utf-8")
        return self.job_file

    @classmethod
    def read(cls, path: Path | str) -> Job:
        """Read a job file."""
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))
