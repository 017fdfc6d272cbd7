"""The registry of real extracts: pins, one-line errors for a missing or changed file, config and labels."""

import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from scripts.lib.config import ConfigError
from scripts.lib.scores_schema import COLUMNS
from scripts.lib.sources.extracts.registry import (
    ENTRIES,
    EXCERPT_ENTRIES,
    ExtractError,
    data_label,
    entries,
    extract_files,
    read_bytes,
    root_of,
    verify_files,
)
from scripts.lib.sources.extracts.schema_check import OUTPUT_COLUMNS, check_disjoint_curves, check_scores, finish_scores
from scripts.lib.sources.table import check_config, extracts_use, run_name
from scripts.lib.sources.table import data_label as config_label
from tests.helpers.extracts_testing import DATA, FACTS, ROOT, needs

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def base_config(**overrides):
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    cfg.update(overrides)
    return cfg


# --- pins ------------------------------------------------------------------------------------------


def test_every_entry_is_pinned_and_cited():
    for entry in ENTRIES.values():
        assert len(entry.commit) == 40 and entry.repository.count("/") == 1, entry.name
        assert entry.licence and entry.citation and entry.files, entry.name
        for f in entry.files:
            assert len(f.sha256) == 64 and f.local and f.upstream, (entry.name, f.local)


def test_pins_are_the_hashes_the_data_readmes_publish():
    # real_multimetric/SHA256SUMS lists every CSV of the three multi-metric extracts; real_excerpts/README.md
    # gives the two BIG-bench extracts' hashes (89cbd8bb..., 714c6a1a...).
    sums = DATA / "real_multimetric" / "SHA256SUMS"
    if not sums.is_file():
        pytest.skip(f"{sums} not found")
    published = {}
    for line in sums.read_text().splitlines():
        digest, path = line.split(maxsplit=1)
        published[f"real_multimetric/{path.removeprefix('./')}"] = digest
    for name in ("expemergence", "obsscaling", "on_emergence"):
        for f in ENTRIES[name].files:
            assert published[f.local] == f.sha256, f.local
    readme = (DATA / "real_excerpts" / "README.md").read_text()
    for name in EXCERPT_ENTRIES:
        assert ENTRIES[name].files[0].sha256 in readme and ENTRIES[name].commit in readme


@needs("audit_table")
def test_a_changed_file_is_one_line_naming_it_and_both_hashes(tmp_path):
    entry = ENTRIES["audit_table"]
    local = tmp_path / entry.files[0].local
    local.parent.mkdir(parents=True)
    shutil.copy(DATA / entry.files[0].local, local)
    assert verify_files(entry, tmp_path) == {str(local): entry.files[0].sha256}
    local.write_bytes(local.read_bytes() + b"\n")
    with pytest.raises(ExtractError) as err:
        verify_files(entry, tmp_path)
    text = str(err.value)
    assert "\n" not in text and text.startswith(str(local))
    assert f"differs from the pinned {entry.files[0].sha256}" in text
    assert "sha256 " in text and text.count("sha256") == 1 and len([w for w in text.split() if len(w) == 64]) == 2


def test_a_missing_file_is_one_line_naming_it(tmp_path):
    with pytest.raises(ExtractError) as err:
        verify_files(ENTRIES["on_emergence"], tmp_path)
    text = str(err.value)
    assert "\n" not in text
    assert text == (
        f"{tmp_path / 'real_multimetric/on_emergence/evaluation_scores.csv'}: on_emergence: "
        "file not found (check config key extracts.path)"
    )
    with pytest.raises(ExtractError, match=r"nope\.csv: \$: file not found"):
        read_bytes(tmp_path / "nope.csv")


def test_entries_keep_registry_order_and_reject_unknown_names():
    assert [e.name for e in entries(["on_emergence", "audit_table"])] == ["audit_table", "on_emergence"]
    with pytest.raises(ValueError, match=r"config key 'extracts.use': unknown extract\(s\) \['nope'\]"):
        entries(["nope"])


def test_root_of_recovers_the_folder_from_the_input_files():
    files = extract_files(["audit_table", "obsscaling"], "some/where")
    assert files[0] == "some/where/real_excerpts/audit_table.json" and len(files) == 3
    assert str(root_of(files, entries(["audit_table", "obsscaling"]))) == "some/where"
    with pytest.raises(ValueError, match="files must follow the registry order"):
        root_of([files[0], files[2], files[1]], entries(["audit_table", "obsscaling"]))


# --- config, run names, labels ---------------------------------------------------------------------


def test_run_names_and_entries_per_source():
    assert extracts_use(base_config(source="excerpt")) == ["audit_table", "bigbench_csv"]
    assert run_name(base_config(source="excerpt")) == "excerpt"
    assert run_name(base_config(source="extracts")) == "extracts"
    cfg = base_config(source="extracts", extracts={"path": "x", "use": ["on_emergence", "expemergence"]})
    assert run_name(cfg) == "extracts-expemergence-on_emergence"


