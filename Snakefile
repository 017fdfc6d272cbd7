# bigbench-emergence: the BIG-bench meta-analysis of Schaeffer, Miranda & Koyejo (2023) from raw
# results. Wiring only; the rules live in workflow/rules/<stage>.smk, their scripts in scripts/<stage>/.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/acquire.smk"
include: "workflow/rules/parse.smk"
include: "workflow/rules/emergence.smk"
include: "workflow/rules/tally.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/verdicts.smk"
include: "workflow/rules/beyond.smk"
include: "workflow/rules/vision.smk"
include: "workflow/rules/report.smk"


# The final outputs: every output of every rule defined above (common.smk, final_targets).
rule all:
    default_target: True
    input:
        final_targets,
