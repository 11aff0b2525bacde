# Gardien — `make run` and `make test` are the whole set-up on a fresh clone.

VENV ?= .venv
PY := $(VENV)/bin/python
GARDIEN := $(VENV)/bin/gardien
PIP := $(PY) -m pip --disable-pip-version-check
# The locks pin every package with the hashes of all its published files (any platform,
# Python 3.12 and newer); `make lock` writes them. A change to a lock or to pyproject.toml
# installs again.
RUNTIME_LOCK := requirements/runtime.lock
DEV_LOCK := requirements/dev.lock
RUN_STAMP := $(VENV)/.installed-run-$(shell cat $(RUNTIME_LOCK) pyproject.toml | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat $(DEV_LOCK) pyproject.toml | cksum | cut -d' ' -f1)
# uv and pip-audit, installed on demand beside the project's packages, never among them.
TOOLS := $(VENV)/tools
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast bench lint format messages install install-dev lock audit clean help

help:
	@echo "make run        install, prepare the database and serve the demo on http://$(HOST):$(PORT)"
	@echo "make test       run the whole test suite"
	@echo "make test-fast  run every test but the browser ones (no Chromium needed)"
	@echo "make bench      run the benchmarks (results in bench/results/)"
	@echo "make lint       check formatting, style and types"
	@echo "make lock       pin the dependencies again after a change to pyproject.toml"
	@echo "                (LOCK_ARGS=--upgrade moves every pin to its newest allowed version)"
	@echo "make audit      look the locked runtime packages up in a vulnerability database"

# Find a Python >= 3.12: the usual names first, then the interpreters a pyenv install holds.
$(PY):
	@py=""; \
	for cand in python3.13 python3.12 python3 \
	    $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13*/bin/python3 \
	    $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*/bin/python3 \
	    $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[4-9]*/bin/python3; do \
	  path=$$(command -v "$$cand" 2>/dev/null) || continue; \
	  if "$$path" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	    py="$$path"; break; fi; \
	done; \
	if [ -z "$$py" ]; then \
	  echo "Gardien needs Python 3.12 or newer and none was found." >&2; \
	  echo "Install one (e.g. 'apt-get install python3.12' or 'pyenv install 3.12') and run make again." >&2; \
	  exit 1; fi; \
	echo "Creating $(VENV) with $$py"; \
	"$$py" -m venv $(VENV)

# Only what Gardien needs to run, each package checked against its hash, then Gardien itself
# (its dependencies are all in the lock). pip check catches a dependency added to
# pyproject.toml but not yet locked.
# The pip that came with the venv will do; no .pyc is compiled ahead (Python compiles what it
# imports, a fraction of what is installed); Gardien itself is installed while the locked
# packages are (they share no file): each saves seconds of the first `make run`.
$(RUN_STAMP): $(PY) $(RUNTIME_LOCK) pyproject.toml
	@echo "Installing what Gardien needs to run ($(RUNTIME_LOCK))"
	@$(PIP) install --quiet --no-compile --no-deps -e . & SELF=$$!; \
	$(PIP) install --quiet --no-compile --require-hashes -r $(RUNTIME_LOCK); locked=$$?; \
	wait $$SELF && exit $$locked
	@$(PIP) check >/dev/null || { $(PIP) check; \
	  echo "A dependency is missing from $(RUNTIME_LOCK): run make lock." >&2; exit 1; }
	@rm -f $(VENV)/.installed-run-*
	@touch $@

# The same and the development tools (tests, lint), from their own lock.
$(DEV_STAMP): $(PY) $(DEV_LOCK) pyproject.toml
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet --require-hashes -r $(DEV_LOCK)
	$(PIP) install --quiet --no-deps -e .
	@$(PIP) check >/dev/null || { $(PIP) check; \
	  echo "A dependency is missing from $(DEV_LOCK): run make lock." >&2; exit 1; }
	@rm -f $(VENV)/.installed-dev-*
	@touch $@

install: $(RUN_STAMP)

install-dev: $(DEV_STAMP)

$(TOOLS)/bin/python: | $(PY)
	$(PY) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check 'uv>=0.5' 'pip-audit>=2.7,<3'

