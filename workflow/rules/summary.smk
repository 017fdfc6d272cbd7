# Every headline number in one file, read back from the tables (DESIGN §4, §8).


rule summary:
    input:
        preferred=f"results/{RUN}/tables/tally_preferred.csv",
        every=f"results/{RUN}/tables/tally_all_metrics.csv",
        annotated=f"results/{RUN}/tables/annotated_by_metric.csv",
        share=f"results/{RUN}/tables/emergent_share_by_metric.csv",
        missing=f"results/{RUN}/tables/annotated_missing.csv",
        manifest=f"results/{RUN}/manifest.csv",
        scores=f"results/{RUN}/scores.parquet",
        beyond=f"results/{RUN}/beyond_summary.json",
        vision=f"results/{RUN}/vision_summary.json",
        lib=lib_inputs("summary"),
    output:
        summary=report(
            f"results/{RUN}/summary.json",
            caption="../report/summary.rst",
            category="Summary",
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
        "../../scripts/summary.py"


SUMMARY_TARGETS = [f"results/{RUN}/summary.json"]

ALL_TARGETS += SUMMARY_TARGETS
