"""The default book as a reader meets it: headless Chromium, offline, every page.

Tests the HTML that ``make book`` built into ``book/_build/html`` (``make test`` builds it before
pytest). The book is served on 127.0.0.1; any request to another host is aborted and reported.
For every page: no console error (except two known, harmless messages of Jupyter Book 1, matched
by exact text), no failed request, every chart drawn, every internal link resolving. The search
page must find each chapter by a word of its title. A screenshot of every page is saved under
``book/_build/test-output/browser/`` (or ``$TRUSTEXP_TEST_OUTPUT/browser``). The reader's edition:
no serious or critical axe-core violation on any page (charts included), every chart fitting its
column and named at 1280 and at 390 px, every source key linked to its entry, light colours even
for a reader who prefers dark, the Dutch page marked Dutch (checks in ``tests/browser_checks.py``,
which also measures what still fails: run it as a script).

Skipped, with the reason, when Chromium, Playwright or the built book is missing; with ``CI=true``
those are failures instead.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import browser_checks
import nbformat
import pytest
from axe_playwright_python.sync_playwright import Axe

from trustexp.report.browser import CHROMIUM_ENV, find_chromium, serve
from trustexp.report.contents import CHAPTERS

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("TRUSTEXP_BOOK_HTML", ROOT / "book" / "_build" / "html"))
OUTPUT = Path(os.environ.get("TRUSTEXP_TEST_OUTPUT", ROOT / "book" / "_build" / "test-output"))
CI = os.environ.get("CI", "").lower() == "true"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Jupyter Book 1 logs these on every page (sphinx-thebe's script is included twice even with
# thebe off; the pydata theme finds no stored theme mode in a fresh profile). Exact texts only.
KNOWN_CONSOLE_NOISE = frozenset(
    {
        "Identifier 'THEBE_JS_URL' has already been declared",
        "Got invalid theme mode: . Resetting to auto.",
    }
)
CHART_SELECTOR = ".trustexp-chart, .vega-embed"
SKIP_PAGES = {"genindex.html"}  # Sphinx's generated index (empty: the book defines no entries)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _unavailable(reason: str) -> None:
    if CI:
        pytest.fail(f"{reason} (CI=true: browser tests may not be skipped)")
    pytest.skip(reason)


def _pages() -> list[str]:
    if not (HTML / "index.html").is_file():
        return []
    return sorted(
        p.relative_to(HTML).as_posix()
        for p in HTML.rglob("*.html")
        if not {"_static", "_sources", "_images"} & set(p.relative_to(HTML).parts)
        and p.name not in SKIP_PAGES
    )


PAGES = _pages()


# --------------------------------------------------------------------------- server and browser


@pytest.fixture(scope="module")
def server():
    """The built book on 127.0.0.1, a free port, in a thread."""
    if not (HTML / "index.html").is_file():
        _unavailable(f"no built book at {HTML}: run `make book` first")
    with serve(HTML) as httpd:
        yield httpd


@pytest.fixture(scope="module")
def playwright():
    """One Playwright driver for the module (the sync API allows one at a time)."""
    if find_chromium()[0] is None:
        _unavailable(
            f"no Chromium found ({find_chromium()[1]}); Debian: apt-get install chromium, "
            f"or set {CHROMIUM_ENV} to a Chromium or Chrome binary"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install playwright)")
    with sync_playwright() as pw:
        yield pw


def _context(pw, tmp_path_factory, viewport: tuple[int, int]):
    """Headless Debian Chromium (no browser download) with its own profile, one viewport."""
    home = tmp_path_factory.mktemp("chromium-home")
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config")}
    env["XDG_CACHE_HOME"] = str(home / "cache")
    context = pw.chromium.launch_persistent_context(
        str(home / "profile"),
        executable_path=str(find_chromium()[0]),
        headless=True,
        args=LAUNCH_ARGS,
        env=env,
        viewport={"width": viewport[0], "height": viewport[1]},
    )
    yield context
    context.close()


@pytest.fixture(scope="module")
def browser(playwright, tmp_path_factory):
    """The desktop browser (1280 x 900)."""
    yield from _context(playwright, tmp_path_factory, (1280, 900))


@pytest.fixture(scope="module")
def shots() -> Path:
    """Folder for the screenshots (emptied at the start of the run)."""
    folder = OUTPUT / "browser"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


class Visit:
    """What happened while one page was open: console errors, failed and foreign requests."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.foreign: list[str] = []


