# The two-command quick start: `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   ?= demo-workspace

.PHONY: setup demo test lint bench bench-scale clean graphviz chromium

setup: $(STAMP) graphviz chromium

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

# The web explorer's browser tests drive Debian's chromium through its chromedriver.
chromium:
	@{ command -v chromium && command -v chromedriver; } >/dev/null 2>&1 || { \
	  echo "installing the chromium and chromium-driver system packages"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }

demo: setup
	$(BIN)/ea demo --workspace $(DEMO) --force
	$(BIN)/ea status --workspace $(DEMO)
	$(BIN)/ea impact "VCL-PAR-PROD01" --layer business --layer strategy --workspace $(DEMO)
	$(BIN)/ea incidents --at 2026-03-14T10:15+01:00 --open --workspace $(DEMO)
	$(BIN)/ea diagnose --at 2026-03-14T10:15+01:00 --max 3 --workspace $(DEMO)
	$(BIN)/ea obsolescence --horizon 12m --workspace $(DEMO)
	$(BIN)/ea scenario diff crm-replacement --workspace $(DEMO)
	$(BIN)/ea view render application-landscape -f svg -o $(DEMO)/views/application-landscape.svg --workspace $(DEMO)
	$(BIN)/ea view render flow-map --select '1+"WMS Reflex"+1 type:Application' -f svg -o $(DEMO)/views/flow-map-wms.svg --workspace $(DEMO)
	$(BIN)/ea view render infrastructure -f svg -o $(DEMO)/views/infrastructure.svg --workspace $(DEMO)
	$(BIN)/ea view render capability-map -f png -o $(DEMO)/views/capability-map.png --workspace $(DEMO)
	$(BIN)/ea impact "VCL-PAR-PROD01" -f svg -o $(DEMO)/views/impact-vcl-par-prod01.svg --workspace $(DEMO)
	$(BIN)/ea decommission "WMS Reflex" -f png -o $(DEMO)/views/decommission-wms.png --workspace $(DEMO)
	$(BIN)/ea report decommission "WMS Reflex" -o $(DEMO)/views/wms-decommission-study.html --workspace $(DEMO)
	$(BIN)/ea report waves 'in:"DC Lyon Sud"' --max-size 40 -o $(DEMO)/views/lyon-waves-study.html --workspace $(DEMO)

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
	$(BIN)/python benchmarks/bench_views.py
	$(BIN)/python benchmarks/bench_archimate.py
	$(BIN)/python benchmarks/bench_scenario.py
	$(BIN)/python benchmarks/bench_diagnose.py
	$(BIN)/python benchmarks/bench_quality.py
	$(BIN)/python benchmarks/bench_health.py
	$(BIN)/python benchmarks/bench_serve.py
	$(BIN)/python benchmarks/bench_neo4j.py  # skips unless EA_NEO4J_URI is set

# Issue 20's workload, 1 000 000 CIs (tens of minutes, some 6 GB of disk in /tmp).
bench-scale: setup
	$(BIN)/python benchmarks/bench_scale.py --json bench-out/scale.json

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .ruff_cache .mypy_cache
