# bigbench-emergence: the BIG-bench meta-analysis of Schaeffer, Miranda & Koyejo (2023) from raw
# results. Wiring only; the rules live in workflow/rules/, the code in scripts/.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/acquire.smk"
include: "workflow/rules/parse.smk"
include: "workflow/rules/extracts.smk"
include: "workflow/rules/lm_eval.smk"
include: "workflow/rules/emergence.smk"
include: "workflow/rules/tally.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/provenance.smk"
include: "workflow/rules/vision.smk"
include: "workflow/rules/beyond.smk"
include: "workflow/rules/verdicts.smk"
include: "workflow/rules/metric_pairs.smk"
include: "workflow/rules/summary.smk"
# Keep last: it lists the report() outputs of every rule included above.
include: "workflow/rules/run_readme.smk"


# Each stage file appends its final outputs to ALL_TARGETS.


rule all:
    default_target: True
    input:
        ALL_TARGETS,
