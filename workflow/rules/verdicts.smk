# "Is it emergent?" answered with tests (docs/statistics.md): the Mirage screen stays as it is ("possible
# emergence (Mirage screen)"); beside it, a sharpness test against a smooth null with each point's
# sampling noise, an unpredictability backtest, one verdict per curve, and a SYNTHETIC calibration
# of both tests (docs/statistics.md).


rule sharpness_curves:
    input:
        curves=f"results/{RUN}/curves.parquet",
        lib=lib_inputs("verdicts/sharpness_curves"),
    output:
        table=f"results/{RUN}/sharpness.parquet",
    log:
        f"results/{RUN}/logs/sharpness_curves.log",
    benchmark:
        f"results/{RUN}/benchmarks/sharpness_curves.tsv"
    conda:
        "../../environment.yml"
    params:
        sharpness=settings("sharpness"),
        zero_median_floor=config["zero_median_floor"],
        label=DATA_LABEL,
    script:
        "../../scripts/verdicts/sharpness_curves.py"


rule backtest_curves:
    input:
        curves=f"results/{RUN}/curves.parquet",
        metrics=METRICS_FILE,
        lib=lib_inputs("verdicts/backtest_curves"),
    output:
        table=f"results/{RUN}/backtest.parquet",
        by_metric_csv=report(
            f"results/{RUN}/tables/backtest_by_metric.csv",
            caption="../report/backtest_by_metric.rst",
            category=REPORT["verdicts"],
        ),
        by_metric_tex=f"results/{RUN}/tables/backtest_by_metric.tex",
        map_csv=report(
            f"results/{RUN}/tables/backtest_metric_map.csv",
            caption="../report/backtest_metric_map.rst",
            category=REPORT["verdicts"],
        ),
        map_tex=f"results/{RUN}/tables/backtest_metric_map.tex",
    log:
        f"results/{RUN}/logs/backtest_curves.log",
    benchmark:
        f"results/{RUN}/benchmarks/backtest_curves.tsv"
    conda:
        "../../environment.yml"
    params:
        sharpness=settings("sharpness", "min_width_decades", "residual_min_df"),
        backtest=settings("backtest", "min_train", "holdout", "alpha", "extrapolation"),
        label=DATA_LABEL,
    script:
        "../../scripts/verdicts/backtest_curves.py"


rule nonmonotone_curves:
    input:
        curves=f"results/{RUN}/curves.parquet",
        lib=lib_inputs("verdicts/nonmonotone_curves"),
    output:
        table=f"results/{RUN}/nonmonotone.parquet",
    log:
        f"results/{RUN}/logs/nonmonotone_curves.log",
    benchmark:
        f"results/{RUN}/benchmarks/nonmonotone_curves.tsv"
    conda:
        "../../environment.yml"
    params:
        nonmonotone=settings("nonmonotone"),
        sharpness=settings("sharpness", "min_width_decades", "residual_min_df"),
        label=DATA_LABEL,
    script:
        "../../scripts/verdicts/nonmonotone_curves.py"


rule curve_verdicts:
    input:
        emergence=f"results/{RUN}/emergence.parquet",
        sharpness_parquet=rules.sharpness_curves.output.table,
        backtest_parquet=rules.backtest_curves.output.table,
        nonmonotone_parquet=rules.nonmonotone_curves.output.table,
        curves=f"results/{RUN}/curves.parquet",
        metrics=METRICS_FILE,
        lib=lib_inputs("verdicts/curve_verdicts"),
    output:
        table=f"results/{RUN}/verdicts.parquet",
        csv=report(
            f"results/{RUN}/verdicts.csv",
            caption="../report/verdicts.rst",
            category=REPORT["verdicts"],
        ),
        by_metric_csv=report(
            f"results/{RUN}/tables/verdicts_by_metric.csv",
            caption="../report/verdicts_by_metric.rst",
            category=REPORT["verdicts"],
        ),
        by_metric_tex=f"results/{RUN}/tables/verdicts_by_metric.tex",
        figure_csv=f"results/{RUN}/figures/verdicts_by_metric.csv",
        summary=f"results/{RUN}/verdicts_summary.json",
    log:
        f"results/{RUN}/logs/curve_verdicts.log",
    benchmark:
        f"results/{RUN}/benchmarks/curve_verdicts.tsv"
    conda:
        "../../environment.yml"
    params:
        sharpness=settings(
            "sharpness", "fdr", "fdr_scope", "min_width_decades", "residual_min_df"
        ),
        backtest=settings("backtest", "alpha", "holdout"),
        label=DATA_LABEL,
    script:
        "../../scripts/verdicts/curve_verdicts.py"


