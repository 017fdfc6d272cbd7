"""The rule graph of `snakemake --rulegraph` in a canonical DOT text, so it can be committed and compared.

Snakemake numbers the nodes and lists the edges in an order that changes between calls, and
colours each rule by its position in the list (adding a rule recolours the rest). The canonical
form names each node by its rule, sorts nodes and edges, and draws every node alike, so the
committed docs/img/rulegraph.dot changes exactly when the workflow's rules or their links do
(tests/unit/test_rulegraph.py; `make images` writes it and renders docs/img/rulegraph.svg).

Command line: python -m scripts.lib.present.rulegraph RAW.dot CANONICAL.dot
"""

import re
import sys

from scripts.lib.io import write_text

# Snakemake's form (`3[label = "rule", ...]`, `3 -> 0`) and the canonical one (`"rule";`, `"a" -> "b";`).
NODE = re.compile(r'^\s*(?:(\d+)\s*\[\s*label\s*=\s*"([^"]+)"|"([^"]+)";\s*$)')
EDGE = re.compile(r'^\s*(?:(\d+)\s*->\s*(\d+)|"([^"]+)"\s*->\s*"([^"]+)")\s*;?\s*$')
HEADER = """digraph snakemake_dag {
    graph[bgcolor=white, margin=0, rankdir=LR];
    node[shape=box, style=rounded, fontname=sans, fontsize=10, penwidth=2, color="0.58 0.6 0.85"];
    edge[penwidth=2, color=grey];
"""


def rule_graph(dot: str) -> tuple[list[str], list[tuple[str, str]]]:
    """(sorted rule names, sorted (upstream, downstream) rule pairs) of a rule graph DOT text (either form)."""
    labels: dict[str, str] = {}
    pairs: list[tuple[str, str]] = []
    for line in dot.splitlines():
        if node := NODE.match(line):
            number, label, name = node.groups()
            labels[number or name] = label or name
        elif edge := EDGE.match(line):
            a, b, name_a, name_b = edge.groups()
            pairs.append((a or name_a, b or name_b))
    if not labels:
        raise ValueError("no rule nodes in the DOT text: is it the output of `snakemake --rulegraph`?")
    try:
        edges = sorted({(labels[a], labels[b]) for a, b in pairs})
    except KeyError as exc:
        raise ValueError(f"edge to an undeclared node {exc} in the DOT text") from exc
    return sorted(labels.values()), edges


def canonical_dot(dot: str) -> str:
    """The same graph as a stable DOT text: nodes by rule name, sorted, one style for all."""
    rules, edges = rule_graph(dot)
    lines = [HEADER.rstrip("\n")]
    lines += [f'    "{rule}";' for rule in rules]
    lines += [f'    "{a}" -> "{b}";' for a, b in edges]
    return "\n".join([*lines, "}", ""])


def main(argv: list[str]) -> None:
    raw, canonical = argv
    with open(raw, encoding="utf-8") as handle:
        write_text(canonical, canonical_dot(handle.read()))


if __name__ == "__main__":
    main(sys.argv[1:])
