"""The vision models' sizes and metrics, shared by training, scoring and the figure (docs/vision.md).

Why here: the figure must invert the parameter count to a width and name the metrics exactly as
the scoring rule does.
"""

import math
from typing import Any

FAMILIES = {"classifier": "MLP classifier", "autoencoder": "MLP autoencoder"}


# Metric facts (the vision analogue of config/metrics.yaml), in plotting order: smooth, then sharp.
METRICS: dict[str, dict[str, Any]] = {
    "accuracy": {"model": "classifier", "kind": "smooth", "higher_is_better": True, "low": 0.0, "high": 1.0},
    "subset_accuracy": {"model": "classifier", "kind": "sharp", "higher_is_better": True, "low": 0.0, "high": 1.0},
    "reconstruction_mse": {
        "model": "autoencoder",
        "kind": "smooth",
        "higher_is_better": False,
        "low": math.nan,
        "high": math.nan,
    },
    "reconstruction_below_c": {
        "model": "autoencoder",
        "kind": "sharp",
        "higher_is_better": True,
        "low": 0.0,
        "high": 1.0,
    },
}


def metric_label(metric: str, *, subset_size: int, error_threshold: float) -> str:
    """Plain-words name of a vision metric, with its K or c."""
    return {
        "accuracy": "Test accuracy",
        "subset_accuracy": f"Subset accuracy (all K={subset_size} correct)",
        "reconstruction_mse": "Reconstruction MSE",
        "reconstruction_below_c": f"Fraction of images with MSE < c={error_threshold:g}",
    }[metric]


N_PIXELS = 64
N_CLASSES = 10


def size_from_params(model: str, n_params: float) -> int:
    """Inverse of `classifier_params` / `autoencoder_params`: the hidden width or bottleneck size."""
    if model == "classifier":
        return round((n_params - N_CLASSES) / (N_PIXELS + 1 + N_CLASSES))
    return round((n_params - N_PIXELS) / (2 * N_PIXELS + 1))