rule figure_verdicts:
    input:
        data=f"results/{RUN}/figures/verdicts_by_metric.csv",
        metrics=METRICS_FILE,
        lib=lib_inputs("verdicts/figure_verdicts"),
    output:
        figure=report(
            expand(
                f"results/{RUN}/figures/verdicts_by_metric.{{fmt}}",
                fmt=config["figures"]["formats"],
            ),
            caption="../report/verdicts_figure.rst",
            category=REPORT["verdicts"],
        ),
    log:
        f"results/{RUN}/logs/figure_verdicts.log",
    benchmark:
        f"results/{RUN}/benchmarks/figure_verdicts.tsv"
    conda:
        "../../environment.yml"
    params:
        label=DATA_LABEL,
        synthetic=SYNTHETIC,
    script:
        "../../scripts/verdicts/figure_verdicts.py"


rule calibration_verdicts:
    input:
        lib=lib_inputs("verdicts/calibration_verdicts"),
    output:
        table=f"results/{RUN}/calibration/verdicts.parquet",
    log:
        f"results/{RUN}/logs/calibration_verdicts.log",
    benchmark:
        f"results/{RUN}/benchmarks/calibration_verdicts.tsv"
    conda:
        "../../environment.yml"
    threads: 2
    params:
        calibration=settings(
            "calibration",
            "reps",
            "draws",
            "seed",
            "n_examples",
            "phi",
            "widths",
            "centres",
            "jumps_se",
        ),
        sharpness=settings("sharpness"),
        backtest=settings("backtest"),
        label=CALIBRATION_LABEL,
    script:
        "../../scripts/verdicts/calibration_verdicts.py"


rule calibration_study:
    input:
        verdicts=rules.calibration_verdicts.output.table,
        lib=lib_inputs("verdicts/calibration_study"),
    output:
        table_csv=report(
            f"results/{RUN}/tables/calibration.csv",
            caption="../report/calibration.rst",
            category=REPORT["verdicts"],
        ),
        table_tex=f"results/{RUN}/tables/calibration.tex",
        summary_csv=report(
            f"results/{RUN}/tables/calibration_summary.csv",
            caption="../report/calibration_summary.rst",
            category=REPORT["verdicts"],
        ),
        figure_csv=f"results/{RUN}/figures/calibration.csv",
    log:
        f"results/{RUN}/logs/calibration_study.log",
    benchmark:
        f"results/{RUN}/benchmarks/calibration_study.tsv"
    conda:
        "../../environment.yml"
    params:
        calibration=settings(
            "calibration", "n_examples", "phi", "reps", "coverage_floor"
        ),
        sharpness=settings("sharpness", "fdr"),
        backtest=settings("backtest", "alpha"),
        screen={key: config[key] for key in ("min_effect", "emergence_threshold")},
        label=CALIBRATION_LABEL,
    script:
        "../../scripts/verdicts/calibration_study.py"


rule figure_calibration:
    input:
        data=f"results/{RUN}/figures/calibration.csv",
        lib=lib_inputs("verdicts/figure_calibration"),
    output:
        figure=report(
            expand(
                f"results/{RUN}/figures/calibration.{{fmt}}",
                fmt=config["figures"]["formats"],
            ),
            caption="../report/calibration_figure.rst",
            category=REPORT["verdicts"],
        ),
        figure_power=report(
            expand(
                f"results/{RUN}/figures/calibration_power.{{fmt}}",
                fmt=config["figures"]["formats"],
            ),
            caption="../report/calibration_figure.rst",
            category=REPORT["verdicts"],
        ),
    log:
        f"results/{RUN}/logs/figure_calibration.log",
    benchmark:
        f"results/{RUN}/benchmarks/figure_calibration.tsv"
    conda:
        "../../environment.yml"
    params:
        label=CALIBRATION_LABEL,
    script:
        "../../scripts/verdicts/figure_calibration.py"


