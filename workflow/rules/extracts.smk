# source=extracts (and its alias excerpt): real scores from the registry of public third-party
# extracts (scripts/lib/sources/extracts/registry.py, docs/extracts.md), read in place under extracts.path.
# One rule stands in for acquire + parse: it writes the same scores.parquet, an empty
# logs/bad_files.csv and a manifest of the pinned files, so every later rule runs unchanged.


if config["source"] in EXTRACT_SOURCES:

    if EXTRACTS_FETCH:

        # extracts.path is the download cache: fetch each pinned file from GitHub (verified).
        rule fetch_extracts:
            input:
                lib=lib_inputs("acquire/fetch_extracts"),
            output:
                files=EXTRACT_FILES,
            log:
                f"results/{RUN}/logs/fetch_extracts.log",
            benchmark:
                f"results/{RUN}/benchmarks/fetch_extracts.tsv"
            retries: 2
            conda:
                "../../environment.yml"
            params:
                use=EXTRACTS_USE,
                raw_url=config["github"]["raw_url"],
                timeout_s=config["github"]["timeout_s"],
                retries=config["github"]["retries"],
            script:
                "../../scripts/acquire/fetch_extracts.py"

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

    rule figure_fig6_real:
        input:
            emergence=f"results/{RUN}/emergence.parquet",
            curves=f"results/{RUN}/curves.parquet",
            scores=f"results/{RUN}/scores.parquet",
            metrics=METRICS_FILE,
            lib=lib_inputs("figures/figure_fig6_real"),
        output:
            figure=figure_report(
                "fig6_real_models",
                category=REPORT["figures"],
                subcategory="Mirage Fig. 6",
            ),
            data=f"results/{RUN}/figures/fig6_real_models.csv",
        log:
            f"results/{RUN}/logs/figure_fig6_real.log",
        benchmark:
            f"results/{RUN}/benchmarks/figure_fig6_real.tsv"
        conda:
            "../../environment.yml"
        params:
            scale=config["scale"],
            data_label=DATA_LABEL,
        script:
            "../../scripts/figures/figure_fig6_real.py"

    ALL_TARGETS += [
        f"results/{RUN}/tables/extracts_models.csv",
        f"results/{RUN}/tables/extracts_overlap.csv",
        *expand(
            f"results/{RUN}/figures/fig6_real_models.{{fmt}}",
            fmt=config["figures"]["formats"],
        ),
    ]
