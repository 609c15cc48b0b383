# trustexp: `make book` builds the report, `make test` checks everything. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PARAMS ?= params/oss.yml
STAMP := $(VENV)/.installed

.PHONY: help install data run book pdf test lint format unit browser-deps clean bench

help:
	@echo "make book   - install, make the data, execute the chapters, build the HTML and the PDF (PARAMS=$(PARAMS))"
	@echo "make pdf    - the same, then print where the PDF of the whole book is"
	@echo "make test   - install, lint, build the default book, run the test suite, check committed chapters"
	@echo "make clean  - remove generated data, results, caches and the built book"

# Install with uv from the lock (uv itself pinned in the lock, bootstrapped into the venv with pip);
# pip installs the same lock when uv cannot be had (no wheel for this platform, no network to it).
UV_PIN := $(shell grep -i '^uv==' requirements.lock)
# Bytecode: written on first import into the venv (not next to the sources), so a cold build
# compiles each module once and every later process (chapter kernels, Sphinx, the next run) reads
# it; an environment that sets PYTHONDONTWRITEBYTECODE would otherwise recompile in every process.
export PYTHONDONTWRITEBYTECODE :=
export PYTHONPYCACHEPREFIX := $(abspath $(VENV))/pycache
# uv: the lock's own (in the venv once installed); else the same version kept in the user's cache
# folder, like the download caches (a fresh clone then needs no pip at all: making a venv with pip
# and pip's start-up cost 4-5 s of a cold build), bootstrapped there by the system's pip, moved
# into place whole; else bootstrapped by the venv's pip as before.
UV := $(BIN)/uv
UV_BOOT := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/trustexp/$(subst ==,-,$(UV_PIN))

$(STAMP): requirements.lock pyproject.toml
	@uv=$(UV); \
	if ! test -x $$uv && ! test -x $(UV_BOOT)/bin/uv; then \
	  tmp=$(UV_BOOT).partial.$$$$; \
	  $(PYTHON) -m pip install -q --disable-pip-version-check --target $$tmp "$(UV_PIN)" >/dev/null 2>&1 \
	    && mkdir -p $$(dirname $(UV_BOOT)) && mv -T $$tmp $(UV_BOOT) 2>/dev/null; rm -rf $$tmp; \
	fi; \
	if ! test -x $$uv && $(UV_BOOT)/bin/uv --version >/dev/null 2>&1; then uv=$(UV_BOOT)/bin/uv; fi; \
	if ! test -x $$uv; then \
	  test -x $(BIN)/python && $(BIN)/python -m pip --version >/dev/null 2>&1 || $(PYTHON) -m venv $(VENV); \
	  $(BIN)/python -m pip install -q "$(UV_PIN)" >/dev/null 2>&1 || true; \
	fi; \
	if test -x $$uv; then \
	  echo "installing the pinned environment into $(VENV) with uv (requirements.lock)"; \
	  test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV); \
	  $$uv pip install -q --python $(BIN)/python -r requirements.lock \
	    && $$uv pip install -q --python $(BIN)/python --no-deps -e .; \
	else \
	  echo "uv could not be installed: installing the pinned environment into $(VENV) with pip"; \
	  test -x $(BIN)/python && $(BIN)/python -m pip --version >/dev/null 2>&1 || $(PYTHON) -m venv $(VENV); \
	  $(BIN)/python -m pip install -q --upgrade pip 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }; \
	  set -o pipefail; $(BIN)/python -m pip install -q -r requirements.lock 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; } \
	    && $(BIN)/python -m pip install -q --no-deps -e . 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }; \
	fi
	@touch $(STAMP)

install: $(STAMP)

data: install
	@$(BIN)/trustexp data --params $(PARAMS)

run: data
	@$(BIN)/trustexp run --params $(PARAMS)

# one process for data, chapters and HTML: a no-op `make book` pays one interpreter start, not three
book: install
	@$(BIN)/trustexp all --params $(PARAMS)

