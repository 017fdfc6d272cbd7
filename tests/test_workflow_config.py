"""Config errors are one line naming the key and what is allowed; run names never mix sources."""

from pathlib import Path

import pytest
import yaml

from scripts.workflow_config import ConfigError, check_config, data_label, repo_slug, run_name

ROOT = Path(__file__).resolve().parents[1]
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
