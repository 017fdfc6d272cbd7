# Beyond the paper (docs/design.md §9): the Mirage screen put to tests. A permutation trend test ("does
# performance depend on scale?", not sharpness) with FDR control, a bootstrap over tasks, the
# threshold/min_effect sweep, agreement with human judgement (Wei et al. 2022, App. E), the Mirage
# toy model, and their headline numbers (beyond_summary.json).
# Each analysis rule writes its tables and the CSV of exactly the numbers its figure shows; a
# figure_* rule draws that CSV, so editing figures.formats reruns only the drawing (docs/design.md §7).


rule trend_pvalues:
    input:
        curves=rules.build_curves.output.curves,
        emergence=rules.emergence_scores.output.table,
        metrics=METRICS_FILE,
        lib=lib_inputs("beyond/trend_pvalues"),
    output:
        pvalues=f"results/{RUN}/trend_pvalues.parquet",
        table_csv=report(
            f"results/{RUN}/tables/trend_by_metric.csv",
            caption="../report/trend_by_metric.rst",
            category=REPORT["beyond"],
            subcategory="Trend test",
        ),
        table_tex=f"results/{RUN}/tables/trend_by_metric.tex",
        figure_csv=f"results/{RUN}/figures/trend_observed_vs_expected.csv",
    log:
        f"results/{RUN}/logs/trend_pvalues.log",
    benchmark:
        f"results/{RUN}/benchmarks/trend_pvalues.tsv"
    conda:
        "../../environment.yml"
    params:
        permutations=config["trend"]["permutations"],
        seed=config["trend"]["seed"],
        fdr=config["trend"]["fdr"],
        level=config["trend"]["level"],
        label=DATA_LABEL,
    script:
        "../../scripts/beyond/trend_pvalues.py"


rule figure_trend:
    input:
        data=rules.trend_pvalues.output.figure_csv,
        metrics=METRICS_FILE,
        lib=lib_inputs("beyond/figure_trend"),
    output:
        figure=figure_report(
            "trend_observed_vs_expected",
            category=REPORT["beyond"],
            subcategory="Trend test",
        ),
    log:
        f"results/{RUN}/logs/figure_trend.log",
    benchmark:
        f"results/{RUN}/benchmarks/figure_trend.tsv"
    conda:
        "../../environment.yml"
    params:
        label=DATA_LABEL,
        synthetic=SYNTHETIC,
    script:
        "../../scripts/beyond/figure_trend.py"


rule bootstrap_tasks:
    input:
        emergence=rules.emergence_scores.output.table,
        scores=f"results/{RUN}/scores.parquet",
        annotations=config["annotations"],
        task_metadata=config["task_metadata"],
        metrics=METRICS_FILE,
        lib=lib_inputs("beyond/bootstrap_tasks"),
    output:
        table_csv=report(
            f"results/{RUN}/tables/bootstrap_by_metric.csv",
            caption="../report/bootstrap_by_metric.rst",
            category=REPORT["beyond"],
            subcategory="Bootstrap over tasks",
        ),
        table_tex=f"results/{RUN}/tables/bootstrap_by_metric.tex",
        figure_csv=f"results/{RUN}/figures/emergent_share_bootstrap.csv",
    log:
        f"results/{RUN}/logs/bootstrap_tasks.log",
    benchmark:
        f"results/{RUN}/benchmarks/bootstrap_tasks.tsv"
    conda:
        "../../environment.yml"
    params:
        samples=config["bootstrap"]["samples"],
        seed=config["bootstrap"]["seed"],
        level=config["bootstrap"]["level"],
        triplet_rule=config["triplet_rule"],
        label=DATA_LABEL,
    script:
        "../../scripts/beyond/bootstrap_tasks.py"


rule figure_bootstrap:
    input:
        data=rules.bootstrap_tasks.output.figure_csv,
        metrics=METRICS_FILE,
        lib=lib_inputs("beyond/figure_bootstrap"),
    output:
        figure=figure_report(
            "emergent_share_bootstrap",
            category=REPORT["beyond"],
            subcategory="Bootstrap over tasks",
        ),
    log:
        f"results/{RUN}/logs/figure_bootstrap.log",
    benchmark:
        f"results/{RUN}/benchmarks/figure_bootstrap.tsv"
    conda:
        "../../environment.yml"
    params:
        label=DATA_LABEL,
        synthetic=SYNTHETIC,
    script:
        "../../scripts/beyond/figure_bootstrap.py"


