# Mirage's prediction on the same outputs, for every source: where a (family, task) has a sharp and a
# continuous metric, the screen and the tested verdicts under each (docs/extracts.md, "Metric pairs").


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


ALL_TARGETS += [
    f"results/{RUN}/tables/metric_pairs.csv",
    f"results/{RUN}/metric_pairs_summary.json",
]
