# results/<run>/README.md, the page a person reads first (docs/design.md §8.2). Included last in the
# Snakefile: it lists the report() outputs of every rule defined before it.
from scripts.lib.present.report_index import report_outputs

REPORT_OUTPUTS = report_outputs(workflow.rules)


rule write_run_readme:
    input:
        summary=f"results/{RUN}/summary.json",
        provenance=f"results/{RUN}/provenance.json",
        defaults="config/config.yaml",
        captions=sorted(
            {record["caption"] for record in REPORT_OUTPUTS if record["caption"]}
        ),
        files=[record["path"] for record in REPORT_OUTPUTS],
        lib=lib_inputs("report/write_run_readme"),
    output:
        readme=f"results/{RUN}/README.md",
    log:
        f"results/{RUN}/logs/write_run_readme.log",
    benchmark:
        f"results/{RUN}/benchmarks/write_run_readme.tsv"
    conda:
        "../../environment.yml"
    params:
        outputs=REPORT_OUTPUTS,
        run_name=RUN,
    script:
        "../../scripts/report/write_run_readme.py"


ALL_TARGETS += [f"results/{RUN}/README.md"]
