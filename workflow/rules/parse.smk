# Every scores file in the manifest -> one tidy table (docs/design.md §2).


# Only the BIG-bench-file sources have scores files to parse; the real extracts (extracts.smk) and
# lm-evaluation-harness results (lm_eval.smk) write scores.parquet with rules of their own.
if config["source"] in ("github", "local", "sample"):

    rule parse_scores:
        input:
            manifest=f"results/{RUN}/manifest.csv",
            task_metadata=config["task_metadata"],
            metrics=METRICS_FILE,
            lib=lib_inputs("parse/parse_scores"),
        output:
            scores=f"results/{RUN}/scores.parquet",
            bad_files=f"results/{RUN}/logs/bad_files.csv",
        log:
            f"results/{RUN}/logs/parse_scores.log",
        benchmark:
            f"results/{RUN}/benchmarks/parse_scores.tsv"
        conda:
            "../../environment.yml"
        threads: 8  # Snakemake caps this at --cores
        params:
            root=SNAPSHOT,
            on_bad_file=config["on_bad_file"],
            max_file_mb=config["max_file_mb"],
            label=DATA_LABEL,
        script:
            "../../scripts/parse/parse_scores.py"
