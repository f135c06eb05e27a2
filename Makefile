# Two entry points: `make demo` (set up, run the pipeline on data/samples) and `make test` (set up, run tests).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= data/warehouse
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 120

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
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) $(OUT)