def test_labels_say_real_third_party_and_the_licence_that_asks_for_attribution():
    label = config_label(base_config(source="extracts"))
    assert label.startswith("real scores, third-party extract: audit_table (PeterPonyu/calibration-traps@f055de2")
    assert "on_emergence (UKPLab/on-emergence@f791b65; CC BY-SA 4.0, attribution: Lu et al. (2024)" in label
    assert "MIT" in label and "CC BY-SA" not in data_label(entries(EXCERPT_ENTRIES))


def test_no_default_points_outside_the_repository():
    schema = yaml.safe_load(SCHEMA.read_text())
    default = schema["properties"]["extracts"]["properties"]["path"]["default"]
    assert default == "results/.cache/extracts" == base_config()["extracts"]["path"]
    assert schema["properties"]["extracts"]["properties"]["use"]["default"] == list(ENTRIES)


def test_default_cache_path_needs_no_files_at_dag_time():
    check_config(base_config(source="extracts"), SCHEMA)  # rule fetch_extracts will download them


def test_a_folder_without_the_files_is_one_line_naming_the_key_and_a_file(tmp_path):
    with pytest.raises(ConfigError) as err:
        check_config(base_config(source="excerpt", extracts={"path": str(tmp_path)}), SCHEMA)
    text = str(err.value)
    assert "\n" not in text and text.startswith(f"config key 'extracts.path': {str(tmp_path)!r} lacks 2 file(s)")
    assert str(tmp_path / "real_excerpts" / "audit_table.json") in text


def test_flops_scale_needs_an_extracts_source():
    with pytest.raises(ConfigError, match="'flops' needs source=extracts"):
        check_config(base_config(source="sample", scale="flops"), SCHEMA)


# --- the one schema check --------------------------------------------------------------------------


def tidy_rows(**overrides):
    rows = pd.DataFrame(
        {
            "family": ["F", "F"],
            "model_name": ["a", "b"],
            "non_embedding_params": [1e8, 1e9],
            "task": ["t", "t"],
            "subtask": [None, None],
            "shots": [2, 2],
            "metric": ["multiple_choice_grade", "multiple_choice_grade"],
            "value": [0.25, 0.5],
            "is_preferred": [True, True],
            "low_score": [np.nan, np.nan],
            "high_score": [np.nan, np.nan],
            "source_file": ["f.csv", "f.csv"],
            "n_examples": pd.array([100, 100], dtype="Int64"),
        }
    )
    return rows.assign(**overrides)


def test_finish_scores_gives_the_schema_and_binomial_noise():
    out = finish_scores(tidy_rows(), extract="x", metric_facts=FACTS)
    assert list(out.columns) == OUTPUT_COLUMNS == [*COLUMNS, "n_examples", "value_se", "se_source", "flops", "extract"]
    # sqrt(0.25 * 0.75 / 100) = 0.0433; sqrt(0.5 * 0.5 / 100) = 0.05
    assert out["value_se"].tolist() == pytest.approx([0.0433013, 0.05], rel=1e-5)
    assert out["se_source"].tolist() == ["binomial", "binomial"] and (out["extract"] == "x").all()
    check_scores(out, extract="x", metric_facts=FACTS)


def test_finish_scores_keeps_a_seed_spread():
    rows = tidy_rows(value_se=[0.01, np.nan], se_source=["seeds", None])
    out = finish_scores(rows, extract="x", metric_facts=FACTS)
    assert out["value_se"].tolist() == pytest.approx([0.01, 0.05]) and out["se_source"].tolist() == [
        "seeds",
        "binomial",
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"value": [0.25, 1.5]}, "value outside the range [0, 1] of multiple_choice_grade (1 row(s))"),
        ({"model_name": ["a", "a"]}, "duplicate (family, model, task, shots, metric) (2 row(s))"),
        ({"non_embedding_params": [1e8, 0.0]}, "non_embedding_params must be a positive number (1 row(s))"),
        ({"task": ["t", ""]}, "empty task (1 row(s))"),
    ],
)
def test_check_scores_names_the_file_and_the_row(overrides, message):
    out = finish_scores(tidy_rows(**overrides), extract="x", metric_facts=FACTS)
    with pytest.raises(ExtractError) as err:
        check_scores(out, extract="x", metric_facts=FACTS)
    assert str(err.value).startswith("f.csv: F ") and str(err.value).endswith(message)


def test_two_extracts_may_not_share_a_curve():
    a = finish_scores(tidy_rows(), extract="x", metric_facts=FACTS)
    b = finish_scores(tidy_rows(model_name=["c", "d"]), extract="y", metric_facts=FACTS)
    check_disjoint_curves(pd.concat([a, a.assign(metric="exact_str_match")]))
    with pytest.raises(ExtractError, match="x and y: curve .*two extracts give points of the same curve"):
        check_disjoint_curves(pd.concat([a, b]))
