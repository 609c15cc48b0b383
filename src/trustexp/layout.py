"""Where everything lives: the one owner of the project's folder rules (standard library only).

A parameter set named ``<name>`` owns its cohort (``data/cohort/<name>``), its results store
(``results/<name>``), its pipeline cache (``.trustexp-cache/<name>``), its executed chapters and
its HTML. The default set — the one whose file is ``DEFAULT_PARAMS``, so whose name is that file's
stem — executes into ``book/chapters`` (committed, so reviewers read code and results together)
and builds from ``book/`` into ``book/_build/html``; any other set is staged under
``book/_build/<name>/`` and never touches the committed files. Modules ask a ``Layout`` (from
``Params.layout(root)`` or ``Layout(root, name)``) instead of joining paths by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_PARAMS = Path("params/oss.yml")
"""The default parameter set, relative to the project root (``make book`` without ``PARAMS``)."""

DEFAULT_SET = DEFAULT_PARAMS.stem
"""Name of the default set: the stem of ``DEFAULT_PARAMS`` (its ``name:`` must say the same)."""

CACHE_DIRNAME = ".trustexp-cache"
BUILD_DIRNAME = "_build"


@dataclass(frozen=True)
class Layout:
    """The folders of one parameter set in one project root."""

    root: Path
    name: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def is_default(self) -> bool:
        """Whether this is the default set (committed chapters, ``book/_build/html``)."""
        return self.name == DEFAULT_SET

    # ------------------------------------------------------------------ project folders
    @property
    def notebooks_dir(self) -> Path:
        """Source notebooks, one per chapter."""
        return self.root / "notebooks"

    @property
    def book_dir(self) -> Path:
        """Hand-written pages and the default set's executed chapters."""
        return self.root / "book"

    @property
    def build_dir(self) -> Path:
        """Everything the book build writes."""
        return self.book_dir / BUILD_DIRNAME

    @property
    def toc_file(self) -> Path:
        """Jupyter Book's table of contents (generated from the chapter list)."""
        return self.root / "_toc.yml"

    @property
    def config_file(self) -> Path:
        """Jupyter Book's configuration."""
        return self.root / "_config.yml"

    # ------------------------------------------------------------------ this set's folders
    @property
    def cohort_dir(self) -> Path:
        """The canonical (validated) cohort tables."""
        return self.root / "data" / "cohort" / self.name

    @property
    def manifest(self) -> Path:
        """The cohort manifest, whose bytes stand for the input data in chapter cache keys."""
        return self.cohort_dir / "manifest.json"

    @property
    def results_dir(self) -> Path:
        """The results store: one Parquet file per chapter."""
        return self.root / "results" / self.name

    @property
    def cache_dir(self) -> Path:
        """Pipeline cache: one record per chapter, logs, failed notebooks, temporary files."""
        return self.root / CACHE_DIRNAME / self.name

    @property
    def chapters_dir(self) -> Path:
        """Executed chapter notebooks."""
        if self.is_default:
            return self.book_dir / "chapters"
        return self.build_dir / self.name / "chapters"

    @property
    def source_dir(self) -> Path:
        """The Jupyter Book source folder (``book/`` itself for the default set, else staged)."""
        return self.book_dir if self.is_default else self.build_dir / self.name / "src"

    @property
    def generated_dir(self) -> Path:
        """Pages written at build time (codebook, provenance, calibration)."""
        return self.source_dir / "generated"

    @property
    def html_dir(self) -> Path:
        """The finished HTML book."""
        return self.build_dir / ("html" if self.is_default else f"{self.name}/html")

    @property
    def staging_dir(self) -> Path:
        """Where ``jupyter-book build`` writes before the new HTML replaces the old."""
        return self.build_dir / f".staging-{self.name}"

    @property
    def build_key_file(self) -> Path:
        """The digest of the book source the current HTML was built from."""
        return self.html_dir.parent / f".{self.html_dir.name}.buildkey"


def generated_paths(root: Path | str) -> list[Path]:
    """Everything ``trustexp clean`` removes: builds, caches, results, cohorts, generated pages."""
    root = Path(root)
    return [
        root / "book" / BUILD_DIRNAME,
        root / CACHE_DIRNAME,
        root / "results",
        root / "data" / "cohort",
        root / "book" / "generated",
    ]
