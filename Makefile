# trialscope: `make run` sets everything up and runs the demo, `make test` runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= ../shared/data/ctgov
DB     ?= data/demo.db
# The record folders of the shared corpus (derived/ holds text corpora, not records).
CORPUS := $(wildcard $(DATA)/v2 $(DATA)/classic_api $(DATA)/legacy_xml $(DATA)/seeds)

.PHONY: install run test lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: install
ifneq ($(CORPUS),)
	$(BIN)/trialscope --db $(DB) import $(CORPUS) tests/fixtures/NCT04416854.2026.v2.json
else
	@echo "No sample corpus at $(DATA); importing only the bundled fixture."
	$(BIN)/trialscope --db $(DB) import tests/fixtures/NCT04416854.2026.v2.json
endif
	$(BIN)/trialscope --db $(DB) stats
	@echo "Open http://127.0.0.1:8000/ (search), /trials/NCT04416854 (a trial), /docs (the API)."
	$(BIN)/trialscope --db $(DB) serve

test: install
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src/trialscope

bench: install
	$(BIN)/python bench/import_bench.py

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