rule threshold_sensitivity:
    input:
        emergence=rules.emergence_scores.output.table,
        lib=lib_inputs("beyond/threshold_sensitivity"),
    output:
        table=report(
            f"results/{RUN}/tables/threshold_sensitivity.csv",
            caption="../report/threshold_sensitivity_table.rst",
            category=REPORT["beyond"],
            subcategory="Threshold sensitivity",
        ),
        grid_table=report(
            f"results/{RUN}/tables/threshold_sensitivity_grid.csv",
            caption="../report/threshold_sensitivity_grid.rst",
            category=REPORT["beyond"],
            subcategory="Threshold sensitivity",
        ),
        figure_csv=f"results/{RUN}/figures/threshold_sensitivity.csv",
    log:
        f"results/{RUN}/logs/threshold_sensitivity.log",
    benchmark:
        f"results/{RUN}/benchmarks/threshold_sensitivity.tsv"
    conda:
        "../../environment.yml"
    params:
        thresholds=config["sensitivity"]["thresholds"],
        min_effects=config["sensitivity"]["min_effects"],
        few_metrics_max_fraction=config["sensitivity"]["few_metrics_max_fraction"],
        headline_share_min=config["sensitivity"]["headline_share_min"],
        paper_metrics_with_emergence=config["sensitivity"][
            "paper_metrics_with_emergence"
        ],
        paper_preferred_metrics=config["sensitivity"]["paper_preferred_metrics"],
        paper_headline_share_min=config["sensitivity"]["paper_headline_share_min"],
        label=DATA_LABEL,
    script:
        "../../scripts/beyond/threshold_sensitivity.py"


rule figure_sensitivity:
    input:
        data=rules.threshold_sensitivity.output.figure_csv,
        metrics=METRICS_FILE,
        lib=lib_inputs("beyond/figure_sensitivity"),
    output:
        figure=figure_report(
            "threshold_sensitivity",
            category=REPORT["beyond"],
            subcategory="Threshold sensitivity",
        ),
    log:
        f"results/{RUN}/logs/figure_sensitivity.log",
    benchmark:
        f"results/{RUN}/benchmarks/figure_sensitivity.tsv"
    conda:
        "../../environment.yml"
    params:
        label=DATA_LABEL,
        synthetic=SYNTHETIC,
    script:
        "../../scripts/beyond/figure_sensitivity.py"


rule human_agreement:
    input:
        emergence=rules.emergence_scores.output.table,
        classes=config["agreement"]["classes"],
        annotations=config["annotations"],
        lib=lib_inputs("beyond/human_agreement"),
    output:
        table_csv=report(
            f"results/{RUN}/tables/agreement_confusion.csv",
            caption="../report/agreement_confusion.rst",
            category=REPORT["beyond"],
            subcategory="Agreement with human judgement",
        ),
        table_tex=f"results/{RUN}/tables/agreement_confusion.tex",
        tasks_csv=report(
            f"results/{RUN}/tables/agreement_tasks.csv",
            caption="../report/agreement_tasks.rst",
            category=REPORT["beyond"],
            subcategory="Agreement with human judgement",
        ),
        figure_csv=f"results/{RUN}/figures/agreement.csv",
    log:
        f"results/{RUN}/logs/human_agreement.log",
    benchmark:
        f"results/{RUN}/benchmarks/human_agreement.tsv"
    conda:
        "../../environment.yml"
    params:
        emergent_classes=config["agreement"]["emergent_classes"],
        not_emergent_classes=config["agreement"]["not_emergent_classes"],
        scale=config["scale"],
        label=DATA_LABEL,
    script:
        "../../scripts/beyond/human_agreement.py"


