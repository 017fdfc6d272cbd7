"""Rules vision_train_classifier / vision_train_autoencoder: a ladder of small MLPs on scikit-learn digits.

Mirage Sec. 5 ("inducing emergent abilities in vision tasks"), offline: the 1,797 8x8 digits
bundled with scikit-learn (`sklearn.datasets.load_digits`, no download), pixels scaled from 0..16
to [0, 1], one fixed stratified train/test split (`test_fraction`, `split_seed`).

- classifier: `MLPClassifier` with one hidden layer of `w` ReLU units for every `w` in `sizes`;
  parameters = 64*w + w + 10*w + 10 = 75*w + 10 (weights and biases).
- autoencoder: `MLPRegressor` trained to reproduce its input through one ReLU bottleneck layer of
  `k` units (a shallow nonlinear autoencoder, as in the paper); parameters = 129*k + 64.

Every size is trained once per seed in `seeds` with the same budget (`max_iter` epochs of Adam at
`learning_rate`), so bigger models are better because they are bigger, not because they train
longer. Hitting `max_iter` before sklearn's convergence test is the intended fixed budget: the
ConvergenceWarning is silenced and the number of such fits is logged once. BLAS runs on one thread
so the outputs are byte-identical on rerun.

The output is per test example, not per metric, so that the metric knobs (subset size K,
error threshold c) are applied downstream (rule vision_scores) without retraining:
classifier -> size, n_params, seed, example, label, predicted, correct;
autoencoder -> size, n_params, seed, example, label, mse (mean squared error over the 64 pixels).

Output: outcomes (parquet). Params: model, sizes, seeds, test_fraction, split_seed, max_iter,
learning_rate, label.
"""

import logging
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from threadpoolctl import threadpool_limits

from scripts.lib.io import run_rule, write_parquet
from scripts.lib.sources.vision_models import N_CLASSES, N_PIXELS

logger = logging.getLogger(__name__)

MODELS = ("classifier", "autoencoder")
PIXEL_MAX = 16.0


def classifier_params(width: int, n_inputs: int = N_PIXELS, n_classes: int = N_CLASSES) -> int:
    """Weights + biases of an MLP with one hidden layer of `width` units: 75*w + 10 for digits."""
    return n_inputs * width + width + width * n_classes + n_classes


def autoencoder_params(bottleneck: int, n_inputs: int = N_PIXELS) -> int:
    """Weights + biases of a one-bottleneck autoencoder: encoder 64*k + k, decoder 64*k + 64."""
    return 2 * n_inputs * bottleneck + bottleneck + n_inputs


def digits_split(test_fraction: float, split_seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, X_test, y_train, y_test) of the bundled digits, pixels in [0, 1], stratified split."""
    data = load_digits()
    x = data.data.astype(np.float64) / PIXEL_MAX
    y = data.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_fraction, stratify=y, random_state=split_seed
    )
    return x_train, x_test, y_train, y_test


def per_image_mse(reconstruction: np.ndarray, images: np.ndarray) -> np.ndarray:
    """Mean squared error over the pixels of each image (one value per row)."""
    return ((reconstruction - images) ** 2).mean(axis=1)


def train_ladder(
    model: str,
    *,
    sizes: Sequence[int],
    seeds: Sequence[int],
    test_fraction: float,
    split_seed: int,
    max_iter: int,
    learning_rate: float,
) -> tuple[pd.DataFrame, int]:
    """Train every (size, seed) and return (per-test-example outcomes, number of fits stopped at max_iter)."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    x_train, x_test, y_train, y_test = digits_split(test_fraction, split_seed)
    examples = np.arange(len(y_test))
    frames = []
    n_budget_stops = 0
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for size in sorted(int(s) for s in sizes):
            for seed in sorted(int(s) for s in seeds):
                common = {
                    "hidden_layer_sizes": (size,),
                    "max_iter": max_iter,
                    "learning_rate_init": learning_rate,
                    "random_state": seed,
                }
                if model == "classifier":
                    net = MLPClassifier(**common).fit(x_train, y_train)
                    predicted = net.predict(x_test)
                    outcome = {"predicted": predicted.astype(np.int64), "correct": predicted == y_test}
                    n_params = classifier_params(size)
                else:
                    net = MLPRegressor(**common).fit(x_train, x_train)
                    outcome = {"mse": per_image_mse(net.predict(x_test), x_test)}
                    n_params = autoencoder_params(size)
                n_budget_stops += int(net.n_iter_ >= max_iter)
                frames.append(
                    pd.DataFrame(
                        {
                            "size": size,
                            "n_params": n_params,
                            "seed": seed,
                            "example": examples,
                            "label": y_test,
                            **outcome,
                        }
                    )
                )
    outcomes = pd.concat(frames, ignore_index=True)
    return outcomes.astype({"size": "int64", "n_params": "int64", "seed": "int64", "example": "int64"}), n_budget_stops


def run(
    *,
    outcomes: str,
    model: str,
    sizes: list[int],
    seeds: list[int],
    test_fraction: float,
    split_seed: int,
    max_iter: int,
    learning_rate: float,
    label: str,
) -> None:
    table, n_budget_stops = train_ladder(
        model,
        sizes=list(sizes),
        seeds=list(seeds),
        test_fraction=test_fraction,
        split_seed=split_seed,
        max_iter=max_iter,
        learning_rate=learning_rate,
    )
    write_parquet(table, outcomes, label=label)
    n_fits = len(sizes) * len(seeds)
    n_test = int(table["example"].nunique())
    logger.info("%s: %d sizes x %d seeds = %d fits, %d test images each", model, len(sizes), len(seeds), n_fits, n_test)
    if n_budget_stops:
        logger.info(
            "%d of %d fits used the whole budget of max_iter=%d epochs before sklearn's convergence test "
            "(ConvergenceWarning silenced: a fixed budget for every size is intended)",
            n_budget_stops,
            n_fits,
            max_iter,
        )
    if model == "classifier":
        acc = table.groupby("size")["correct"].mean()
        logger.info("test accuracy by width (mean over seeds): %s", ", ".join(f"{k}: {v:.3f}" for k, v in acc.items()))
    else:
        mse = table.groupby("size")["mse"].mean()
        logger.info("test MSE by bottleneck (mean over seeds): %s", ", ".join(f"{k}: {v:.4f}" for k, v in mse.items()))


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
