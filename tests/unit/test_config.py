"""Config errors are one line naming the key and what is allowed; run names never mix sources; the table of
sources has an entry for every source the schema allows."""

from pathlib import Path

import pytest
import yaml

from scripts.lib.config import ConfigError, coerce_cli_strings, load_schema
from scripts.lib.sources.github.client import repo_slug
from scripts.lib.sources.table import SOURCES, check_config, data_label, run_name

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def config(**overrides):
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    cfg.update(overrides)
    return cfg


def test_shipped_config_is_valid():
    check_config(config(), SCHEMA)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"source": "gitlab"}, "config key 'source': 'gitlab' is not one of ['github', "),
        ({"min_points": -1}, "config key 'min_points': -1 is less than the minimum of 3"),
        ({"emergence_threshhold": 3}, "unknown config key(s) ['emergence_threshhold']; allowed: ["),
        (
            {"emergence_threshold": "sometimes"},
            "config key 'emergence_threshold': 'sometimes' is not allowed; use one of ['auto', 'a number']",
        ),
        ({"sample": {"scale": "huge", "seed": 1}}, "config key 'sample.scale': 'huge' is not one of ['small', 'full']"),
        ({"source": "local", "local": {"path": ""}}, "config key 'local.path' must name a BIG-bench clone"),
        (
            {"source": "local", "local": {"path": "/nonexistent"}},
            "config key 'local.path': '/nonexistent' has no bigbench/benchmark_tasks",
        ),
    ],
)
def test_bad_config_is_one_line_naming_the_key(overrides, message):
    with pytest.raises(ConfigError) as info:
        check_config(config(**overrides), SCHEMA)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_run_names_and_labels():
    assert run_name(config(source="sample")) == "sample"
    assert run_name(config(source="sample", sample={"scale": "full", "seed": 1})) == "sample-full"
    assert run_name(config(source="github"), "0123456789abcdef" * 2 + "01234567") == "bigbench-0123456789ab"
    assert run_name(config(source="sample", run_name="mine")) == "mine"
    assert data_label(config(source="sample")).startswith("SYNTHETIC DATA")
    assert repo_slug("google/BIG-bench") == "google__BIG-bench"
    with pytest.raises(ConfigError):
        run_name(config(source="github"))


def test_command_line_strings_are_coerced_to_the_schema_type():
    # `--config orient_metrics=false` and `--config sample={seed: 1}` arrive as strings.
    schema = load_schema(SCHEMA)
    cfg = config(
        orient_metrics="false",
        sample={"scale": "small", "seed": "1"},
        emergence_threshold="auto",
        triplet_rule="2",
        min_effect="0.1",
        shots=["0", "3"],
        families=["1b"],
    )
    coerced = coerce_cli_strings(cfg, schema)
    assert coerced["orient_metrics"] is False and coerced["sample"]["seed"] == 1
    assert coerced["emergence_threshold"] == "auto" and coerced["triplet_rule"] == 2
    assert coerced["min_effect"] == 0.1 and coerced["shots"] == [0, 3]
    assert coerced["families"] == ["1b"]  # a string item stays a string
    check_config(coerced, SCHEMA)
    assert coerce_cli_strings(config(min_points="many"), schema)["min_points"] == "many"  # left for validation


def test_every_schema_source_has_one_table_entry():
    """The schema's source names and the table's keys are the same set: a new source is one entry."""
    allowed = load_schema(SCHEMA)["properties"]["source"]["enum"]
    assert sorted(allowed) == sorted(SOURCES)


def test_source_rules_follow_the_config():
    """The download rule of extracts and lm_eval is used only when their path is the download cache; an
    extract's own analyses run only where it is read."""
    analyses = {"difficulty_curves", "difficulty_verdicts", "figure_difficulty", "ladder_predictions", "figure_ladder"}
    cfg = config(source="extracts")
    assert SOURCES["extracts"].rules(cfg) == {"fetch_extracts", "extracts_source", "figure_fig6_real", *analyses}
    cfg["extracts"] = {**cfg["extracts"], "path": "elsewhere"}
    assert SOURCES["extracts"].rules(cfg) == {"extracts_source", "figure_fig6_real", *analyses}
    cfg["extracts"] = {**cfg["extracts"], "use": ["on_emergence", "olmo_ladder"]}
    assert SOURCES["extracts"].rules(cfg) == {
        "extracts_source",
        "figure_fig6_real",
        "ladder_predictions",
        "figure_ladder",
    }
    assert SOURCES["excerpt"].rules(config(source="excerpt")) == {
        "fetch_extracts",
        "extracts_source",
        "figure_fig6_real",
    }
    assert SOURCES["sample"].rules(config(source="sample")) == {"synthesize_sample", "list_files", "parse_scores"}
