# source=excerpt: real BIG-bench scores from two public third-party extracts, offline (docs/excerpt.md).
# One rule stands in for acquire + parse: it writes the same scores.parquet, an empty
# logs/bad_files.csv and a manifest of the two files, so every later rule runs unchanged.


if config["source"] == "excerpt":

    rule excerpt_source:
        input:
            audit=f"{SNAPSHOT}/audit_table.json",
            bigbench=f"{SNAPSHOT}/bigbench.csv",
            task_metadata=config["task_metadata"],
            model_sizes="config/model_sizes.csv",
            metrics=METRICS_FILE,
            lib=lib_inputs("excerpt_source"),
        output:
            scores=f"results/{RUN}/scores.parquet",
            bad_files=f"results/{RUN}/logs/bad_files.csv",
            manifest=f"results/{RUN}/manifest.csv",
            models=report(
                f"results/{RUN}/tables/excerpt_models.csv",
                caption="../report/excerpt_models.rst",
                category="Tables",
            ),
            overlap=report(
                f"results/{RUN}/tables/excerpt_overlap.csv",
                caption="../report/excerpt_overlap.rst",
                category="Tables",
            ),
        log:
            f"results/{RUN}/logs/excerpt_source.log",
        benchmark:
            f"results/{RUN}/benchmarks/excerpt_source.tsv"
        conda:
            "../../environment.yml"
        params:
            label=DATA_LABEL,
        script:
            "../../scripts/excerpt_source.py"

    ALL_TARGETS += [
        f"results/{RUN}/tables/excerpt_models.csv",
        f"results/{RUN}/tables/excerpt_overlap.csv",
    ]
