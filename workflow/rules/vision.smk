# Inducing emergence by the choice of metric in small vision models (Mirage Sec. 5), offline on
# scikit-learn's bundled digits (docs/vision.md). Independent of the BIG-bench source: the digits
# are real images in every run, so these outputs carry their own data label, not SYNTHETIC.


rule vision_train_classifier:
    input:
        lib=lib_inputs("vision/vision_train"),
    output:
        outcomes=f"results/{RUN}/vision/classifier_outcomes.parquet",
    log:
        f"results/{RUN}/logs/vision_train_classifier.log",
    benchmark:
        f"results/{RUN}/benchmarks/vision_train_classifier.tsv"
    conda:
        "../../environment.yml"
    params:
        model="classifier",
        sizes=config["vision"]["classifier"]["widths"],
        seeds=config["vision"]["seeds"],
        test_fraction=config["vision"]["test_fraction"],
        split_seed=config["vision"]["split_seed"],
        max_iter=config["vision"]["classifier"]["max_iter"],
        learning_rate=config["vision"]["classifier"]["learning_rate"],
        label=VISION_LABEL,
    script:
        "../../scripts/vision/vision_train.py"


rule vision_train_autoencoder:
    input:
        lib=lib_inputs("vision/vision_train"),
    output:
        outcomes=f"results/{RUN}/vision/autoencoder_outcomes.parquet",
    log:
        f"results/{RUN}/logs/vision_train_autoencoder.log",
    benchmark:
        f"results/{RUN}/benchmarks/vision_train_autoencoder.tsv"
    conda:
        "../../environment.yml"
    params:
        model="autoencoder",
        sizes=config["vision"]["autoencoder"]["bottlenecks"],
        seeds=config["vision"]["seeds"],
        test_fraction=config["vision"]["test_fraction"],
        split_seed=config["vision"]["split_seed"],
        max_iter=config["vision"]["autoencoder"]["max_iter"],
        learning_rate=config["vision"]["autoencoder"]["learning_rate"],
        label=VISION_LABEL,
    script:
        "../../scripts/vision/vision_train.py"


rule vision_scores:
    input:
        classifier=rules.vision_train_classifier.output.outcomes,
        autoencoder=rules.vision_train_autoencoder.output.outcomes,
        lib=lib_inputs("vision/vision_scores"),
    output:
        curves=f"results/{RUN}/vision/curves.parquet",
        emergence=f"results/{RUN}/vision/emergence.parquet",
        table_csv=report(
            f"results/{RUN}/tables/vision_emergence.csv",
            caption="../report/vision_emergence.rst",
            category=REPORT["vision"],
        ),
        table_tex=f"results/{RUN}/tables/vision_emergence.tex",
        summary=f"results/{RUN}/vision_summary.json",
    log:
        f"results/{RUN}/logs/vision_scores.log",
    benchmark:
        f"results/{RUN}/benchmarks/vision_scores.tsv"
    conda:
        "../../environment.yml"
    params:
        subset_size=config["vision"]["subset_size"],
        error_threshold=config["vision"]["error_threshold"],
        zero_median_floor=config["zero_median_floor"],
        emergence_threshold=config["emergence_threshold"],
        min_effect=config["min_effect"],
        sharpness=settings("sharpness"),
        backtest=settings("backtest"),
        label=VISION_LABEL,
    script:
        "../../scripts/vision/vision_scores.py"


rule figure_vision:
    input:
        curves=rules.vision_scores.output.curves,
        emergence=rules.vision_scores.output.emergence,
        lib=lib_inputs("vision/figure_vision"),
    output:
        figure=figure_report("vision_metric_choice", category=REPORT["vision"]),
        data=f"results/{RUN}/figures/vision_metric_choice.csv",
    log:
        f"results/{RUN}/logs/figure_vision.log",
    benchmark:
        f"results/{RUN}/benchmarks/figure_vision.tsv"
    conda:
        "../../environment.yml"
    params:
        subset_size=config["vision"]["subset_size"],
        error_threshold=config["vision"]["error_threshold"],
        label=VISION_LABEL,
    script:
        "../../scripts/vision/figure_vision.py"
