# The two-command quick start: `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   ?= demo-workspace

.PHONY: setup demo test lint bench clean graphviz

setup: $(STAMP) graphviz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Diagrams need Graphviz's `dot`; install the system package when it is missing.
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  echo "installing the graphviz system package"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq graphviz >/dev/null; }

demo: setup
	$(BIN)/ea demo --workspace $(DEMO) --force
	$(BIN)/ea status --workspace $(DEMO)
	$(BIN)/ea impact "VCL-PAR-PROD01" --layer business --layer strategy --workspace $(DEMO)
	$(BIN)/ea obsolescence --horizon 12m --workspace $(DEMO)

test: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python benchmarks/bench_store.py
	$(BIN)/python benchmarks/bench_analysis.py
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_archimate.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .ruff_cache .mypy_cache
