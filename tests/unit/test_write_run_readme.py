"""Tests of scripts/report/write_run_readme.py and scripts/lib/present/report_index.py: the README a run leaves."""

from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from snakemake.io import report
from snakemake.sourcecache import LocalSourceFile

from scripts.lib.io import write_json
from scripts.lib.present.report_index import report_outputs
from scripts.report import write_run_readme as rr

SHA = "a" * 40
DIRTY = "# the run's checkout had uncommitted changes: this is the nearest commit"
DEFAULTS = {
    "source": "github",
    "run_name": "",
    "github": {"repo": "google/BIG-bench", "ref": "main"},
    "excerpt": {"path": "../shared/data/real_excerpts"},
    "sample": {"seed": 1, "scale": "small"},
    "families": [],
}


def _provenance(source: str, **config_changes: object) -> dict:
    config = {**DEFAULTS, "source": source, **config_changes}
    return {
        "source": source,
        "synthetic": source == "sample",
        "data_label": f"label of {source}",
        "repository": "google/BIG-bench" if source == "github" else None,
        "commit": SHA if source == "github" else None,
        "n_files": 3,
        "manifest_sha256": "b" * 64,
        "pipeline_version": "v1-2-gabc-dirty",
        "config": config,
    }


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        # The full stop of "Fig." and of "et al." ends no sentence; the one before "Next" does.
        (
            "Mirage Fig. 5A (rule ``x``): the score\nper metric. Next one.",
            "Mirage Fig. 5A (rule `x`): the score per metric.",
        ),
        ("As Wei et al. (2022) and Wei et al. Table 1 say. Then.", "As Wei et al. (2022) and Wei et al. Table 1 say."),
        ("Counts. ``col`` is a column.", "Counts."),
        ("No full stop at all", "No full stop at all"),
    ],
)
def test_first_sentence(caption: str, expected: str) -> None:
    assert rr.first_sentence(caption) == expected


def test_render_caption_fills_config_and_names_the_file_on_a_missing_key() -> None:
    config = {"null": {"permutations": 999}, "seeds": [1, 2, 3]}
    text = 'N = {{ snakemake.config["null"]["permutations"] }}, {{ snakemake.config["seeds"] | length }} seeds.'
    assert rr.render_caption(text, config, name="x.rst") == "N = 999, 3 seeds."
    with pytest.raises(ValueError, match=r"^x\.rst: caption does not render"):
        rr.render_caption('{{ snakemake.config["nope"] }}', config, name="x.rst")


SUMMARY = {
    "headline_preferred_metrics": "2 of 5 preferred metrics show possible emergence",
    "headline_metrics": ["multiple_choice_grade", "exact_str_match"],  # names, not sentences
    "n_curves": 10,
    "share": 0.5,
    "share_ci_low": 0.25,
    "share_ci_high": 0.75,
    "beyond": {"null_ci_low_preferred": 1, "null_ci_high_preferred": 3, "null_preferred": 2.0},
    "verdicts": {
        "headline": "3 curves are sharp and unpredictable",
        "sentences": ["one sentence here", "another sentence"],
        "kappa": {"value": 0.1, "ci_low": -0.2, "ci_high": 0.4},
        "orphan_ci_low": 0.0,  # no ci_high twin: not an interval
    },
}


def test_headline_sentences_are_found_at_any_depth_and_names_are_skipped() -> None:
    assert rr.headline_sentences(SUMMARY) == [
        ("headline_preferred_metrics", "2 of 5 preferred metrics show possible emergence"),
        ("verdicts.headline", "3 curves are sharp and unpredictable"),
        ("verdicts.sentences", "one sentence here"),
        ("verdicts.sentences", "another sentence"),
    ]


def test_intervals_pair_each_ci_low_with_its_ci_high_and_value() -> None:
    assert rr.intervals(SUMMARY) == [
        ("beyond.null_preferred", 2.0, 1, 3),
        ("share", 0.5, 0.25, 0.75),
        ("verdicts.kappa", 0.1, -0.2, 0.4),
    ]


@pytest.mark.parametrize(
    ("provenance", "expected"),
    [
        (_provenance("sample"), [DIRTY, "git checkout v1-2-gabc", "snakemake --cores 8 --config source=sample"]),
        (
            _provenance("excerpt", excerpt={"path": "/data/x y"}, families=["BIG-G T=0"]),
            [
                DIRTY,
                "git checkout v1-2-gabc",
                "snakemake --cores 8 --config source=excerpt excerpt='{path: /data/x y}' families='[BIG-G T=0]'",
            ],
        ),
        # A github run is pinned to the commit it resolved, not to the moving branch it named.
        (
            _provenance("github"),
            [DIRTY, "git checkout v1-2-gabc", f"snakemake --cores 8 --config source=github github='{{ref: {SHA}}}'"],
        ),
    ],
)
def test_reproduce_command_gives_only_the_changed_settings(provenance: dict, expected: list[str]) -> None:
    assert rr.reproduce_command(provenance, DEFAULTS) == expected


