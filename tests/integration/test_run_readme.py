"""results/sample/README.md of a real sample run: the page a person reads first (issue 17)."""

import json
from pathlib import Path

import pytest

from scripts.write_run_readme import headline_sentences

pytestmark = pytest.mark.integration


def test_sample_readme_says_synthetic_and_lists_every_figure_table_and_headline(sample_run: Path) -> None:
    run = sample_run / "results" / "sample"
    text = (run / "README.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "# Run `sample`: SYNTHETIC"
    assert lines[2].startswith("> **SYNTHETIC DATA.**")
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    sentences = headline_sentences(summary)
    assert len(sentences) >= 4, sentences
    for key, sentence in sentences:
        assert f"- {sentence.replace('|', chr(92) + '|')} (`{key}`)" in lines
    # Every figure and table the run wrote has a row (the formats of one figure share it).
    for path in [*run.glob("figures/*.png"), *run.glob("tables/*.csv")]:
        relative = path.relative_to(run)
        stem = str(relative.with_suffix(""))
        rows = [line for line in lines if line.startswith(f"| `{relative}` |") or line.startswith(f"| `{stem}.{{")]
        assert len(rows) == 1, f"{relative}: {len(rows)} rows in README.md"
        assert rows[0].split(" | ")[1].strip(), f"{relative}: no line on what it shows"
    assert "snakemake --cores 8 --config source=sample" in lines
