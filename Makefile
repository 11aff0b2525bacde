# Gardien — `make run` and `make test` are the whole set-up on a fresh clone.

VENV ?= .venv
PY := $(VENV)/bin/python
GARDIEN := $(VENV)/bin/gardien
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast bench lint format messages install clean help

help:
	@echo "make run        install, prepare the database and serve the demo on http://$(HOST):$(PORT)"
	@echo "make test       run the whole test suite"
	@echo "make test-fast  run every test but the browser ones (no Chromium needed)"
	@echo "make bench      run the benchmarks (results in bench/results/)"
	@echo "make lint       check formatting, style and types"

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

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

# The demo sends no real email: each is written to a file in var/mail/, and the team of the
# example is told of each contact message, with links to the address served. Each can be
# set in the environment instead.
run: export EMAIL_FILE_PATH ?= var/mail
run: export GARDIEN_CONTACT_NOTIFY ?= equipe@coopo.example
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: install
	@$(GARDIEN) secrets init
	@$(GARDIEN) migrate --noinput --verbosity 0
	@$(GARDIEN) check --fail-level ERROR
	@$(GARDIEN) policy publish --note "Published by make run"
	@$(GARDIEN) demo setup
	@$(GARDIEN) collectstatic --noinput --verbosity 0
	@echo "Gardien is serving on http://$(HOST):$(PORT)/  (back office: http://$(HOST):$(PORT)/admin/); its emails are written to $(EMAIL_FILE_PATH)/. Ctrl-C stops it."
	@$(GARDIEN) worker --verbosity 0 & WORKER=$$!; \
	trap 'kill -TERM $$WORKER 2>/dev/null; wait $$WORKER' EXIT INT TERM; \
	$(VENV)/bin/gunicorn gardien.wsgi -c gardien/gunicorn.conf.py --bind $(HOST):$(PORT) --workers 2 --log-level warning

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# The browser tests are not collected at all, so no "skipped" line for each of them.
test-fast: install
	$(PY) -m pytest --ignore=tests/browser $(PYTEST_ARGS)

bench: install
	$(PY) bench/run.py

lint: install
	$(VENV)/bin/ruff check gardien tests bench
	$(VENV)/bin/ruff format --check gardien tests bench
	$(VENV)/bin/mypy gardien

format: install
	$(VENV)/bin/ruff check --fix gardien tests bench
	$(VENV)/bin/ruff format gardien tests bench

# Refresh the translation catalogues after changing a visible text.
messages: install
	cd gardien && ../$(GARDIEN) makemessages -l fr -l en --no-obsolete
	cd gardien && ../$(GARDIEN) compilemessages

clean:
	rm -rf $(VENV) var/test.sqlite3 .pytest_cache .mypy_cache .ruff_cache
