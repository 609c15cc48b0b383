"""Find the headless Chromium the browser tests drive (the Makefile's ``browser-deps`` does the same).

Looked for: ``$TRUSTEXP_CHROMIUM`` (a path or a command name) when set, else ``chromium``
(Debian's package; GitHub's Ubuntu images link it to their preinstalled Chromium), then
``chromium-browser`` (older Ubuntu; GitHub's images link it too). A candidate counts only when
``--version`` answers like a Chromium or Chrome build: on Ubuntu ``chromium-browser`` may be a
shim that only asks to install a snap.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

NAMES = ("chromium", "chromium-browser")
ENV = "TRUSTEXP_CHROMIUM"
_VERSION = re.compile(r"^(Chromium|Google Chrome)\b.*\d+\.\d+", re.MULTILINE)


def answers_as_chromium(path: str) -> bool:
    """True when ``path --version`` exits 0 and names a Chromium or Chrome version."""
    try:
        done = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and bool(_VERSION.search(done.stdout))


def find_chromium(env: Mapping[str, str] | None = None) -> tuple[Path | None, str]:
    """``(path, "")`` of the first working candidate, or ``(None, what was tried)``.

    When ``$TRUSTEXP_CHROMIUM`` is set, only it is tried: an explicit choice is never replaced.
    """
    env = os.environ if env is None else env
    wanted = env.get(ENV, "").strip()
    tried = []
    for name in [wanted] if wanted else NAMES:
        path = shutil.which(name, path=env.get("PATH", os.defpath))
        if path is None:
            tried.append(f"{name}: not found")
        elif not answers_as_chromium(path):
            tried.append(f"{path}: does not answer --version as Chromium")
        else:
            return Path(path), ""
    return None, "; ".join(tried)