# Mirage's prediction on the same outputs: the screen under a sharp and a continuous metric.
rule metric_pairs:
    input:
        emergence=rules.emergence_scores.output.table,
        scores=f"results/{RUN}/scores.parquet",
        metrics=METRICS_FILE,
        verdicts=rules.curve_verdicts.output.table,
        lib=lib_inputs("verdicts/metric_pairs"),
    output:
        table=report(
            f"results/{RUN}/tables/metric_pairs.csv",
            caption="../report/metric_pairs.rst",
            category=REPORT["tables"],
            subcategory="Metric pairs",
        ),
        tex=f"results/{RUN}/tables/metric_pairs.tex",
        cases=report(
            f"results/{RUN}/tables/metric_pairs_cases.csv",
            caption="../report/metric_pairs_cases.rst",
            category=REPORT["tables"],
            subcategory="Metric pairs",
        ),
        summary_json=f"results/{RUN}/metric_pairs_summary.json",
    log:
        f"results/{RUN}/logs/metric_pairs.log",
    benchmark:
        f"results/{RUN}/benchmarks/metric_pairs.tsv"
    conda:
        "../../environment.yml"
    params:
        source=config["source"],
        label=DATA_LABEL,
    script:
        "../../scripts/verdicts/metric_pairs.py"


# Against people: Wei's annotated emergence scale per task and family vs the first unpredictable model.
rule verdicts_vs_annotations:
    input:
        verdicts=rules.curve_verdicts.output.table,
        curves=f"results/{RUN}/curves.parquet",
        annotations=config["annotations"],
        lib=lib_inputs("verdicts/verdicts_vs_annotations"),
    output:
        csv=report(
            f"results/{RUN}/tables/verdicts_vs_annotations.csv",
            caption="../report/verdicts_vs_annotations.rst",
            category=REPORT["verdicts"],
        ),
        tex=f"results/{RUN}/tables/verdicts_vs_annotations.tex",
    log:
        f"results/{RUN}/logs/verdicts_vs_annotations.log",
    benchmark:
        f"results/{RUN}/benchmarks/verdicts_vs_annotations.tsv"
    conda:
        "../../environment.yml"
    params:
        label=DATA_LABEL,
    script:
        "../../scripts/verdicts/verdicts_vs_annotations.py"


rule verdict_bands:
    input:
        verdicts=rules.curve_verdicts.output.table,
        curves=f"results/{RUN}/curves.parquet",
        lib=lib_inputs("verdicts/verdict_bands"),
    output:
        data=f"results/{RUN}/figures/verdicts_gallery.csv",
    log:
        f"results/{RUN}/logs/verdict_bands.log",
    benchmark:
        f"results/{RUN}/benchmarks/verdict_bands.tsv"
    conda:
        "../../environment.yml"
    params:
        n_curves=config["figures"]["gallery_size"],
        sharpness=settings("sharpness", "min_width_decades", "residual_min_df"),
        backtest=settings("backtest", "min_train", "alpha", "extrapolation"),
        label=DATA_LABEL,
    script:
        "../../scripts/verdicts/verdict_bands.py"


rule figure_verdicts_gallery:
    input:
        data=rules.verdict_bands.output.data,
        metrics=METRICS_FILE,
        lib=lib_inputs("verdicts/figure_verdicts_gallery"),
    output:
        figure=figure_report(
            "verdicts_gallery",
            category=REPORT["verdicts"],
        ),
    log:
        f"results/{RUN}/logs/figure_verdicts_gallery.log",
    benchmark:
        f"results/{RUN}/benchmarks/figure_verdicts_gallery.tsv"
    conda:
        "../../environment.yml"
    params:
        scale=config["scale"],
        label=DATA_LABEL,
        synthetic=SYNTHETIC,
    script:
        "../../scripts/verdicts/figure_verdicts_gallery.py"
