# Two commands on a fresh machine with Python 3.11+ and make: `make test`, `make run`.
# Every target uses the project's own virtualenv (.venv), made from the pinned requirements.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 8
# pytest-xdist processes for make test; tests sharing the one sample run stay on one (tests/conftest.py).
TEST_WORKERS ?= 2
SMK := $(BIN)/snakemake
SOURCE ?= sample
RUN ?= sample
# Real data: by default the pinned files are downloaded once into results/.cache/ (verified by
# sha256); EXTRACTS=DIR / LM_EVAL=DIR read a local folder instead (docs/extracts.md, docs/lm-eval.md).
EXTRACTS ?=
LM_EVAL ?=
EXTRACTS_CONFIG := $(if $(EXTRACTS),extracts='{path: $(EXTRACTS)}')
LM_EVAL_CONFIG := $(if $(LM_EVAL),lm_eval='{path: $(LM_EVAL)}')
# Without a folder the fetch rule runs first, alone: offline, the target stops there at once with one
# line naming the variable, instead of after the jobs that need no data. $(call FETCH,source,rule)
FETCH = $(SMK) --cores 1 --quiet host progress rules reason --config source=$(1) -- $(2)

.PHONY: help venv test unit integration lint run sample excerpt extracts lm-eval report dag rulegraph images bench archive clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# The SLURM plugin goes in its own folder, outside site-packages (requirements-slurm.txt says why);
# a .venv made before that had it in site-packages, hence the uninstall.
SLURM_PLUGIN := $(VENV)/slurm-plugin

$(BIN)/.installed: requirements.txt requirements-test.txt requirements-slurm.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	$(BIN)/python -m pip uninstall --quiet --quiet --yes snakemake-executor-plugin-slurm snakemake-executor-plugin-slurm-jobstep
	$(BIN)/python -m pip install --quiet --no-deps --upgrade --target $(SLURM_PLUGIN) -r requirements-slurm.txt
	touch $@

venv: $(BIN)/.installed  ## create .venv from the pinned requirements (once)

test: venv lint  ## lint, then the whole test suite (the CI command), on TEST_WORKERS processes
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup

unit: venv  ## the unit tests only (no snakemake runs)
	$(BIN)/python -m pytest -q -m "not integration"

integration: venv  ## the tests that run the snakemake CLI
	$(BIN)/python -m pytest -q -m integration

lint: venv  ## snakemake --lint, snakefmt --check, ruff
	$(SMK) --lint --config source=sample
	$(BIN)/snakefmt --check Snakefile workflow/
	$(BIN)/ruff check scripts tests
	$(BIN)/ruff format --check scripts tests

run: venv  ## the full reproduction: download BIG-bench results from GitHub, every figure and table
	$(SMK) --cores $(CORES)

sample: venv  ## the offline run on the SYNTHETIC sample snapshot (results/sample/)
	$(SMK) --cores $(CORES) --config source=sample

excerpt: venv  ## REAL BIG-bench scores from two public extracts, pinned download or EXTRACTS=DIR (results/excerpt/; docs/extracts.md)
	$(if $(EXTRACTS),,$(call FETCH,excerpt,fetch_extracts))
	$(SMK) --cores $(CORES) --config source=excerpt $(EXTRACTS_CONFIG)

extracts: venv  ## REAL scores of the five registered extracts, pinned download or EXTRACTS=DIR (results/extracts/; docs/extracts.md)
	$(if $(EXTRACTS),,$(call FETCH,extracts,fetch_extracts))
	$(SMK) --cores $(CORES) --config source=extracts $(EXTRACTS_CONFIG)

lm-eval: venv  ## REAL harness results of Pythia, OPT, BLOOM, pinned download or LM_EVAL=DIR (results/lm-eval-*/; docs/lm-eval.md)
	$(if $(LM_EVAL),,$(call FETCH,lm_eval,fetch_lm_eval))
	$(SMK) --cores $(CORES) --config source=lm_eval $(LM_EVAL_CONFIG)

report: venv  ## the Snakemake report of the sample run (or SOURCE=…, RUN=…) as results/RUN/report.zip
	$(SMK) --config source=$(SOURCE) --report results/$(RUN)/report.zip

dag: venv  ## the rule graph as results/rulegraph.svg (needs graphviz's dot)
	mkdir -p results
	$(SMK) --config source=sample --rulegraph | dot -Tsvg > results/rulegraph.svg

# The README's pictures: three figures of the real-data excerpt run, and the rule graph.
IMAGES := fig5c_emergent_share_by_metric fig5a_emergence_by_preferred_metric verdicts_by_metric
IMAGES_EXTRACTS := fig6_real_models

rulegraph: venv  ## docs/img/rulegraph.{dot,svg}, the README's rule graph (needs graphviz)
	mkdir -p results docs/img
	$(SMK) --config source=sample --rulegraph > results/rulegraph.raw.dot
	$(BIN)/python -m scripts.lib.present.rulegraph results/rulegraph.raw.dot docs/img/rulegraph.dot
	tred docs/img/rulegraph.dot > results/rulegraph.tred.dot  # drawn as its transitive reduction: direct needs only
	dot -Tsvg -o docs/img/rulegraph.svg results/rulegraph.tred.dot

images: rulegraph  ## docs/img/: the rule graph, three figures of the real excerpt run and one of all real extracts (EXTRACTS=DIR as above)
	$(if $(EXTRACTS),,$(call FETCH,extracts,fetch_extracts))
	$(SMK) --cores $(CORES) $(IMAGES:%=results/excerpt/figures/%.png) --config source=excerpt $(EXTRACTS_CONFIG)
	$(SMK) --cores $(CORES) $(IMAGES_EXTRACTS:%=results/extracts/figures/%.png) --config source=extracts $(EXTRACTS_CONFIG)
	cp $(IMAGES:%=results/excerpt/figures/%.png) $(IMAGES_EXTRACTS:%=results/extracts/figures/%.png) docs/img/

bench: venv  ## time parse, scoring and the whole DAG at full BIG-bench scale (results/bench/; docs/performance.md)
	$(BIN)/python tests/benchmarks/bench_pipeline.py $(if $(EXTRACTS),--extracts $(EXTRACTS))

archive: report  ## report + provenance + tables + figures of run RUN in results/RUN-archive.tar.gz, with SHA256SUMS
	cd results/$(RUN) && find README.md report.zip provenance.json summary.json emergence.csv tables figures -type f \
		| LC_ALL=C sort | xargs sha256sum > SHA256SUMS
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C results \
		-cf - $(addprefix $(RUN)/,SHA256SUMS README.md report.zip provenance.json summary.json emergence.csv tables figures) \
		| gzip -n > results/$(RUN)-archive.tar.gz
	@echo "wrote results/$(RUN)-archive.tar.gz (check with: tar -xzf … && cd $(RUN) && sha256sum -c SHA256SUMS)"

clean:  ## delete results/$(RUN) after asking
	@read -p "Delete results/$(RUN)? [y/N] " ans && [ "$$ans" = y ] && rm -rf results/$(RUN) || echo "kept"
