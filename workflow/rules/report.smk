# What a run read (provenance.json), every headline number in one file read back from the tables
# (summary.json), and results/<run>/README.md, the page a person reads first (docs/design.md §7, §8).
rule provenance:
    input:
        manifest=f"results/{RUN}/manifest.csv",
        lib=lib_inputs("report/provenance"),
    output:
        provenance_json=report(
            f"results/{RUN}/provenance.json",
            caption="../report/provenance.rst",
            category=REPORT["provenance"],
        ),
    log:
        f"results/{RUN}/logs/provenance.log",
    benchmark:
        f"results/{RUN}/benchmarks/provenance.tsv"
    conda:
        "../../environment.yml"
    params:
        source=config["source"],
        synthetic=SYNTHETIC,
        repo=config["github"]["repo"] if SOURCE.needs_commit else None,
        commit=COMMIT,
        config=config,
        label=DATA_LABEL,
        pipeline_version=PIPELINE_VERSION,
    script:
        "../../scripts/report/provenance.py"


rule summary:
    input:
        preferred=rules.tally_metrics.output.preferred_csv,
        every=rules.tally_metrics.output.all_csv,
        annotated=rules.tally_metrics.output.annotated_csv,
        share=rules.tally_metrics.output.share_csv,
        missing=rules.tally_metrics.output.annotated_missing,
        manifest=f"results/{RUN}/manifest.csv",
        scores=f"results/{RUN}/scores.parquet",
        emergence=rules.emergence_scores.output.table,
        beyond=rules.beyond_summary.output.summary,
        vision=rules.vision_scores.output.summary,
        verdicts=rules.curve_verdicts.output.summary,
        metric_pairs=rules.metric_pairs.output.summary_json,
        lib=lib_inputs("report/summary"),
    output:
        summary=report(
            f"results/{RUN}/summary.json",
            caption="../report/summary.rst",
            category=REPORT["summary"],
        ),
    log:
        f"results/{RUN}/logs/summary.log",
    benchmark:
        f"results/{RUN}/benchmarks/summary.tsv"
    conda:
        "../../environment.yml"
    params:
        synthetic=SYNTHETIC,
        source=config["source"],
        commit=COMMIT,
        run_name=RUN,
        data_label=DATA_LABEL,
        triplet_rule=config["triplet_rule"],
    script:
        "../../scripts/report/summary.py"


rule write_run_readme:
    input:
        summary=f"results/{RUN}/summary.json",
        provenance=f"results/{RUN}/provenance.json",
        defaults="config/config.yaml",
        captions=lambda wildcards: report_captions(),
        files=lambda wildcards: [
            record["path"] for record in report_outputs(workflow.rules)
        ],
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
        outputs=lambda wildcards: report_outputs(workflow.rules),
        run_name=RUN,
    script:
        "../../scripts/report/write_run_readme.py"