rule figure_agreement:
    input:
        data=rules.human_agreement.output.figure_csv,
        lib=lib_inputs("beyond/figure_agreement"),
    output:
        figure=figure_report(
            "agreement",
            category=REPORT["beyond"],
            subcategory="Agreement with human judgement",
        ),
    log:
        f"results/{RUN}/logs/figure_agreement.log",
    benchmark:
        f"results/{RUN}/benchmarks/figure_agreement.tsv"
    conda:
        "../../environment.yml"
    params:
        label=DATA_LABEL,
        synthetic=SYNTHETIC,
    script:
        "../../scripts/beyond/figure_agreement.py"


rule toy_model:
    input:
        lib=lib_inputs("beyond/toy_model"),
    output:
        figure_csv=f"results/{RUN}/figures/mirage_toy_model.csv",
        resolution=report(
            f"results/{RUN}/tables/toy_resolution.csv",
            caption="../report/toy_resolution.rst",
            category=REPORT["beyond"],
            subcategory="Mirage toy model",
        ),
    log:
        f"results/{RUN}/logs/toy_model.log",
    benchmark:
        f"results/{RUN}/benchmarks/toy_model.tsv"
    conda:
        "../../environment.yml"
    params:
        c=config["toy"]["c"],
        alpha=config["toy"]["alpha"],
        sharpness=settings("sharpness"),
        backtest=settings("backtest"),
        n_min=config["toy"]["n_min"],
        n_max=config["toy"]["n_max"],
        n_models=config["toy"]["n_models"],
        n_grid=config["toy"]["n_grid"],
        lengths=config["toy"]["lengths"],
        test_sizes=config["toy"]["test_sizes"],
        n_options=config["toy"]["n_options"],
        mc_crossing_params=config["toy"]["mc_crossing_params"],
        mc_margin_sd=config["toy"]["mc_margin_sd"],
        mc_length=config["toy"]["mc_length"],
        zero_median_floor=config["zero_median_floor"],
        label=TOY_LABEL,
    script:
        "../../scripts/beyond/toy_model.py"


rule figure_toy:
    input:
        data=rules.toy_model.output.figure_csv,
        lib=lib_inputs("beyond/figure_toy"),
    output:
        figure=figure_report(
            "mirage_toy_model",
            category=REPORT["beyond"],
            subcategory="Mirage toy model",
        ),
    log:
        f"results/{RUN}/logs/figure_toy.log",
    benchmark:
        f"results/{RUN}/benchmarks/figure_toy.tsv"
    conda:
        "../../environment.yml"
    params:
        label=TOY_LABEL,
    script:
        "../../scripts/beyond/figure_toy.py"


rule beyond_summary:
    input:
        trend=rules.trend_pvalues.output.table_csv,
        bootstrap=rules.bootstrap_tasks.output.table_csv,
        grid=rules.threshold_sensitivity.output.grid_table,
        agreement=rules.human_agreement.output.table_csv,
        toy=rules.toy_model.output.resolution,
        lib=lib_inputs("beyond/beyond_summary"),
    output:
        summary=report(
            f"results/{RUN}/beyond_summary.json",
            caption="../report/beyond_summary.rst",
            category=REPORT["beyond"],
        ),
    log:
        f"results/{RUN}/logs/beyond_summary.log",
    benchmark:
        f"results/{RUN}/benchmarks/beyond_summary.tsv"
    conda:
        "../../environment.yml"
    params:
        label=DATA_LABEL,
    script:
        "../../scripts/beyond/beyond_summary.py"