def test_config_overrides_skip_keys_only_the_schema_filled_in() -> None:
    # The validated run config holds schema defaults that config.yaml does not list: not a change.
    run_config = {**DEFAULTS, "sample": {"seed": 1, "scale": "small", "filled_by_schema": 3}}
    assert rr.config_overrides(run_config, DEFAULTS) == {}
    assert rr.config_overrides({**run_config, "families": ["GPT"]}, DEFAULTS) == {"families": ["GPT"]}


def test_reproduce_command_without_a_git_checkout_has_no_checkout_line() -> None:
    provenance = {**_provenance("sample"), "pipeline_version": "unknown (not a git checkout)"}
    assert rr.reproduce_command(provenance, DEFAULTS) == ["snakemake --cores 8 --config source=sample"]


OUTPUTS = [
    {"path": "results/r/figures/f.pdf", "caption": "/c/f.rst", "category": "Figures", "subcategory": "Fig. 5"},
    {"path": "results/r/figures/f.png", "caption": "/c/f.rst", "category": "Figures", "subcategory": "Fig. 5"},
    {"path": "results/r/tables/t.csv", "caption": "/c/t.rst", "category": "Tables", "subcategory": "Other"},
]


def test_output_rows_join_the_formats_of_one_figure() -> None:
    rows = rr.output_rows(OUTPUTS, "results/r", {"/c/f.rst": "A figure.", "/c/t.rst": "A | table."})
    assert rows == [("figures/f.{pdf,png}", "A figure.", "Figures / Fig. 5"), ("tables/t.csv", "A | table.", "Tables")]


def _readme(source: str) -> list[str]:
    text = rr.readme_text(
        summary=SUMMARY,
        provenance=_provenance(source),
        defaults=DEFAULTS,
        outputs=OUTPUTS,
        one_liners={"/c/f.rst": "A figure.", "/c/t.rst": "A | table."},
        run_name="r",
    )
    return text.splitlines()


def test_readme_of_a_sample_run_says_synthetic_before_any_number() -> None:
    lines = _readme("sample")
    assert lines[0] == "# Run `r`: SYNTHETIC"
    assert lines[2].startswith("> **SYNTHETIC DATA.**")
    assert "- Commit of the data: none (this source has no upstream commit)" in lines
    assert "- 2 of 5 preferred metrics show possible emergence (`headline_preferred_metrics`)" in lines
    assert "| `share` | 0.5 | 0.25 to 0.75 |" in lines
    assert "| `figures/f.{pdf,png}` | A figure. | Figures / Fig. 5 |" in lines
    assert "| `tables/t.csv` | A \\| table. | Tables |" in lines  # a | in a caption does not break the table
    assert lines[-2:] == ["snakemake --cores 8 --config source=sample", "```"]


def test_readme_of_a_real_run_has_no_synthetic_banner_and_names_the_commit() -> None:
    lines = _readme("github")
    assert lines[0] == "# Run `r`: full download"
    assert not any("SYNTHETIC" in line for line in lines)
    assert f"- Commit of the data: `{SHA}` of google/BIG-bench" in lines
    assert _readme("excerpt")[0] == "# Run `r`: real extract"


def test_run_writes_the_readme_from_the_files(tmp_path: Path) -> None:
    caption = tmp_path / "t.rst"
    caption.write_text('Tally at seed {{ snakemake.config["sample"]["seed"] }}. More.\n', encoding="utf-8")
    write_json(tmp_path / "summary.json", SUMMARY)
    write_json(tmp_path / "provenance.json", _provenance("sample"))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(DEFAULTS), encoding="utf-8")
    outputs = [{"path": "results/r/tables/t.csv", "caption": str(caption), "category": "Tables", "subcategory": "X"}]
    rr.run(
        summary=str(tmp_path / "summary.json"),
        provenance=str(tmp_path / "provenance.json"),
        defaults=str(tmp_path / "config.yaml"),
        captions=[str(caption)],
        files=["results/r/tables/t.csv"],
        readme=str(tmp_path / "README.md"),
        outputs=outputs,
        run_name="r",
    )
    text = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "| `tables/t.csv` | Tally at seed 1. | Tables / X |" in text.splitlines()


def test_report_outputs_reads_the_report_flags_of_the_rules(tmp_path: Path) -> None:
    caption = LocalSourceFile(str(tmp_path / "c.rst"))
    rules = [
        SimpleNamespace(output=["results/r/plain.parquet", report("results/r/b.csv", caption=caption, category="T")]),
        SimpleNamespace(
            output=[
                report("results/r/a.png", caption=caption, category="F", subcategory="S"),
                report("results/r/{x}.png", caption=caption, category="F"),  # a pattern names no single file
            ]
        ),
    ]
    assert report_outputs(rules) == [
        {"path": "results/r/a.png", "caption": str(tmp_path / "c.rst"), "category": "F", "subcategory": "S"},
        {"path": "results/r/b.csv", "caption": str(tmp_path / "c.rst"), "category": "T", "subcategory": "Other"},
    ]
