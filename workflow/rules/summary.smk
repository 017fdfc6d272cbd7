# Every headline number in one file, read back from the tables (docs/design.md §4, §8).


rule summary:
    input:
        preferred=rules.tally_metrics.output.preferred_csv,
        every=rules.tally_metrics.output.all_csv,
        annotated=rules.tally_metrics.output.annotated_csv,
        share=rules.tally_metrics.output.share_csv,
        missing=rules.tally_metrics.output.annotated_missing,
        manifest=f"results/{RUN}/manifest.csv",
        scores=f"results/{RUN}/scores.parquet",
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
        emergence_threshold=config["emergence_threshold"],
        min_effect=config["min_effect"],
        triplet_rule=config["triplet_rule"],
    script:
        "../../scripts/report/summary.py"


SUMMARY_TARGETS = [f"results/{RUN}/summary.json"]

ALL_TARGETS += SUMMARY_TARGETS