if uses("difficulty_curves"):

    rule difficulty_curves:
        input:
            files=extract_files(["expemergence_groups"], config["extracts"]["path"]),
            lib=lib_inputs("beyond/difficulty_curves"),
        output:
            groups_table=f"results/{RUN}/difficulty_groups.parquet",
            points=f"results/{RUN}/difficulty_points.parquet",
        log:
            f"results/{RUN}/logs/difficulty_curves.log",
        benchmark:
            f"results/{RUN}/benchmarks/difficulty_curves.tsv"
        conda:
            "../../environment.yml"
        params:
            min_family_sizes=config["difficulty"]["min_family_sizes"],
            label=DATA_LABEL,
        script:
            "../../scripts/beyond/difficulty_curves.py"

    rule difficulty_verdicts:
        input:
            points=rules.difficulty_curves.output.points,
            lib=lib_inputs("beyond/difficulty_verdicts"),
        output:
            table_csv=report(
                f"results/{RUN}/tables/difficulty_verdicts.csv",
                caption="../report/difficulty_verdicts.rst",
                category=REPORT["beyond"],
                subcategory="U-shaped scaling",
            ),
            table_tex=f"results/{RUN}/tables/difficulty_verdicts.tex",
            family_csv=report(
                f"results/{RUN}/tables/difficulty_verdicts_family.csv",
                caption="../report/difficulty_verdicts_family.rst",
                category=REPORT["beyond"],
                subcategory="U-shaped scaling",
            ),
            comparison_csv=report(
                f"results/{RUN}/tables/difficulty_comparison.csv",
                caption="../report/difficulty_comparison.rst",
                category=REPORT["beyond"],
                subcategory="U-shaped scaling",
            ),
            comparison_tex=f"results/{RUN}/tables/difficulty_comparison.tex",
        log:
            f"results/{RUN}/logs/difficulty_verdicts.log",
        benchmark:
            f"results/{RUN}/benchmarks/difficulty_verdicts.tsv"
        conda:
            "../../environment.yml"
        params:
            nonmonotone=settings("nonmonotone"),
            difficulty=settings("difficulty", "match_decades"),
            label=DATA_LABEL,
        script:
            "../../scripts/beyond/difficulty_verdicts.py"

    rule figure_difficulty:
        input:
            groups_table=rules.difficulty_curves.output.groups_table,
            verdicts=rules.difficulty_verdicts.output.table_csv,
            lib=lib_inputs("beyond/figure_difficulty"),
        output:
            figure_g3=figure_report(
                "difficulty_groups_3",
                category=REPORT["beyond"],
                subcategory="U-shaped scaling",
            ),
            figure_g10=figure_report(
                "difficulty_groups_10",
                category=REPORT["beyond"],
                subcategory="U-shaped scaling",
            ),
        log:
            f"results/{RUN}/logs/figure_difficulty.log",
        benchmark:
            f"results/{RUN}/benchmarks/figure_difficulty.tsv"
        conda:
            "../../environment.yml"
        params:
            label=DATA_LABEL,
        script:
            "../../scripts/beyond/figure_difficulty.py"


if uses("ladder_predictions"):

    rule ladder_predictions:
        input:
            files=extract_files(["olmo_ladder"], config["extracts"]["path"]),
            lib=lib_inputs("beyond/ladder_predictions"),
        output:
            table=report(
                f"results/{RUN}/tables/ladder_predictions.csv",
                caption="../report/ladder_predictions.rst",
                category=REPORT["beyond"],
                subcategory="Predicting large models",
            ),
            tex=f"results/{RUN}/tables/ladder_predictions.tex",
            summary=f"results/{RUN}/ladder_predictions_summary.json",
            points=f"results/{RUN}/figures/ladder_predictions_points.csv",
        log:
            f"results/{RUN}/logs/ladder_predictions.log",
        benchmark:
            f"results/{RUN}/benchmarks/ladder_predictions.tsv"
        conda:
            "../../environment.yml"
        params:
            ladder=settings("ladder"),
            sharpness=settings("sharpness", "min_width_decades"),
            label=DATA_LABEL,
        script:
            "../../scripts/beyond/ladder_predictions.py"

    rule figure_ladder:
        input:
            table=rules.ladder_predictions.output.table,
            points=rules.ladder_predictions.output.points,
            lib=lib_inputs("beyond/figure_ladder"),
        output:
            figure=figure_report(
                "ladder_predictions",
                category=REPORT["beyond"],
                subcategory="Predicting large models",
            ),
        log:
            f"results/{RUN}/logs/figure_ladder.log",
        benchmark:
            f"results/{RUN}/benchmarks/figure_ladder.tsv"
        conda:
            "../../environment.yml"
        params:
            label=DATA_LABEL,
        script:
            "../../scripts/beyond/figure_ladder.py"
