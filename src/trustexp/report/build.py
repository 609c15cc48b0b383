"""``trustexp build``: generated pages, the table of contents, and an atomic Jupyter Book build.

The default (Oss) parameter set builds from ``book/`` into ``book/_build/html``; another set is
staged into ``book/_build/<set>/src`` with its own executed chapters and builds into
``book/_build/<set>/html``. The new HTML replaces the old only when the build succeeded, so a failed
build leaves the last good book in place. An unchanged source (same pages, chapters, config and
provenance) is not built again.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from trustexp.errors import TrustexpError
from trustexp.files import files_digest, tree_files, write_atomic
from trustexp.layout import BUILD_DIRNAME, DEFAULT_PARAMS, Layout
from trustexp.report.contents import CHAPTERS, ChapterSpec
from trustexp.report.pdf import PDF_NAME, make_pdf, start_singlehtml

APPENDIX = ("methods", "generated/codebook", "generated/provenance", "glossary", "references")
METHOD_PAGES = (
    "generated/calibration",
    "methods_outflow",
    "methods_survey",
    "methods_robustness",
    "methods_consultants_hawthorne",
)


class BuildFailed(TrustexpError):
    """``jupyter-book build`` reported an error or a warning."""


def render_toc(chapters: tuple[ChapterSpec, ...] = CHAPTERS) -> str:
    """The ``_toc.yml`` text for the chapter list (kept equal to the committed file by a test).

    The summaries (notebooks ``00_*``) form an unnumbered part; the report's chapters are
    numbered (``numbered: true``: chapter 1 is ``01_design``, figures and tables are numbered
    per chapter); the appendix is not numbered. An empty part is left out.
    """
    summaries = [c for c in chapters if Path(c.notebook).stem.startswith("00_")]
    report = [c for c in chapters if c not in summaries]
    lines = [
        "# Generated from trustexp.report.contents.CHAPTERS by `trustexp toc`; do not edit by hand.",
        "format: jb-book",
        "root: intro",
        "parts:",
    ]
    for caption, part, numbered in (("Summary", summaries, False), ("Report", report, True)):
        if not part:
            continue
        lines.append(f"  - caption: {caption}")
        if numbered:
            lines.append("    numbered: true")
        lines.append("    chapters:")
        lines += [f"      - file: chapters/{Path(c.notebook).stem}" for c in part]
    lines += ["  - caption: Appendix", "    chapters:"]
    for page in APPENDIX:
        lines.append(f"      - file: {page}")
        if page == "methods":
            lines += ["        sections:"] + [f"          - file: {m}" for m in METHOD_PAGES]
    return "\n".join(lines) + "\n"


_PAGES_ONLY = shutil.ignore_patterns(BUILD_DIRNAME, "chapters", "generated")


def _stage(layout: Layout) -> Path:
    """Copy the hand-written pages and the set's executed chapters into a staging source folder."""
    src = layout.source_dir
    if src == layout.book_dir:
        return src
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(layout.book_dir, src, ignore=_PAGES_ONLY)
    shutil.copytree(layout.chapters_dir, src / "chapters")
    return src


def source_digest(layout: Layout) -> str:
    """Digest of what a build reads: the source folder (no build output), config and toc."""
    files = tree_files(layout.source_dir, lambda p: BUILD_DIRNAME not in p.parts)
    files += [layout.config_file, layout.toc_file]
    return files_digest(files, layout.root)