def _open(context, server, path: str):
    """A fresh page with offline routing and listeners; returns (page, visit)."""
    visit = Visit()
    page = context.new_page()
    host = f"127.0.0.1:{server.server_address[1]}"

    def route(r):
        if urlsplit(r.request.url).netloc == host or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            visit.foreign.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on(
        "console",
        lambda m: (
            m.type == "error" and m.text not in KNOWN_CONSOLE_NOISE and visit.errors.append(m.text)
        ),
    )
    page.on(
        "pageerror",
        lambda e: (
            str(e.message) not in KNOWN_CONSOLE_NOISE
            and visit.errors.append(f"uncaught: {e.message}")
        ),
    )
    page.on(
        "requestfailed",
        lambda r: r.url not in visit.foreign and visit.failed.append(f"{r.url}: {r.failure}"),
    )
    page.on(
        "response", lambda r: r.status >= 400 and visit.failed.append(f"{r.url}: HTTP {r.status}")
    )
    return page, visit


def _close(page, visit: Visit, server) -> None:
    page.close()
    bad = [path for path, code in server.responses if code >= 400]
    server.responses.clear()
    visit.failed += [
        f"server answered {p} with an error" for p in bad if not any(p in f for f in visit.failed)
    ]


def _chart_count_in_notebook(stem: str) -> int | None:
    """Charts (HTML outputs of ``ch.show``) in the committed executed notebook of a chapter page."""
    path = ROOT / "book" / "chapters" / f"{stem}.ipynb"
    if not path.is_file():
        return None
    nb = nbformat.read(path, as_version=4)
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or {"remove-output", "remove-cell"} & set(
            cell.metadata.get("tags", [])
        ):
            continue
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html", "")
            count += len(re.findall(r'class="trustexp-chart"', "".join(html)))
    return count


def _resolve(url: str, base: str) -> tuple[Path, str] | None:
    """The built file and fragment an internal link points to (None for other hosts)."""
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != urlsplit(base).netloc:
        return None
    path = unquote(parts.path).lstrip("/") or "index.html"
    target = HTML / path
    if target.is_dir():
        target = target / "index.html"
    return target, parts.fragment


# --------------------------------------------------------------------------- tests


def test_the_book_has_a_page_for_every_chapter():
    if not PAGES:
        _unavailable(f"no built book at {HTML}: run `make book` first")
    for spec in CHAPTERS:
        page = f"chapters/{Path(spec.notebook).stem}.html"
        assert page in PAGES, f"chapter {spec.key!r} has no page {page} in {HTML}"


