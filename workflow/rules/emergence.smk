# Curves and their emergence scores (docs/design.md §3).


rule build_curves:
    input:
        scores=f"results/{RUN}/scores.parquet",
        metrics=METRICS_FILE,
        lib=lib_inputs("emergence/build_curves"),
    output:
        curves=f"results/{RUN}/curves.parquet",
        excluded=report(
            f"results/{RUN}/tables/excluded_curves.csv",
            caption="../report/excluded_curves.rst",
            category=REPORT["tables"],
            subcategory="Curves and scores",
        ),
        unknown=report(
            f"results/{RUN}/tables/unknown_metrics.csv",
            caption="../report/unknown_metrics.rst",
            category=REPORT["tables"],
            subcategory="Curves and scores",
        ),
    log:
        f"results/{RUN}/logs/build_curves.log",
    benchmark:
        f"results/{RUN}/benchmarks/build_curves.tsv"
    conda:
        "../../environment.yml"
    params:
        scale=config["scale"],
        families=config["families"],
        shots=config["shots"],
        granularity=config["granularity"],
        min_points=config["min_points"],
        orient_metrics=config["orient_metrics"],
        label=DATA_LABEL,
    script:
        "../../scripts/emergence/build_curves.py"


rule emergence_scores:
    input:
        curves=rules.build_curves.output.curves,
        lib=lib_inputs("emergence/emergence_scores"),
    output:
        table=f"results/{RUN}/emergence.parquet",
        csv=report(
            f"results/{RUN}/emergence.csv",
            caption="../report/emergence.rst",
            category=REPORT["tables"],
            subcategory="Curves and scores",
        ),
    log:
        f"results/{RUN}/logs/emergence_scores.log",
    benchmark:
        f"results/{RUN}/benchmarks/emergence_scores.tsv"
    conda:
        "../../environment.yml"
    params:
        zero_median_floor=config["zero_median_floor"],
        emergence_threshold=config["emergence_threshold"],
        min_effect=config["min_effect"],
        label=DATA_LABEL,
    script:
        "../../scripts/emergence/emergence_scores.py"
