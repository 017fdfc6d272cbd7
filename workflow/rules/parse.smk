# Every source's files -> one tidy scores table (docs/design.md §2).


# Each source's reader (the table of sources names it): BIG-bench scores files, the real extracts
# or harness results -> the same scores.parquet, manifest.csv and logs/bad_files.csv, so every later
# rule runs unchanged whatever the source.
if uses("parse_scores"):

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


if uses("extracts_source"):

    rule extracts_source:
        input:
            files=EXTRACT_FILES,
            task_metadata=config["task_metadata"],
            model_sizes="config/model_sizes.csv",
            metrics=METRICS_FILE,
            lib=lib_inputs("parse/extracts_source"),
        output:
            scores=f"results/{RUN}/scores.parquet",
            bad_files=f"results/{RUN}/logs/bad_files.csv",
            manifest=f"results/{RUN}/manifest.csv",
            models=report(
                f"results/{RUN}/tables/extracts_models.csv",
                caption="../report/extracts_models.rst",
                category=REPORT["tables"],
                subcategory="Real extracts",
            ),
            overlap=report(
                f"results/{RUN}/tables/extracts_overlap.csv",
                caption="../report/extracts_overlap.rst",
                category=REPORT["tables"],
                subcategory="Real extracts",
            ),
        log:
            f"results/{RUN}/logs/extracts_source.log",
        benchmark:
            f"results/{RUN}/benchmarks/extracts_source.tsv"
        conda:
            "../../environment.yml"
        params:
            use=EXTRACTS_USE,
            label=DATA_LABEL,
        script:
            "../../scripts/parse/extracts_source.py"


if uses("lm_eval_source"):

    rule lm_eval_source:
        input:
            # the folder, or (downloaded) the listing inside it
            root=(
                rules.fetch_lm_eval.output.listing
                if uses("fetch_lm_eval")
                else SNAPSHOT
            ),
            models=config["lm_eval"]["models"],
            metrics=METRICS_FILE,
            lib=lib_inputs("parse/lm_eval_source"),
        output:
            scores=f"results/{RUN}/scores.parquet",
            checkpoints=f"results/{RUN}/lm_eval/checkpoints.parquet",
            manifest=f"results/{RUN}/manifest.csv",
            bad_files=f"results/{RUN}/logs/bad_files.csv",
            models_table=report(
                f"results/{RUN}/tables/lm_eval_models.csv",
                caption="../report/lm_eval_models.rst",
                category=REPORT["tables"],
                subcategory="lm-evaluation-harness",
            ),
        log:
            f"results/{RUN}/logs/lm_eval_source.log",
        benchmark:
            f"results/{RUN}/benchmarks/lm_eval_source.tsv"
        conda:
            "../../environment.yml"
        params:
            scale=config["scale"],
            on_bad_file=config["on_bad_file"],
            max_file_mb=config["max_file_mb"],
            label=DATA_LABEL,
        script:
            "../../scripts/parse/lm_eval_source.py"
