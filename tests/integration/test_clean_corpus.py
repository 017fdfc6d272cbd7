"""Every rule on a corpus with no quirk at all (real BIG-G T=0 scores in the upstream layout).

Why: a corpus where nothing is excluded once crashed build_curves (an empty `reason` column has no
.str accessor). This run has no excluded curve, no unknown metric, no bad file, one family, one
metric and one shot count, and every output must still be written and sensible.
"""

import pytest

from scripts.lib.io import read_csv, read_json
from tests.helpers.clean_corpus import AUDIT_TABLE, FAMILY, write_clean_corpus
from tests.helpers.snakemake_cli import LIGHT_SIMULATIONS, make_workdir, run_snakemake

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not AUDIT_TABLE.is_file(), reason=f"real extract {AUDIT_TABLE} not found (../shared)"),
]


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    work = make_workdir(tmp_path_factory.mktemp("clean"))
    corpus = work / "corpus"
    tasks = write_clean_corpus(corpus)
    run_snakemake(work, "-c2", "--config", "source=local", f"local={{path: {corpus}}}", *LIGHT_SIMULATIONS)
    return work / "results" / "local-corpus", tasks


def test_every_curve_is_kept_and_scored(clean_run):
    run_dir, tasks = clean_run
    assert read_csv(run_dir / "tables" / "excluded_curves.csv").empty
    assert read_csv(run_dir / "tables" / "unknown_metrics.csv").empty
    emergence = read_csv(run_dir / "emergence.csv")
    assert sorted(emergence["task"]) == sorted(tasks)
    assert set(emergence["family"]) == {FAMILY} and set(emergence["metric"]) == {"multiple_choice_grade"}
    assert (emergence["n_points"] == 12).all()


def test_the_summary_and_every_figure_are_written(clean_run):
    run_dir, _ = clean_run
    summary = read_json(run_dir / "summary.json")
    assert summary["n_curves"] == 6
    pngs = sorted(p.name for p in (run_dir / "figures").glob("*.png"))
    assert "fig5a_emergence_by_preferred_metric.png" in pngs and "emergence_gallery.png" in pngs
    assert all((run_dir / "figures" / p).stat().st_size > 1000 for p in pngs)
