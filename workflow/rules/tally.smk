# Which metrics the emergent cases come from: tallies behind Mirage Fig. 5A-C (docs/design.md §4).


rule tally_metrics:
    input:
        emergence=rules.emergence_scores.output.table,
        scores=f"results/{RUN}/scores.parquet",
        annotations=config["annotations"],
        metrics=METRICS_FILE,
        task_metadata=config["task_metadata"],
        lib=lib_inputs("tally/tally_metrics"),
    output:
        preferred_csv=report(
            f"results/{RUN}/tables/tally_preferred.csv",
            caption="../report/tally_preferred.rst",
            category=REPORT["tables"],
            subcategory="Fig. 5 numbers",
        ),
        preferred_tex=f"results/{RUN}/tables/tally_preferred.tex",
        all_csv=report(
            f"results/{RUN}/tables/tally_all_metrics.csv",
            caption="../report/tally_all_metrics.rst",
            category=REPORT["tables"],
            subcategory="Fig. 5 numbers",
        ),
        all_tex=f"results/{RUN}/tables/tally_all_metrics.tex",
        annotated_csv=report(
            f"results/{RUN}/tables/annotated_by_metric.csv",
            caption="../report/annotated_by_metric.rst",
            category=REPORT["tables"],
            subcategory="Fig. 5 numbers",
        ),
        annotated_tex=f"results/{RUN}/tables/annotated_by_metric.tex",
        share_csv=report(
            f"results/{RUN}/tables/emergent_share_by_metric.csv",
            caption="../report/emergent_share_by_metric.rst",
            category=REPORT["tables"],
            subcategory="Fig. 5 numbers",
        ),
        share_tex=f"results/{RUN}/tables/emergent_share_by_metric.tex",
        annotated_missing=report(
            f"results/{RUN}/tables/annotated_missing.csv",
            caption="../report/annotated_missing.rst",
            category=REPORT["tables"],
            subcategory="Fig. 5 numbers",
        ),
        annotated_tasks=report(
            f"results/{RUN}/tables/annotated_tasks.csv",
            caption="../report/annotated_tasks.rst",
            category=REPORT["tables"],
            subcategory="Fig. 5 numbers",
        ),
    log:
        f"results/{RUN}/logs/tally_metrics.log",
    benchmark:
        f"results/{RUN}/benchmarks/tally_metrics.tsv"
    conda:
        "../../environment.yml"
    params:
        triplet_rule=config["triplet_rule"],
        data_label=DATA_LABEL,
    script:
        "../../scripts/tally/tally_metrics.py"
