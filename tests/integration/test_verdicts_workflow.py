"""The verdict rules through the snakemake CLI on the SYNTHETIC sample: contract outputs and labels."""

from pathlib import Path

import pandas as pd
import pytest

from scripts.lib.io import parquet_label, read_csv, read_json

pytestmark = pytest.mark.integration

RUN = Path("results/sample")
TARGETS = [
    RUN / "verdicts.parquet",
    RUN / "verdicts.csv",
    RUN / "verdicts_summary.json",
    RUN / "tables/verdicts_by_metric.csv",
    RUN / "tables/verdicts_by_metric.tex",
    RUN / "tables/backtest_by_metric.csv",
    RUN / "tables/backtest_metric_map.csv",
    RUN / "tables/calibration.csv",
    RUN / "tables/calibration.tex",
    RUN / "figures/verdicts_by_metric.png",
    RUN / "figures/verdicts_by_metric.pdf",
    RUN / "figures/calibration.png",
]


@pytest.fixture(scope="module")
def workdir(sample_run: Path) -> Path:
    """The shared sample run, read only (its reruns are byte-identical: tests/integration/test_reruns.py)."""
    return sample_run


def test_contract_outputs_exist(workdir):
    missing = [str(t) for t in TARGETS if not (workdir / t).is_file()]
    assert not missing


def test_verdicts_hold_every_emergence_column_and_the_new_ones(workdir):
    verdicts = pd.read_parquet(workdir / RUN / "verdicts.parquet")
    emergence = pd.read_parquet(workdir / RUN / "emergence.parquet")
    assert set(emergence.columns) <= set(verdicts.columns)
    new = {"noise_source", "p_sharp", "q_sharp", "sharp", "sharp_reason", "backtest_pred", "backtest_err"}
    tested = {"backtest_z", "unpredictable", "unpredictable_at", "emergent_tested", "emergence_verdict"}
    assert new | tested | {"backtest_err_frac", "duplicate_of"} <= set(verdicts.columns)
    assert len(verdicts) == len(emergence)
    # sharp NA = a jump the ladder cannot resolve: it does not count against emergence
    resolved_or_sharp = verdicts["sharp"].astype("boolean").fillna(True).astype(bool)
    expected = verdicts["emergent"].astype(bool) & verdicts["unpredictable"].astype(bool) & resolved_or_sharp
    assert (verdicts["emergent_tested"] == expected).all()
    # unpredictable_at is set exactly where a model was found unpredictable
    assert (verdicts["unpredictable_at"].notna() == verdicts["unpredictable"].astype(bool)).all()
    assert set(verdicts["noise_source"].dropna()) <= {"binomial", "reported", "seeds", "residual"}
    assert "SYNTHETIC" in (parquet_label(workdir / RUN / "verdicts.parquet") or "")


def test_sample_has_sharp_curves_and_multi_metric_pairs(workdir):
    # The synthetic generator plants sharp multiple-choice and exact-match curves and gives every
    # such task continuous metrics too, so both tables have rows.
    verdicts = pd.read_parquet(workdir / RUN / "verdicts.parquet")
    assert verdicts["sharp"].astype("boolean").fillna(False).sum() > 0
    assert len(read_csv(workdir / RUN / "tables/backtest_metric_map.csv")) > 0


def test_summary_sentences_and_labels(workdir):
    summary = read_json(workdir / RUN / "verdicts_summary.json")
    assert "curves that pass the Mirage screen" in summary["sentences"][0]
    assert summary["screened"] >= summary["screened_sharp"] >= summary["screened_sharp_unpredictable"]
    for table in ("verdicts_by_metric", "calibration"):
        first = (workdir / RUN / "tables" / f"{table}.csv").read_text().splitlines()[0]
        assert first.startswith("# SYNTHETIC DATA")