# The PDF of the whole book is made by `trustexp build` (needs Chromium: `make browser-deps`).
pdf: browser-deps book
	@$(BIN)/python -c "import sys; from trustexp.config import load_params; from trustexp.report.pdf import PDF_NAME; \
	p = load_params('$(PARAMS)').layout('.').html_dir.resolve() / PDF_NAME; \
	print(f'the book as one PDF: {p}') if p.is_file() else sys.exit(f'no PDF at {p}: is Chromium installed?')"

lint: install
	$(BIN)/ruff check src tests benchmarks book/_ext
	$(BIN)/ruff format --check src tests benchmarks book/_ext
	$(BIN)/lint-imports --no-cache
	$(BIN)/actionlint -shellcheck= -pyflakes= .github/workflows/*.yml

format: install
	$(BIN)/ruff format src tests benchmarks book/_ext

# Headless Chromium for the browser tests, found as $$TRUSTEXP_CHROMIUM (when set: only it), else
# chromium or chromium-browser, counting only one whose --version names a Chromium or Chrome build
# (Ubuntu's chromium-browser may be a snap shim); tests/chromium.py looks the same way. Missing:
# Debian's package is installed when running as root with apt-get; otherwise the browser tests are
# skipped (failed when CI=true). Never needs sudo: GitHub's Ubuntu images ship a Chromium.
browser-deps:
	@found=""; \
	for c in $${TRUSTEXP_CHROMIUM:-chromium chromium-browser}; do \
	  p=$$(command -v "$$c" 2>/dev/null) || continue; \
	  if "$$p" --version 2>/dev/null | grep -qE '^(Chromium|Google Chrome)\b.*[0-9]+\.[0-9]+'; then found=$$p; break; fi; \
	done; \
	if [ -n "$$found" ]; then echo "browser tests: $$found"; \
	elif [ -n "$${TRUSTEXP_CHROMIUM:-}" ]; then \
	  echo "TRUSTEXP_CHROMIUM=$$TRUSTEXP_CHROMIUM does not run as Chromium: browser tests will be skipped (or fail when CI=true)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo "could not install chromium: browser tests will be skipped (or fail when CI=true)"; \
	else echo "no Chromium found (chromium, chromium-browser or TRUSTEXP_CHROMIUM) and not root to install it: browser tests will be skipped (or fail when CI=true)"; fi

unit: install
	$(BIN)/python -m pytest -q -m "not e2e and not browser"

# Tests are spread over 2 workers by file (--dist loadfile): each module's expensive fixtures (the
# other-truth cohorts, the raw-data book) are built once. --dist loadgroup would keep the
# xdist_group marks together, but with pytest 9.2 and pytest-xdist 3.8 it silently stops grouping
# (pytest-dev/pytest-xdist#1386) and every such fixture was built on both workers.
test: lint browser-deps
	$(MAKE) --no-print-directory book PARAMS=params/oss.yml
	$(BIN)/python -m pytest -q -n 2 --dist loadfile
	@git diff --quiet -- book/chapters || { echo "book/chapters is stale: the committed executed notebooks differ from this build (git diff book/chapters); commit them"; git --no-pager diff --stat -- book/chapters; exit 1; }
	@test -z "$$(git status --porcelain --untracked-files=all -- book/chapters)" || { echo "book/chapters has uncommitted new files:"; git status --short -- book/chapters; exit 1; }

# Benchmarks are slow and print their own tables (copy them into benchmarks/RESULTS.md).
# `make bench` reproduces every figure of RESULTS.md; `make bench BENCH=chapters` runs one.
BENCH ?= *
bench: install
	@for b in benchmarks/bench_$(BENCH).py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	@test -x $(BIN)/trustexp && $(BIN)/trustexp clean || rm -rf book/_build .trustexp-cache results data/cohort book/generated
