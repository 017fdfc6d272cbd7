# Two commands on a fresh machine with Python 3.11+ and make: `make test`, `make run`.
# Every target uses the project's own virtualenv (.venv), made from the pinned requirements.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 8
SMK := $(BIN)/snakemake
RUN ?= sample

.PHONY: help venv test unit integration lint run sample excerpt report dag bench archive clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/.installed: requirements.txt requirements-test.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $@

venv: $(BIN)/.installed  ## create .venv from the pinned requirements (once)

test: venv lint  ## lint, then the whole test suite (the CI command)
	$(BIN)/python -m pytest -q

unit: venv  ## the unit tests only (no snakemake runs)
	$(BIN)/python -m pytest -q -m "not integration"

integration: venv  ## the tests that run the snakemake CLI
	$(BIN)/python -m pytest -q -m integration

lint: venv  ## snakemake --lint, snakefmt --check, ruff
	$(SMK) --lint --config source=sample
	$(BIN)/snakefmt --check Snakefile workflow/
	$(BIN)/ruff check scripts tests

run: venv  ## the full reproduction: download BIG-bench results from GitHub, every figure and table
	$(SMK) --cores $(CORES)

sample: venv  ## the offline run on the SYNTHETIC sample snapshot (results/sample/)
	$(SMK) --cores $(CORES) --config source=sample

report: venv  ## the Snakemake report of run RUN (default sample) as results/RUN/report.zip
	$(SMK) --config source=$(RUN) --report results/$(RUN)/report.zip

dag: venv  ## the rule graph as results/rulegraph.svg (needs graphviz's dot)
	mkdir -p results
	$(SMK) --config source=sample --rulegraph | dot -Tsvg > results/rulegraph.svg

clean:  ## delete results/$(RUN) after asking
	@read -p "Delete results/$(RUN)? [y/N] " ans && [ "$$ans" = y ] && rm -rf results/$(RUN) || echo "kept"
