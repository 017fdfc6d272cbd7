"""results/sample/README.md of a real sample run: the page a person reads first (docs/design.md §8.2)."""

import json
import re
from pathlib import Path

import pytest

from scripts.report.write_run_readme import headline_sentences

pytestmark = pytest.mark.integration
RUN = Path("results") / "sample"


def readme_files(workdir: Path) -> list[str]:
    """The files the run's README.md lists (one figure's formats expanded), relative to the workdir.

    The README lists every report() output the workflow declares (scripts/lib/present/report_index.py).
    """
    text = (workdir / RUN / "README.md").read_text(encoding="utf-8")
    text = text.split("\n## Figures and tables\n", 1)[1].split("\n## ", 1)[0]
    files = []
    for stem, formats, single in re.findall(r"^\| `(?:([^`{]+)\.\{([^}`]+)\}|([^`{]+))` \|", text, flags=re.M):
        files += [f"{stem}.{fmt}" for fmt in formats.split(",")] if stem else [single]
    return sorted(str(RUN / name) for name in files)


def test_sample_readme_says_synthetic_and_lists_every_report_output_and_headline(sample_run: Path) -> None:
    run = sample_run / RUN
    lines = (run / "README.md").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# Run `sample`: SYNTHETIC"
    assert lines[2].startswith("> **SYNTHETIC DATA.**")
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    sentences = headline_sentences(summary)
    assert len(sentences) >= 4, sentences
    for key, sentence in sentences:
        assert f"- {sentence.replace('|', chr(92) + '|')} (`{key}`)" in lines
    listed = readme_files(sample_run)
    assert len(listed) > 20, listed
    for name in listed:
        assert (sample_run / name).is_file(), f"README.md lists {name}, which the run did not write"
    section = lines[lines.index("## Figures and tables") : lines.index("## Reproduce")]
    rows = [line for line in section if line.startswith("| `")]
    assert all(row.split(" | ")[1].strip() for row in rows), "a row without a line on what it shows"
    assert "snakemake --cores 8 --config source=sample" in lines


def test_every_figure_and_table_file_of_the_run_is_a_report_output(sample_run: Path) -> None:
    run = sample_run / RUN
    written = [*run.glob("figures/*.png"), *run.glob("figures/*.pdf"), *run.glob("tables/*.csv")]
    unlisted = sorted(set(str(path.relative_to(sample_run)) for path in written) - set(readme_files(sample_run)))
    assert not unlisted, (
        f"figures/tables a reader finds in {RUN} but neither the report nor README.md lists: {unlisted}; "
        "declare them with report(..., caption=, category=) in their rule"
    )
