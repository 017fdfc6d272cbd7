"""Rule extracts_source: the registry's real third-party extracts -> the tidy scores table (docs/extracts.md).

The offline real-data source (`source: extracts`; `source: excerpt` is the same with the two
BIG-bench extracts of docs/extracts.md). Each entry of scripts/lib/sources/extracts/registry.py
is one table that another project published, pinned by repository, commit, path and sha256; its
files are read in place under `extracts.path` (`root`). Every file is checked against its pin
first (a missing file or a different version stops the run with one line naming the file and
both hashes); then each entry's adapter (one module per extract in scripts/lib/sources/extracts/, whose
docstring cites every mapping) turns it into tidy rows, which get their model sizes, dtypes and
noise (`schema_check.finish_scores`) and pass the one schema check (`check_scores`). No curve may
mix two extracts (`check_disjoint_curves`).

Inputs: files (the pinned files of the used entries), task_metadata, model_sizes, metrics.
Outputs: scores.parquet (parse_scores' columns + n_examples, value_se, se_source, flops, extract),
logs/bad_files.csv (empty: on_bad_file does not apply), manifest.csv (path, size, sha256 of every
file), tables/extracts_models.csv (every model: extract, family, sizes, kind, source, n_scores),
tables/extracts_overlap.csv (audit_table vs bigbench.csv values held by both).
Params: use (entry names), label. The folder (extracts.path) is the one the input files sit under.
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from scripts.lib.io import load_metric_facts, run_rule, write_csv, write_parquet
from scripts.lib.scores_schema import BAD_FILE_COLUMNS
from scripts.lib.sources.extracts import (
    audit_table,
    bigbench_csv,
    difficulty_groups,
    expemergence,
    obsscaling,
    olmo_ladder,
    on_emergence,
)
from scripts.lib.sources.extracts.context import Adapted, Context
from scripts.lib.sources.extracts.registry import Entry, ExtractError, entries, local_paths, root_of, verify_files
from scripts.lib.sources.extracts.schema_check import check_disjoint_curves, check_scores, finish_scores
from scripts.lib.sources.extracts.sizes import MODEL_COLUMNS, check_model_sizes
from scripts.lib.sources.manifest import MANIFEST_COLUMNS

logger = logging.getLogger(__name__)

ADAPTERS: dict[str, Callable[[Mapping[str, Path], Context], Adapted]] = {
    "audit_table": audit_table.adapt,
    "bigbench_csv": bigbench_csv.adapt,
    "expemergence": expemergence.adapt,
    "expemergence_groups": difficulty_groups.adapt,
    "obsscaling": obsscaling.adapt,
    "on_emergence": on_emergence.adapt,
    "olmo_ladder": olmo_ladder.adapt,
}
MODELS_COLUMNS = ["extract", *MODEL_COLUMNS[:5], "flops", *MODEL_COLUMNS[5:]]


def adapt_entry(entry: Entry, root: str | Path, ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame, Adapted]:
    """(scores, models, raw result) of one entry: adapter rows joined to sizes, finished and checked."""
    result = ADAPTERS[entry.name](local_paths(entry, root), ctx)
    models = result.models.copy()
    if "flops" not in models:
        models["flops"] = float("nan")
    rows = result.rows.drop(columns=[c for c in MODEL_COLUMNS[2:5] if c in result.rows], errors="ignore")
    joined = rows.merge(
        models.drop(columns=["size_kind", "size_source"]),
        on=["family", "model_name"],
        how="left",
        validate="many_to_one",
    )
    unsized = joined["non_embedding_params"].isna()
    if unsized.any():
        row = joined.loc[unsized].iloc[0]
        raise ExtractError(entry.name, f"model {row['family']} {row['model_name']}", "no size in the model table")
    scores = finish_scores(joined, extract=entry.name, metric_facts=ctx.metric_facts)
    check_scores(scores, extract=entry.name, metric_facts=ctx.metric_facts)
    counts = scores.groupby(["family", "model_name"]).size().rename("n_scores")
    models = models.join(counts, on=["family", "model_name"]).assign(extract=entry.name)
    return scores, models[MODELS_COLUMNS], result


def build_extract_scores(
    selected: Sequence[Entry], root: str | Path, ctx: Context
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(scores, models, overlap) of the selected entries, in registry order."""
    scores, models = [], []
    for entry in selected:
        s, m, result = adapt_entry(entry, root, ctx)
        ctx.done[entry.name] = result
        scores.append(s)
        models.append(m)
        logger.info(
            "%s: %d scores, %d families, %d models, %d tasks, metrics %s",
            entry.name,
            len(s),
            s["family"].nunique(),
            len(m),
            s["task"].nunique(),
            {k: int(v) for k, v in s["metric"].value_counts().sort_index().items()},
        )
    table = pd.concat(scores, ignore_index=True)
    check_disjoint_curves(table)
    table = table.sort_values(
        ["extract", "source_file", "family", "non_embedding_params", "model_name", "task", "metric"], kind="stable"
    )
    model_table = pd.concat(models, ignore_index=True).sort_values(
        ["extract", "family", "non_embedding_params", "model_name"], kind="stable"
    )
    done = ctx.done.get("bigbench_csv")
    overlap = done.tables["overlap"] if done else pd.DataFrame(columns=bigbench_csv.OVERLAP_COLUMNS)
    return table.reset_index(drop=True), model_table.reset_index(drop=True), overlap


def file_manifest(selected: Sequence[Entry], root: str | Path) -> pd.DataFrame:
    """path (relative to extracts.path), size, sha256 of every pinned file, after checking each pin."""
    rows = []
    for entry in selected:
        digests = verify_files(entry, root)
        for f in entry.files:
            path = Path(root) / f.local
            rows.append((f.local, path.stat().st_size, digests[str(path)]))
    return pd.DataFrame(sorted(rows), columns=MANIFEST_COLUMNS)


def run(
    *,
    files: Sequence[str],
    task_metadata: str,
    model_sizes: str,
    metrics: str,
    scores: str,
    bad_files: str,
    manifest: str,
    models: str,
    overlap: str,
    use: Sequence[str],
    label: str,
) -> None:
    selected = entries(use)
    root = root_of(files, selected)
    manifest_table = file_manifest(selected, root)
    ctx = Context(
        metadata=pd.read_csv(task_metadata, dtype={"subtask": str}),
        sizes=check_model_sizes(pd.read_csv(model_sizes, dtype={"model_name": str}), model_sizes),
        metric_facts=load_metric_facts(metrics),
    )
    table, model_table, overlap_table = build_extract_scores(selected, root, ctx)
    write_parquet(table, scores, label=label)
    write_csv(pd.DataFrame(columns=BAD_FILE_COLUMNS), bad_files, label=label)
    write_csv(manifest_table, manifest, label=label)
    exact = {c: model_table[c].round().astype("Int64") for c in MODEL_COLUMNS[2:5]}
    write_csv(model_table.assign(**exact), models, label=label)
    write_csv(overlap_table, overlap, label=label)
    logger.info(
        "%d scores from %d extracts (%s), %d files verified against their pinned sha256",
        len(table),
        len(selected),
        ", ".join(e.name for e in selected),
        len(manifest_table),
    )
    for kind, n in model_table["size_kind"].value_counts().sort_index().items():
        logger.info("model sizes of kind %s: %d models", kind, n)


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
