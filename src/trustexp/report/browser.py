"""A headless Chromium on the built book: find the browser, serve a folder on 127.0.0.1, open pages.

Used by the PDF step of ``trustexp build`` and by the browser tests. Debian's Chromium is driven
by Playwright (``playwright install`` cannot download its own browser here); the book is served on
a free local port and every request to another host is aborted, so a page that would need the
network shows it.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
CHART_SELECTOR = ".trustexp-chart, .vega-embed"


# Looked for: ``$TRUSTEXP_CHROMIUM`` (a path or a command name) when set, else ``chromium`` (Debian's
# package; GitHub's Ubuntu images link it to their preinstalled Chromium), then ``chromium-browser``.
# A candidate counts only when ``--version`` answers like a Chromium or Chrome build: on Ubuntu
# ``chromium-browser`` may be a shim that only asks to install a snap. The Makefile's
# ``browser-deps`` looks the same way.
CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMIUM_ENV = "TRUSTEXP_CHROMIUM"
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
    wanted = env.get(CHROMIUM_ENV, "").strip()
    tried = []
    for name in [wanted] if wanted else CHROMIUM_NAMES:
        path = shutil.which(name, path=env.get("PATH", os.defpath))
        if path is None:
            tried.append(f"{name}: not found")
        elif not answers_as_chromium(path):
            tried.append(f"{path}: does not answer --version as Chromium")
        else:
            return Path(path), ""
    return None, "; ".join(tried)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder quietly, records every response, answers Chromium's favicon probe."""

    def log_message(self, *args) -> None:  # noqa: D102 - silence the default stderr log
        pass

    def send_response(self, code: int, message: str | None = None) -> None:  # noqa: D102
        self.server.responses.append((urlsplit(self.path).path, code))  # type: ignore[attr-defined]
        super().send_response(code, message)

    def do_GET(self) -> None:  # noqa: D102, N802
        if (
            urlsplit(self.path).path == "/favicon.ico"
            and not Path(self.directory, "favicon.ico").exists()
        ):
            self.send_response(204)
            self.end_headers()
            return
        super().do_GET()


class _QuietServer(http.server.ThreadingHTTPServer):
    """A browser that drops a connection mid-file (navigating on) is no error worth a traceback."""

    def handle_error(self, request, client_address) -> None:  # noqa: D102
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


@contextmanager
def serve(folder: Path) -> Iterator[http.server.ThreadingHTTPServer]:
    """Serve ``folder`` on 127.0.0.1 (a free port) in a thread; ``server.url`` is its base URL."""
    httpd = _QuietServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    httpd.responses = []  # type: ignore[attr-defined]
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/"  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextmanager
def chromium(
    executable: Path, viewport: tuple[int, int] = (1280, 900), home: Path | None = None
) -> Iterator[object]:
    """A Playwright browser context of headless Chromium with its own throw-away profile.

    ``home`` (default: a temporary folder, removed afterwards) receives the profile and the
    caches Chromium writes, so nothing lands in the user's home folder.
    """
    with tempfile.TemporaryDirectory(prefix="trustexp-chromium-") as tmp:
        base = Path(home) if home else Path(tmp)
        env = {**os.environ, "HOME": str(base), "XDG_CONFIG_HOME": str(base / "config")}
        env["XDG_CACHE_HOME"] = str(base / "cache")
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                str(base / "profile"),
                executable_path=str(executable),
                headless=True,
                args=list(LAUNCH_ARGS),
                env=env,
                viewport={"width": viewport[0], "height": viewport[1]},
            )
            try:
                yield context
            finally:
                context.close()


def offline_page(context, base_url: str):
    """A new page that may only load from ``base_url``'s host; returns ``(page, foreign_urls)``."""
    page = context.new_page()
    host = urlsplit(base_url).netloc
    foreign: list[str] = []

    def route(r) -> None:
        url = r.request.url
        if urlsplit(url).netloc == host or url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            foreign.append(url)
            r.abort()

    page.route("**/*", route)
    return page, foreign


def wait_for_charts(page, timeout_ms: int = 20_000) -> int:
    """Wait until every chart container holds a drawn SVG or canvas; return the number of charts.

    Returns quietly when the time runs out (the caller checks what was drawn).
    """
    n = page.evaluate(f"() => document.querySelectorAll('{CHART_SELECTOR}').length")
    if n:
        try:
            page.wait_for_function(
                f"""() => [...document.querySelectorAll('{CHART_SELECTOR}')].every(
                       el => el.querySelector('svg, canvas'))""",
                timeout=timeout_ms,
            )
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError; the caller reports it
            pass
    return n
