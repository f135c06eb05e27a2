# Two entry points: `make demo` (set up, run the pipeline on data/samples) and `make test` (set up, run tests).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= data/warehouse
# the environment newslake needs (Prefect's settings, Arrow's allocator) is set by the newslake command and the tests
# themselves: flows/cli.py ENVIRONMENT_DEFAULTS

.PHONY: demo test lint setup clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]' 2>&1 \
		| grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import flows, tasks, spacy, prefect, trafilatura"
	touch $@

demo: setup
	$(BIN)/newslake run data/samples --out $(OUT)

test: setup
	$(BIN)/python -m ruff check flows tasks tests bench
	$(BIN)/python -m mypy
	$(BIN)/lint-imports
	$(BIN)/python -m bench.gate
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) $(OUT)
