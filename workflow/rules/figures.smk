# Figures (Mirage Fig. 5A-C, Fig. 6, and the emergence gallery); each rule also writes the CSV of
# exactly the numbers it plots (docs/design.md §5). One file per format in config figures.formats.


rule figure_fig5a:
    input:
        emergence=rules.emergence_scores.output.table,
        metrics=METRICS_FILE,
        lib=lib_inputs("figures/figure_fig5a"),
    output:
        figure=figure_report(
            "fig5a_emergence_by_preferred_metric",
            category=REPORT["figures"],
            subcategory="Mirage Fig. 5",
        ),
        data=f"results/{RUN}/figures/fig5a_emergence_by_preferred_metric.csv",
    log:
        f"results/{RUN}/logs/figure_fig5a.log",
    benchmark:
        f"results/{RUN}/benchmarks/figure_fig5a.tsv"
    conda:
        "../../environment.yml"
    params:
        data_label=DATA_LABEL,
        synthetic=SYNTHETIC,
    script:
        "../../scripts/figures/figure_fig5a.py"


rule figure_fig5b:
    input:
        annotated=rules.tally_metrics.output.annotated_csv,
        missing=rules.tally_metrics.output.annotated_missing,
        metrics=METRICS_FILE,
        lib=lib_inputs("figures/figure_fig5b"),
    output:
        figure=figure_report(
            "fig5b_annotated_by_metric",
            category=REPORT["figures"],
            subcategory="Mirage Fig. 5",
        ),
        data=f"results/{RUN}/figures/fig5b_annotated_by_metric.csv",
    log:
        f"results/{RUN}/logs/figure_fig5b.log",
    benchmark:
        f"results/{RUN}/benchmarks/figure_fig5b.tsv"
    conda:
        "../../environment.yml"
    params:
        annotations=config["annotations"],
        data_label=DATA_LABEL,
        synthetic=SYNTHETIC,
    script:
        "../../scripts/figures/figure_fig5b.py"


rule figure_fig5c:
    input:
        share=rules.tally_metrics.output.share_csv,
        emergence=rules.emergence_scores.output.table,
        metrics=METRICS_FILE,
        lib=lib_inputs("figures/figure_fig5c"),
    output:
        figure=figure_report(
            "fig5c_emergent_share_by_metric",
            category=REPORT["figures"],
            subcategory="Mirage Fig. 5",
        ),
        data=f"results/{RUN}/figures/fig5c_emergent_share_by_metric.csv",
    log:
        f"results/{RUN}/logs/figure_fig5c.log",
    benchmark:
        f"results/{RUN}/benchmarks/figure_fig5c.tsv"
    conda:
        "../../environment.yml"
    params:
        triplet_rule=config["triplet_rule"],
        data_label=DATA_LABEL,
        synthetic=SYNTHETIC,
    script:
        "../../scripts/figures/figure_fig5c.py"


rule figure_fig6:
    input:
        emergence=rules.emergence_scores.output.table,
        curves=rules.build_curves.output.curves,
        metrics=METRICS_FILE,
        lib=lib_inputs("figures/figure_fig6"),
    output:
        figure=figure_report(
            "fig6_metric_swap", category=REPORT["figures"], subcategory="Mirage Fig. 6"
        ),
        data=f"results/{RUN}/figures/fig6_metric_swap.csv",
    log:
        f"results/{RUN}/logs/figure_fig6.log",
    benchmark:
        f"results/{RUN}/benchmarks/figure_fig6.tsv"
    conda:
        "../../environment.yml"
    params:
        family=config["fig6"]["family"],
        tasks=config["fig6"]["tasks"],
        n_tasks=config["fig6"]["n_tasks"],
        scale=config["scale"],
        data_label=DATA_LABEL,
        synthetic=SYNTHETIC,
    script:
        "../../scripts/figures/figure_fig6.py"


rule figure_gallery:
    input:
        emergence=rules.emergence_scores.output.table,
        curves=rules.build_curves.output.curves,
        metrics=METRICS_FILE,
        lib=lib_inputs("figures/figure_gallery"),
    output:
        figure=figure_report(
            "emergence_gallery",
            category=REPORT["figures"],
            subcategory="Emergence gallery",
        ),
        data=f"results/{RUN}/figures/emergence_gallery.csv",
    log:
        f"results/{RUN}/logs/figure_gallery.log",
    benchmark:
        f"results/{RUN}/benchmarks/figure_gallery.tsv"
    conda:
        "../../environment.yml"
    params:
        n_curves=config["figures"]["gallery_size"],
        scale=config["scale"],
        data_label=DATA_LABEL,
        synthetic=SYNTHETIC,
    script:
        "../../scripts/figures/figure_gallery.py"


if uses("figure_fig6_real"):

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


if uses("figure_lm_eval_pairs"):

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