# Both locks cover every platform and Python 3.12 and newer; the runtime one has the
# PostgreSQL driver that deployments use. The development lock takes
# the runtime pins as they are, so tests run on the very versions deployed. An existing pin
# stays until LOCK_ARGS=--upgrade (or --upgrade-package NAME).
lock: $(TOOLS)/bin/python
	$(TOOLS)/bin/uv pip compile pyproject.toml --extra postgres --universal --python-version 3.12 \
	  --generate-hashes --custom-compile-command "make lock" --quiet $(LOCK_ARGS) -o $(RUNTIME_LOCK)
	$(TOOLS)/bin/uv pip compile pyproject.toml --extra dev --universal --python-version 3.12 \
	  --generate-hashes --custom-compile-command "make lock" --quiet $(LOCK_ARGS) \
	  -c $(RUNTIME_LOCK) -o $(DEV_LOCK)

# Exits 0 only when every locked package was looked up and none is known vulnerable; 2 when
# some or all could not be looked up (no database reachable): that is no pass. Options for
# pip-audit go in AUDIT_ARGS (e.g. AUDIT_ARGS="-s osv").
audit: $(TOOLS)/bin/python
	$(TOOLS)/bin/python requirements/audit.py $(TOOLS)/bin/pip-audit $(RUNTIME_LOCK) $(AUDIT_ARGS)

# The static files are collected while the database is prepared; the system checks run once,
# with `gardien check`. `make run` publishes the policy only on a first start; after that a change to the manifest
# waits for the DPO (`gardien policy publish`, or the back office's publish page), and
# `make run` says so in one line. Each `make run` has its own gunicorn control socket
# (gunicornc), named by its port, so two of them on two ports leave each other's alone.
# The demo sends no real email: each is written to a file in var/mail/, and the team of the
# example is told of each contact message, with links to the address served. Each can be
# set in the environment instead.
run: export EMAIL_FILE_PATH ?= var/mail
run: export GARDIEN_CONTACT_NOTIFY ?= equipe@coopo.example
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: install
	@$(GARDIEN) secrets init
	@$(GARDIEN) collectstatic --skip-checks --noinput --verbosity 0 & STATIC=$$!; \
	$(GARDIEN) migrate --skip-checks --noinput --verbosity 0 \
	  && $(GARDIEN) check --fail-level ERROR \
	  && $(GARDIEN) policy --skip-checks publish --if-none-published --note "Première version." --note-en "First version." \
	  && $(GARDIEN) demo --skip-checks setup; \
	prepared=$$?; wait $$STATIC && exit $$prepared
	@echo "Gardien is serving on http://$(HOST):$(PORT)/  (back office: http://$(HOST):$(PORT)/admin/); its emails are written to $(EMAIL_FILE_PATH)/. Ctrl-C stops it."
	@$(GARDIEN) worker --verbosity 0 & WORKER=$$!; \
	trap 'kill -TERM $$WORKER 2>/dev/null; wait $$WORKER' EXIT INT TERM; \
	$(VENV)/bin/gunicorn gardien.wsgi -c gardien/gunicorn.conf.py --bind $(HOST):$(PORT) --workers 2 --log-level warning \
	  --control-socket $(or $(GARDIEN_VAR_DIR),var)/gunicorn-$(PORT).ctl

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

# The browser tests are not collected at all, so no "skipped" line for each of them.
test-fast: install-dev
	$(PY) -m pytest --ignore=tests/browser $(PYTEST_ARGS)

bench: install-dev
	$(PY) bench/run.py

lint: install-dev
	$(VENV)/bin/ruff check gardien tests bench
	$(VENV)/bin/ruff format --check gardien tests bench
	$(VENV)/bin/mypy gardien

format: install-dev
	$(VENV)/bin/ruff check --fix gardien tests bench
	$(VENV)/bin/ruff format gardien tests bench

# Refresh the translation catalogues after changing a visible text.
messages: install
	cd gardien && ../$(GARDIEN) makemessages -l fr -l en --no-obsolete
	cd gardien && ../$(GARDIEN) compilemessages

clean:
	rm -rf $(VENV) var/test.sqlite3 .pytest_cache .mypy_cache .ruff_cache