@pytest.mark.parametrize("path", PAGES or ["(no built book)"])
def test_page_loads_offline_without_errors_and_draws_every_chart(path, server, browser, shots):
    if not PAGES:
        _unavailable(f"no built book at {HTML}: run `make book` first")
    page, visit = _open(browser, server, path)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    page.goto(base + path, wait_until="load")
    page.wait_for_load_state("networkidle")
    n_charts = page.evaluate("() => document.querySelectorAll('.trustexp-chart').length")
    if n_charts:
        try:
            page.wait_for_function(
                """() => [...document.querySelectorAll('.trustexp-chart')].every(
                       el => el.querySelector('svg, canvas'))""",
                timeout=20_000,
            )
        except Exception:
            pass  # reported below, container by container
    undrawn = page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)]
              .filter(el => {
                  const g = el.querySelector('svg, canvas');
                  if (!g) return true;
                  const r = g.getBoundingClientRect();
                  return r.width < 20 || r.height < 20;
              })
              .map(el => (el.id || el.className) + ': ' + el.innerText.slice(0, 120))""",
        CHART_SELECTOR,
    )
    errors_shown = page.locator(".trustexp-chart-error").all_inner_texts()
    links = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
    name = path.replace("/", "__").removesuffix(".html")
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    url = page.url
    _close(page, visit, server)

    problems = [f"console error: {e}" for e in visit.errors]
    problems += [f"failed request: {f}" for f in visit.failed]
    problems += [f"request to another host (aborted): {u}" for u in visit.foreign]
    problems += [f"chart not drawn: {u}" for u in undrawn]
    problems += [f"chart error shown: {t}" for t in errors_shown]
    if path.startswith("chapters/"):
        expected = _chart_count_in_notebook(Path(path).stem)
        if expected is not None and expected != n_charts:
            problems.append(
                f"{n_charts} chart container(s) on the page, {expected} in the executed notebook"
            )
    for link in links:
        resolved = _resolve(link, url)
        if resolved is None:
            continue  # links to other sites (citations' DOIs) are not followed offline
        target, fragment = resolved
        if not target.is_file():
            problems.append(f"broken link {link} (no {target.relative_to(HTML)})")
        elif fragment and target.suffix == ".html":
            text = target.read_text(encoding="utf-8")
            if f'id="{fragment}"' not in text and f'name="{fragment}"' not in text:
                problems.append(f"broken anchor {link}")
    assert not problems, f"{path} (screenshot {shots / name}.png):\n  " + "\n  ".join(
        dict.fromkeys(problems)
    )


def test_table_of_contents_links_resolve_and_open(server, browser):
    if not PAGES:
        _unavailable(f"no built book at {HTML}: run `make book` first")
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    page, visit = _open(browser, server, "intro.html")
    page.goto(base + "intro.html", wait_until="load")
    hrefs = page.evaluate(
        "() => [...document.querySelectorAll('nav.bd-docs-nav a.reference, .bd-sidebar-primary a.reference')]"
        ".map(a => a.href)"
    )
    assert hrefs, "no table of contents in the sidebar of intro.html"
    problems = []
    for href in dict.fromkeys(hrefs):
        target, fragment = _resolve(href, base) or (None, "")
        if target is None:
            problems.append(f"{href}: the table of contents points to another host")
            continue
        status = page.request.get(href.split("#")[0]).status
        if status != 200:
            problems.append(f"{href}: HTTP {status}")
        elif fragment and f'id="{fragment}"' not in target.read_text(encoding="utf-8"):
            problems.append(f"{href}: no element with id {fragment!r}")
    _close(page, visit, server)
    assert not problems and not visit.foreign, problems + visit.foreign
    stems = {Path(urlsplit(h).path).stem for h in hrefs}
    missing = [s.key for s in CHAPTERS if Path(s.notebook).stem not in stems]
    assert not missing, f"chapters missing from the table of contents: {missing}"


_STOP = {"the", "and", "for", "with", "does", "what", "from", "how", "who", "its", "of", "vs"}


def _title_word(title: str) -> str:
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z-]{3,}", title) if w.lower() not in _STOP]
    return max(words, key=len) if words else title.split()[0]


@pytest.mark.parametrize("spec", CHAPTERS, ids=[c.key for c in CHAPTERS])
def test_search_finds_each_chapter_by_a_word_of_its_title(spec, server, browser):
    if not PAGES:
        _unavailable(f"no built book at {HTML}: run `make book` first")
    word = _title_word(spec.title)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    page, visit = _open(browser, server, "search.html")
    page.goto(f"{base}search.html?q={word}", wait_until="load")
    page.wait_for_function(
        "() => /Search finished|did not match/.test(document.querySelector('#search-results')?.innerText || '')",
        timeout=20_000,
    )
    target = f"chapters/{Path(spec.notebook).stem}.html"
    found = page.locator(f'#search-results a[href*="{target}"]').count()
    results = page.locator("#search-results").inner_text()[:300]
    _close(page, visit, server)
    assert found, f"searching {word!r} did not find {target}; results: {results!r}"
    assert not visit.errors and not visit.foreign, visit.errors + visit.foreign


# --------------------------------------------------------------------------- the reader's edition

BLOCKING = {"serious", "critical"}
CHART_PAGES = [
    p for p in PAGES if p.startswith("chapters/") and _chart_count_in_notebook(Path(p).stem)
]


@pytest.fixture(scope="module")
def axe():
    return Axe()


@pytest.fixture(scope="module")
def source_keys():
    return browser_checks.source_keys(ROOT)


@pytest.fixture(scope="module")
def phone(playwright, tmp_path_factory):
    """A second browser with a phone's viewport (390 x 844)."""
    yield from _context(playwright, tmp_path_factory, (390, 844))


