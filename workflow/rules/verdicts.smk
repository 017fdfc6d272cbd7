# "Is it emergent?" answered with tests (docs/statistics.md): the Mirage screen stays as it is ("possible
# emergence (Mirage screen)"); beside it, a sharpness test against a smooth null with each point's
# sampling noise, an unpredictability backtest, one verdict per curve, and a SYNTHETIC calibration
# of both tests (docs/statistics.md).


rule sharpness_curves:
    input:
        curves=f"results/{RUN}/curves.parquet",
        emergence=f"results/{RUN}/emergence.parquet",
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
        min_width_decades=config["sharpness"]["min_width_decades"],
        draws=config["sharpness"]["draws"],
        stop_after=config["sharpness"]["stop_after"],
        seed=config["sharpness"]["seed"],
        statistic=config["sharpness"]["statistic"],
        fdr=config["sharpness"]["fdr"],
        fdr_scope=config["sharpness"]["fdr_scope"],
        residual_min_df=config["sharpness"]["residual_min_df"],
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
        holdout=config["backtest"]["holdout"],
        alpha=config["backtest"]["alpha"],
        min_width_decades=config["sharpness"]["min_width_decades"],
        residual_min_df=config["sharpness"]["residual_min_df"],
        label=DATA_LABEL,
    script:
        "../../scripts/verdicts/backtest_curves.py"


rule curve_verdicts:
    input:
        emergence=f"results/{RUN}/emergence.parquet",
        sharpness=f"results/{RUN}/sharpness.parquet",
        backtest=f"results/{RUN}/backtest.parquet",
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
        fdr=config["sharpness"]["fdr"],
        fdr_scope=config["sharpness"]["fdr_scope"],
        alpha=config["backtest"]["alpha"],
        holdout=config["backtest"]["holdout"],
        min_width_decades=config["sharpness"]["min_width_decades"],
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


rule calibration_study:
    input:
        task_metadata=config["task_metadata"],
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
        reps=config["calibration"]["reps"],
        draws=config["calibration"]["draws"],
        seed=config["calibration"]["seed"],
        n_quantiles=config["calibration"]["n_quantiles"],
        level=config["sharpness"]["fdr"],
        stop_after=config["sharpness"]["stop_after"],
        min_width_decades=config["sharpness"]["min_width_decades"],
        holdout=config["backtest"]["holdout"],
        alpha=config["backtest"]["alpha"],
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
    log:
        f"results/{RUN}/logs/figure_calibration.log",
    benchmark:
        f"results/{RUN}/benchmarks/figure_calibration.tsv"
    conda:
        "../../environment.yml"
    params:
        label=CALIBRATION_LABEL,
        level=config["sharpness"]["fdr"],
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