def build_book(
    params_file: str | Path,
    root: Path = Path("."),
    *,
    force: bool = False,
    log: Callable[[str], None] = print,
) -> Path:
    """Build the HTML book of a parameter set; return the folder of ``index.html``."""
    from trustexp.config import load_params
    from trustexp.report.calibration import write_calibration_page
    from trustexp.report.pages import write_banner, write_codebook_page, write_provenance_page

    root = Path(root).resolve()
    params = load_params(root / params_file)
    layout = params.layout(root)
    chapters_dir = layout.chapters_dir
    missing = [c.notebook for c in CHAPTERS if not (chapters_dir / c.notebook).is_file()]
    if missing:
        raise BuildFailed(
            f"executed chapters missing in {chapters_dir}: {', '.join(missing)} — run `trustexp run` first"
        )
    toc = layout.toc_file
    if not toc.is_file() or toc.read_text(encoding="utf-8") != render_toc():
        write_atomic(render_toc(), toc)
    src = _stage(layout)
    generated = layout.generated_dir
    write_codebook_page(generated / "codebook.md")
    write_provenance_page(generated / "provenance.md", params_file, params, root)
    write_calibration_page(generated / "calibration.md", params)
    write_banner(generated, params)

    out = layout.html_dir
    key = source_digest(layout)
    stamp = layout.build_key_file
    if not force and out.joinpath("index.html").is_file() and stamp.is_file():
        if stamp.read_text() == key:
            log(f"  book unchanged: {out / 'index.html'}")
            if not (out / PDF_NAME).is_file():
                make_pdf(
                    src, root / "_config.yml", toc, out, out.parent / f".pdf-{params.name}", log
                )
            return out

    tmp = layout.staging_dir
    if tmp.exists():
        shutil.rmtree(tmp)
    start = time.perf_counter()
    cmd = [
        str(Path(sys.executable).with_name("jupyter-book")), "build", str(src),
        "--config", str(layout.config_file), "--toc", str(toc),
        "--path-output", str(tmp), "-W", "--keep-going", "-q",
    ]  # fmt: skip
    # the one-page HTML of the PDF builds beside the HTML book: two Sphinx runs, two cores
    pdf_work = out.parent / f".pdf-{params.name}"
    single = start_singlehtml(src, root / "_config.yml", toc, pdf_work)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except BaseException:
        single.kill()
        single.wait()
        raise
    built = tmp / BUILD_DIRNAME / "html"
    if proc.returncode != 0 or not (built / "index.html").is_file():
        single.kill()
        single.wait()
        shutil.rmtree(pdf_work, ignore_errors=True)
        lines = (proc.stdout + proc.stderr).splitlines()
        problems = [ln for ln in lines if "WARNING" in ln or "ERROR" in ln or "Error" in ln]
        tail = "\n".join((problems or lines)[-30:])
        raise BuildFailed(f"jupyter-book build failed; the previous book is left in place.\n{tail}")
    make_pdf(src, root / "_config.yml", toc, built, pdf_work, log, started=single)
    out.parent.mkdir(parents=True, exist_ok=True)
    old = out.parent / f".{out.name}.old"
    if old.exists():
        shutil.rmtree(old)
    if out.exists():
        out.rename(old)
    built.rename(out)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(tmp, ignore_errors=True)
    write_atomic(key, stamp)
    log(f"  built book in {time.perf_counter() - start:.1f} s: {out / 'index.html'}")
    return out


def preview(executed: list[Path], out: Path, root: Path = Path(".")) -> Path:
    """Build a scratch book of some executed notebooks (with the hand-written pages) to check them.

    For developing a chapter before it joins ``CHAPTERS``: same configuration, warnings as errors.
    Returns the HTML folder; raises ``BuildFailed`` listing the warnings.
    """
    root = Path(root).resolve()
    layout = Layout(root, "preview")
    out = Path(out).resolve()
    src = out / "src"
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(layout.book_dir, src, ignore=_PAGES_ONLY)
    (src / "chapters").mkdir()
    for nb in executed:
        shutil.copy(nb, src / "chapters" / Path(nb).name)
    specs = tuple(ChapterSpec(Path(nb).stem, Path(nb).name, Path(nb).stem) for nb in executed)
    toc = out / "_toc.yml"
    toc.write_text(render_toc(specs), encoding="utf-8")
    for page in ("codebook", "provenance"):
        (src / "generated").mkdir(exist_ok=True)
        (src / "generated" / f"{page}.md").write_text(
            f"# {page.title()}\n\nNot generated in a preview.\n"
        )
    from trustexp.config import load_params
    from trustexp.report.calibration import write_calibration_page

    write_calibration_page(src / "generated" / "calibration.md", load_params(root / DEFAULT_PARAMS))
    cmd = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(src), "--config",
           str(layout.config_file), "--toc", str(toc), "--path-output", str(out), "-W", "--keep-going", "-q"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = (proc.stdout + proc.stderr).splitlines()
        problems = [ln for ln in lines if "WARNING" in ln or "ERROR" in ln]
        raise BuildFailed("preview build failed:\n" + "\n".join((problems or lines)[-40:]))
    return out / BUILD_DIRNAME / "html"
