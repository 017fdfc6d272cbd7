"""The committed rule graph (docs/img/rulegraph.dot, .svg) matches the workflow; the canonical DOT form."""

import re
from pathlib import Path

import pytest

from scripts.lib.present.rulegraph import canonical_dot, rule_graph
from tests.helpers.snakemake_cli import ROOT, make_workdir, run_snakemake

DOT = ROOT / "docs" / "img" / "rulegraph.dot"
SVG = ROOT / "docs" / "img" / "rulegraph.svg"
STALE = "docs/img/rulegraph.{dot,svg} no longer match the workflow: run `make rulegraph` and commit docs/img/"

# Two renderings of one graph as snakemake prints them: other node numbers, colours and edge order.
RAW_A = """digraph snakemake_dag {
    graph[bgcolor=white, margin=0];
	0[label = "all", color = "0.00 0.6 0.85", style="rounded"];
	1[label = "parse", color = "0.33 0.6 0.85", style="rounded"];
	2[label = "score", color = "0.66 0.6 0.85", style="rounded"];
	1 -> 0
	2 -> 0
	1 -> 2
}
"""
RAW_B = """digraph snakemake_dag {
	0[label = "all", color = "0.00 0.6 0.85", style="rounded"];
	1[label = "score", color = "0.50 0.6 0.85", style="rounded"];
	2[label = "parse", color = "0.25 0.6 0.85", style="rounded"];
	2 -> 1
	1 -> 0
	2 -> 0
}
"""


def test_canonical_dot_is_the_same_for_any_numbering_colouring_and_edge_order() -> None:
    assert canonical_dot(RAW_A) == canonical_dot(RAW_B)
    assert rule_graph(RAW_A) == (["all", "parse", "score"], [("parse", "all"), ("parse", "score"), ("score", "all")])
    assert '    "parse" -> "score";' in canonical_dot(RAW_A).splitlines()
    assert rule_graph(canonical_dot(RAW_A)) == rule_graph(RAW_A)  # the canonical form reads back


@pytest.mark.parametrize(
    ("dot", "message"),
    [("digraph {}", "no rule nodes"), ('0[label = "all"];\n0 -> 7', "undeclared node '7'")],
)
def test_rule_graph_rejects_what_is_not_a_rule_graph(dot: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rule_graph(dot)


def test_committed_rule_graph_matches_the_workflow(tmp_path: Path) -> None:
    workdir = make_workdir(tmp_path)
    raw = run_snakemake(workdir, "--rulegraph", "--config", "source=sample").stdout
    rules, edges = rule_graph(raw)
    committed_rules, committed_edges = rule_graph(DOT.read_text(encoding="utf-8"))
    added = sorted(set(rules) - set(committed_rules)) + [f"{a} -> {b}" for a, b in set(edges) - set(committed_edges)]
    removed = sorted(set(committed_rules) - set(rules)) + [f"{a} -> {b}" for a, b in set(committed_edges) - set(edges)]
    assert not added and not removed, f"{STALE}; new: {sorted(added)}; gone: {sorted(removed)}"
    assert DOT.read_text(encoding="utf-8") == canonical_dot(raw), STALE
    # The SVG is drawn from the DOT (as its transitive reduction): the same rules, no more, no fewer.
    svg_nodes = set(re.findall(r'<g id="node\d+" class="node">\s*<title>([^<]+)</title>', SVG.read_text("utf-8")))
    assert svg_nodes == set(rules), STALE
