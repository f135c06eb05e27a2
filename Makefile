# Two entry points: `make demo` (set up, run the pipeline on data/samples) and `make test` (set up, run tests).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= data/warehouse
# the environment newslake needs (Prefect's settings, Arrow's allocator) is set by the newslake command and the tests
# themselves: flows/cli.py ENVIRONMENT_DEFAULTS

.PHONY: demo test lint setup browser clean

setup: $(VENV)/.installed browser

# Debian's chromium for the dashboard's browser tests (tests/test_dashboard.py drives it through Playwright, whose
# own browser download cannot work offline): installed when missing and we are root, as CI is; else those tests skip
browser:
	@command -v chromium >/dev/null || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null \
		|| { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
	@command -v chromium >/dev/null || echo "make browser: no chromium (not root, or no apt-get): the browser tests skip"

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]' 2>&1 \
		| grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import flows, tasks, spacy, prefect, trafilatura"
	touch $@

demo: setup
	$(BIN)/newslake run data/samples --out $(OUT)
	@echo "open the dashboard: $(BIN)/newslake dashboard $(OUT)   (then http://127.0.0.1:8765/)"

test: setup
	$(BIN)/python -m ruff check flows tasks tests bench
	$(BIN)/python -m mypy
	$(BIN)/lint-imports
	$(BIN)/python -m bench.gate
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) $(OUT)
