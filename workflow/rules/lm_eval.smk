# source=lm_eval: a folder of lm-evaluation-harness results files, e.g. the real Pythia, OPT and
# BLOOM evaluations (docs/lm-eval.md). One rule stands in for acquire + parse: it writes
# the same scores.parquet, logs/bad_files.csv and manifest.csv, so every later rule runs unchanged;
# one figure rule adds the metric pairs (LAMBADA, MMLU) across size and along training.


if config["source"] == "lm_eval":

    if LM_EVAL_FETCH:

        # lm_eval.path is the download cache: fetch lm_eval.github's files (verified, resumable).
        rule fetch_lm_eval:
            input:
                lib=lib_inputs("acquire/fetch_lm_eval"),
            output:
                listing=f"{SNAPSHOT}/.download.csv",
            log:
                f"results/{RUN}/logs/fetch_lm_eval.log",
            benchmark:
                f"results/{RUN}/benchmarks/fetch_lm_eval.tsv"
            retries: 2
            conda:
                "../../environment.yml"
            params:
                repo=config["lm_eval"]["github"]["repo"],
                commit=config["lm_eval"]["github"]["commit"],
                patterns=config["lm_eval"]["github"]["patterns"],
                api_url=config["github"]["api_url"],
                raw_url=config["github"]["raw_url"],
                workers=config["github"]["workers"],
                timeout_s=config["github"]["timeout_s"],
                retries=config["github"]["retries"],
            script:
                "../../scripts/acquire/fetch_lm_eval.py"

    rule lm_eval_source:
        input:
            # the folder, or (downloaded) the listing inside it
            root=rules.fetch_lm_eval.output.listing if LM_EVAL_FETCH else SNAPSHOT,
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

    rule figure_lm_eval_pairs:
        input:
            checkpoints=f"results/{RUN}/lm_eval/checkpoints.parquet",
            lib=lib_inputs("figures/figure_lm_eval_pairs"),
        output:
            figure=report(
                expand(
                    f"results/{RUN}/figures/lm_eval_pairs.{{fmt}}",
                    fmt=config["figures"]["formats"],
                ),
                caption="../report/lm_eval_pairs.rst",
                category=REPORT["figures"],
                subcategory="lm-evaluation-harness",
            ),
            data=f"results/{RUN}/figures/lm_eval_pairs.csv",
            es=report(
                f"results/{RUN}/tables/lm_eval_pairs_es.csv",
                caption="../report/lm_eval_pairs_es.rst",
                category=REPORT["tables"],
                subcategory="lm-evaluation-harness",
            ),
        log:
            f"results/{RUN}/logs/figure_lm_eval_pairs.log",
        benchmark:
            f"results/{RUN}/benchmarks/figure_lm_eval_pairs.tsv"
        conda:
            "../../environment.yml"
        params:
            data_label=DATA_LABEL,
        script:
            "../../scripts/figures/figure_lm_eval_pairs.py"

    ALL_TARGETS += [
        f"results/{RUN}/tables/lm_eval_models.csv",
        f"results/{RUN}/tables/lm_eval_pairs_es.csv",
        *expand(
            f"results/{RUN}/figures/lm_eval_pairs.{{ext}}",
            ext=[*config["figures"]["formats"], "csv"],
        ),
    ]