@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize("path", PAGES or ["(no built book)"])
def test_page_has_no_serious_accessibility_violation_no_table_too_wide_and_sources_resolve(
    path, width, server, request, axe, source_keys
):
    """axe-core (served from the installed package, not a CDN) on the whole page, charts drawn
    and fitted; no table wider than the column unless deliberately scrollable with its first
    numeric column in view (``browser_checks.wide_tables``); source keys."""
    if not PAGES:
        _unavailable(f"no built book at {HTML}: run `make book` first")
    context = request.getfixturevalue("browser" if width == "desktop" else "phone")
    page, visit = _open(context, server, path)
    page.goto(f"http://127.0.0.1:{server.server_address[1]}/{path}", wait_until="load")
    page.wait_for_load_state("networkidle")
    browser_checks.wait_for_fitted(page)
    violations = browser_checks.axe_violations(page, axe)
    unresolved = browser_checks.unresolved_sources(page, HTML, source_keys)
    wide_tables = browser_checks.wide_tables(page)
    _close(page, visit, server)
    assert not wide_tables, f"{path} ({width}): tables too wide: {wide_tables}"
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"{path} ({width}): " + "; ".join(
        f"{v['rule']} ({v['impact']}, {v['nodes']}x, e.g. {v['target']}): {v['help']}"
        for v in blocking
    )
    assert not unresolved, f"{path}: source keys that do not link to an entry: {unresolved}"


@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize("path", CHART_PAGES or ["(no built book)"])
def test_every_chart_fits_its_column_and_has_a_name(path, width, server, request):
    """At 1280 and 390 px: no chart drawn wider than the text column, none without a name of
    its own (not "Vega visualization")."""
    if not CHART_PAGES:
        _unavailable(f"no built book with charts at {HTML}: run `make book` first")
    context = request.getfixturevalue("browser" if width == "desktop" else "phone")
    page, visit = _open(context, server, path)
    page.goto(f"http://127.0.0.1:{server.server_address[1]}/{path}", wait_until="load")
    n_charts = browser_checks.wait_for_fitted(page)
    wide = browser_checks.wide_charts(page)
    unnamed = browser_checks.unnamed_charts(page)
    column = browser_checks.column_width(page)
    _close(page, visit, server)
    assert n_charts, f"{path}: no chart on the page"
    assert not wide, f"{path} ({width}, column {column:.0f} px): charts too wide: {wide}"
    assert not unnamed, f"{path} ({width}): charts without a name of their own: {unnamed}"


@pytest.mark.parametrize("path", ["intro.html", "chapters/04_outflow.html", "references.html"])
def test_book_stays_light_when_the_reader_prefers_dark(path, server, browser):
    if not PAGES:
        _unavailable(f"no built book at {HTML}: run `make book` first")
    page, visit = _open(browser, server, path)
    page.emulate_media(color_scheme="dark")
    page.goto(f"http://127.0.0.1:{server.server_address[1]}/{path}", wait_until="load")
    mode = browser_checks.colour_mode(page)
    _close(page, visit, server)
    assert mode["theme"] == "light", mode
    assert not mode["switcher_visible"], "a colour-mode switcher is offered"
    assert mode["background"] in {"rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"}, mode


@pytest.mark.parametrize("path", ["intro.html", "chapters/00_samenvatting.html", "glossary.html"])
def test_pages_declare_their_language(path, server, browser):
    if not PAGES:
        _unavailable(f"no built book at {HTML}: run `make book` first")
    page, visit = _open(browser, server, path)
    page.goto(f"http://127.0.0.1:{server.server_address[1]}/{path}", wait_until="load")
    lang = browser_checks.page_language(page)
    _close(page, visit, server)
    assert lang == ("nl" if "samenvatting" in path else "en")
