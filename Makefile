# One target per habit. `make demo` and `make test` create the virtual environment themselves.
VENV   := .venv
PY     := $(VENV)/bin/python
PYTHON ?= $(shell scripts/find-python)

.PHONY: demo test lint typecheck pytest bench clean

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { scripts/find-python; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev,browser]'
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/separ demo -o separ-demo

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck: $(VENV)/.dev
	$(VENV)/bin/mypy

pytest: $(VENV)/.dev
	$(VENV)/bin/pytest -q

test: lint typecheck pytest

bench: $(VENV)/.dev
	$(PY) bench/ingest.py

clean:
	rm -rf $(VENV) separ-demo .pytest_cache .mypy_cache .ruff_cache
