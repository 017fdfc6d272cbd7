"""Rule excerpt_source: two public third-party extracts of BIG-bench scores -> the tidy scores table.

The offline real-data source (`source: excerpt`, issue 11; docs/excerpt.md). Neither input is
BIG-bench's own output; both are tables that other projects extracted from google/BIG-bench's
scores_*.json files (see <excerpt.path>/README.md):

- audit_table.json (PeterPonyu/calibration-traps): `mc_tasks[]`, 89 multiple-choice tasks, the
  task-level 3-shot multiple_choice_grade of the 12 BIG-G T=0 models (`acc_by_scale`, rounded to
  4 decimals) with their non_embedding_params (`params_by_scale`), the example count `N` and the
  chance level `chance_p`. Other keys are that project's statistics and are ignored.
- bigbench.csv (smolix/benchmark-selection): 55 models (rows "<model_family> <model_name>") x the
  24 BIG-bench Lite tasks, the task's preferred metric at the highest shot count available; the
  metric name and shot count are not stored.

Both become rows of the same table as parse_scores writes (DESIGN §2: family, model_name, the three
size columns, task, subtask, shots, metric, value, is_preferred, low_score, high_score,
source_file, n_examples) plus value_se (scripts/lib/score_table.py), so every downstream rule runs
unchanged. The choices, each documented in docs/excerpt.md:

- audit rows: family "BIG-G T=0", model_name from the BIG-G ladder, task level, shots from the
  file (3), multiple_choice_grade, low_score = chance_p, high_score = 1, n_examples = N.
- bigbench.csv rows: family/model_name split from the row label with the known family list
  (longest match first); metric = the task's preferred metric in BIG-bench's task metadata
  (`preferred_metric_from_metadata`); shots unknown (null); low/high_score = the audit's chance
  level and 1 for a multiple_choice_grade task the audit also holds, else null (downstream then
  uses the metric's range from metrics.yaml); n_examples joined from the metadata
  (parse_scores.add_n_examples). Empty cells (no result for that model) are dropped and counted.
- The six tasks with subtasks (MAYBE_SUBTASK_TASKS): a bigbench.csv value may be a subtask's, so
  those rows get subtask = "unknown_subtask_or_task" instead of null: they form their own curves,
  are never mixed with task-level curves, drop out with `granularity: task`, and are counted in
  the log.
- (task, BIG-G T=0 size) held by both files: the values must agree to 4 decimals (else an error
  naming both files, the task and the size); the audit's row is kept (it states the shot count)
  and the comparison goes to tables/excerpt_overlap.csv.
- Model sizes: `resolve_sizes` (config/model_sizes.csv, then the BIG-G ladder, then the number in
  the name). `non_embedding_params`, the default x axis, is BIG-bench's exact value for BIG-G
  dense models and otherwise the best published size (total parameters for GPT-3, Gopher, PaLM,
  T0/T5; the FLOP-matched dense size for BIG-G sparse) as a stand-in: the emergence score depends
  only on the order of sizes within a family, which the stand-in keeps. `total_params` and
  `flop_matched_non_embedding_params` are filled only where that is what the number is. Every
  model's size, kind and source is listed in tables/excerpt_models.csv.

A missing or malformed file is an error naming the file and the place in it (ExcerptError);
`on_bad_file` does not apply (two files, no partial result), so logs/bad_files.csv is empty.

Inputs: audit, bigbench (the two extracts), task_metadata, model_sizes, metrics.
Outputs: scores.parquet, logs/bad_files.csv (empty), manifest.csv (path, size, sha256 of the two
files), tables/excerpt_models.csv, tables/excerpt_overlap.csv. Params: label.
"""

import csv
import io
import json
import logging
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scripts.lib.io import load_metric_facts, run_rule, write_csv, write_parquet
from scripts.lib.manifest import MANIFEST_COLUMNS, sha256_file
from scripts.lib.score_table import add_value_se, preferred_metric_from_metadata
from scripts.parse_scores import BAD_FILE_COLUMNS, COLUMNS, add_n_examples

logger = logging.getLogger(__name__)

AUDIT_FILE = "audit_table.json"
BIGBENCH_FILE = "bigbench.csv"

KNOWN_SHA256 = {
    AUDIT_FILE: "89cbd8bb8c891515060f0e3818cb262b3983e8e807f16c96bc7705d670366492",
    BIGBENCH_FILE: "714c6a1ab443f327566f67bec2c5a213deac687a32c3efb2177cfd37ee0d6a89",
}
"""The versions described in the extracts' README (a different file is used, with a warning)."""

AUDIT_FAMILY = "BIG-G T=0"
AUDIT_METRIC = "multiple_choice_grade"

BIG_G_LADDER = {
    "2m": 2098048.0,
    "16m": 16780288.0,
    "53m": 56629632.0,
    "125m": 134228992.0,
    "244m": 262161280.0,
    "422m": 453009408.0,
    "1b": 1073784832.0,
    "2b": 2097218560.0,
    "4b": 3623973888.0,
    "8b": 8590102528.0,
    "27b": 28991404032.0,
    "128b": 137440272384.0,
}
"""non_embedding_params of the BIG-G dense models by model_name, from their scores files' model
block (docs/BIGBENCH_FORMAT.md); identical to audit_table.json's params_by_scale."""
BIG_G_SOURCE = "BIG-bench scores_*.json model block, non_embedding_params of the BIG-G ladder (BIGBENCH_FORMAT.md)"

KNOWN_FAMILIES = ("BIG-G T=0", "BIG-G T=1", "BIG-G sparse", "GPT", "Gopher", "PaLM", "T0", "T0+", "T0++", "T5-LM")
"""Model families of bigbench.csv's row labels; families named in config/model_sizes.csv are added."""

MAYBE_SUBTASK_TASKS = (
    "bbq_lite_json",
    "conceptual_combinations",
    "conlang_translation",
    "logical_deduction",
    "strange_stories",
    "symbol_interpretation",
)
"""Tasks with subtasks: bigbench.csv's value may be a subtask's rather than the task's (README)."""
MAYBE_SUBTASK_LABEL = "unknown_subtask_or_task"

SIZE_KINDS = ("non_embedding", "total", "flop_matched")
MODEL_SIZE_COLUMNS = ["family", "model_name", "params", "size_kind", "source"]
MODEL_COLUMNS = [
    "family",
    "model_name",
    "non_embedding_params",
    "total_params",
    "flop_matched_non_embedding_params",
    "size_kind",
    "size_source",
    "n_scores",
]
OVERLAP_COLUMNS = [
    "task",
    "family",
    "model_name",
    "non_embedding_params",
    "audit_value",
    "bigbench_value",
    "abs_diff",
    "agree",
]
OUTPUT_COLUMNS = [*COLUMNS, "n_examples", "value_se"]
AGREE_TOL = 5e-5 + 1e-9
"""Two values agree 'to 4 decimals' when they differ by at most half a unit in the 4th decimal."""

SIZE_RE = re.compile(r"(?<![A-Za-z0-9.])(\d+(?:\.\d+)?)\s*([kKmMbBtT])(?![A-Za-z])")
SIZE_UNITS = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}


class ExcerptError(ValueError):
    """A missing or malformed excerpt file; the message names the file and the place in it."""

    def __init__(self, path: str, where: str, reason: str) -> None:
        super().__init__(f"{path}: {where}: {reason}")
        self.path, self.where, self.reason = path, where, reason


# --- reading the two files ---------------------------------------------------------------------


def read_bytes(path: str | Path) -> bytes:
    """The file's bytes; a missing or unreadable file is an ExcerptError naming it."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise ExcerptError(str(path), "$", "file not found (check config key excerpt.path)") from None
    except OSError as exc:
        raise ExcerptError(str(path), "$", f"cannot read: {exc.strerror or exc}") from None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def load_audit(data: bytes, path: str) -> pd.DataFrame:
    """audit_table.json -> one row per (task, size): task, n_examples, chance_p, shots, non_embedding_params, value.

    Checks every field the pipeline uses; errors name the file and the JSON path.
    """
    if not data.strip():
        raise ExcerptError(path, "$", "empty file")
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ExcerptError(path, "$", f"not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ExcerptError(path, "$", f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(doc, dict):
        raise ExcerptError(path, "$", f"expected an object, got {type(doc).__name__}")
    tasks = doc.get("mc_tasks")
    if not isinstance(tasks, list) or not tasks:
        raise ExcerptError(path, "$.mc_tasks", "expected a non-empty list of tasks")
    rows: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    for i, entry in enumerate(tasks):
        where = f"$.mc_tasks[{i}]"
        if not isinstance(entry, dict):
            raise ExcerptError(path, where, f"expected an object, got {type(entry).__name__}")
        task = entry.get("task")
        if not isinstance(task, str) or not task:
            raise ExcerptError(path, f"{where}.task", f"expected a task name, got {task!r:.40}")
        if task in seen:
            raise ExcerptError(path, f"{where}.task", f"task {task!r} appears twice")
        seen.add(task)
        n = entry.get("N")
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            raise ExcerptError(path, f"{where}.N", f"expected a positive integer, got {n!r:.40}")
        chance = entry.get("chance_p")
        if not _is_number(chance) or not 0 <= chance < 1:
            raise ExcerptError(path, f"{where}.chance_p", f"expected a number in [0, 1), got {chance!r:.40}")
        shots = entry.get("shots")
        if not isinstance(shots, int) or isinstance(shots, bool) or shots < 0:
            raise ExcerptError(path, f"{where}.shots", f"expected a non-negative integer, got {shots!r:.40}")
        acc, params = entry.get("acc_by_scale"), entry.get("params_by_scale")
        for key, seq in (("acc_by_scale", acc), ("params_by_scale", params)):
            if not isinstance(seq, list) or not seq:
                raise ExcerptError(path, f"{where}.{key}", "expected a non-empty list")
        if len(acc) != len(params):
            raise ExcerptError(
                path, f"{where}.acc_by_scale", f"{len(acc)} values but params_by_scale has {len(params)}"
            )
        for j, (value, size) in enumerate(zip(acc, params, strict=True)):
            if not _is_number(size) or not math.isfinite(size) or size <= 0:
                raise ExcerptError(
                    path, f"{where}.params_by_scale[{j}]", f"expected a positive number, got {size!r:.40}"
                )
            if value is None:
                value = math.nan
            elif not _is_number(value) or not (math.isnan(value) or 0 <= value <= 1):
                raise ExcerptError(
                    path,
                    f"{where}.acc_by_scale[{j}]",
                    f"expected a multiple_choice_grade in [0, 1] or null, got {value!r:.40}",
                )
            rows.append((task, n, float(chance), shots, float(size), float(value)))
    return pd.DataFrame(rows, columns=["task", "n_examples", "chance_p", "shots", "non_embedding_params", "value"])


def load_bigbench_csv(data: bytes, path: str) -> pd.DataFrame:
    """bigbench.csv -> long form: label, task, value (empty cells dropped); errors name file, row and column."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExcerptError(path, "$", f"not UTF-8 text (byte {exc.start})") from None
    table = list(csv.reader(io.StringIO(text)))
    if not table or not any(cell.strip() for cell in table[0]):
        raise ExcerptError(path, "line 1", "empty file (expected a header: model,<task>,<task>,...)")
    header = [cell.strip() for cell in table[0]]
    if header[0] != "model" or len(header) < 2:
        raise ExcerptError(path, "line 1", f"expected a header 'model,<task>,...', got {','.join(header)[:60]!r}")
    tasks = header[1:]
    dupes = sorted({t for t in tasks if tasks.count(t) > 1})
    if dupes or not all(tasks):
        raise ExcerptError(path, "line 1", f"task columns must be named and unique (repeated: {dupes})")
    rows: list[tuple[str, str, float]] = []
    labels: set[str] = set()
    n_empty = 0
    for line_no, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise ExcerptError(path, f"line {line_no}", f"{len(cells)} cells, header has {len(header)}")
        label = cells[0].strip()
        if not label:
            raise ExcerptError(path, f"line {line_no}", "empty model label")
        if label in labels:
            raise ExcerptError(path, f"line {line_no}", f"model {label!r} appears twice")
        labels.add(label)
        for task, cell in zip(tasks, cells[1:], strict=True):
            cell = cell.strip()
            if cell == "" or cell.lower() == "nan":
                n_empty += 1
                continue
            try:
                value = float(cell)
            except ValueError:
                raise ExcerptError(
                    path, f"line {line_no} ({label}), column {task}", f"not a number: {cell!r:.40}"
                ) from None
            if not math.isfinite(value):
                raise ExcerptError(path, f"line {line_no} ({label}), column {task}", f"non-finite value {cell!r}")
            rows.append((label, task, value))
    if not labels:
        raise ExcerptError(path, "$", "no model rows")
    logger.info(
        "%s: %d models x %d tasks, %d values, %d empty cells (no result for that model; dropped)",
        path,
        len(labels),
        len(tasks),
        len(rows),
        n_empty,
    )
    return pd.DataFrame(rows, columns=["label", "task", "value"])


# --- model families and sizes ------------------------------------------------------------------


def split_model_label(label: str, families: Iterable[str]) -> tuple[str, str]:
    """'<model_family> <model_name>' -> (family, model_name), trying the longest family first.

    'T0++ T0++' -> ('T0++', 'T0++'); 'BIG-G T=0 125m' -> ('BIG-G T=0', '125m'). ValueError if no
    known family starts the label.
    """
    for family in sorted(set(families), key=lambda f: (-len(f), f)):
        if label.startswith(f"{family} ") and label[len(family) + 1 :].strip():
            return family, label[len(family) + 1 :].strip()
    raise ValueError(f"model label {label!r} does not start with a known family {sorted(set(families))}")


def size_from_name(name: str) -> float | None:
    """The parameter count written in a model name ('125m' -> 1.25e8, 'GPT-3 2.7B' -> 2.7e9); None if none."""
    matches = SIZE_RE.findall(name)
    if len(matches) != 1:
        return None
    number, unit = matches[0]
    return float(number) * SIZE_UNITS[unit.lower()]


def check_model_sizes(sizes: pd.DataFrame, path: str) -> pd.DataFrame:
    """Validate config/model_sizes.csv (family, model_name, params, size_kind, source)."""
    missing = [c for c in MODEL_SIZE_COLUMNS if c not in sizes.columns]
    if missing:
        raise ExcerptError(path, "header", f"missing column(s) {missing}; expected {MODEL_SIZE_COLUMNS}")
    sizes = sizes[MODEL_SIZE_COLUMNS].copy()
    params = pd.to_numeric(sizes["params"], errors="coerce")
    for i in range(len(sizes)):
        where = f"line {i + 2} ({sizes['family'].iat[i]} {sizes['model_name'].iat[i]})"
        if not (np.isfinite(params.iat[i]) and params.iat[i] > 0):
            raise ExcerptError(path, where, f"params must be a positive number, got {sizes['params'].iat[i]!r}")
        if sizes["size_kind"].iat[i] not in SIZE_KINDS:
            raise ExcerptError(path, where, f"size_kind {sizes['size_kind'].iat[i]!r} is not one of {SIZE_KINDS}")
        if not str(sizes["source"].iat[i]).strip() or pd.isna(sizes["source"].iat[i]):
            raise ExcerptError(path, where, "every size needs a source")
    dup = sizes.duplicated(["family", "model_name"], keep=False)
    if dup.any():
        first = sizes.loc[dup].iloc[0]
        raise ExcerptError(path, f"{first['family']} {first['model_name']}", "listed twice")
    return sizes.assign(params=params.astype(float))


def resolve_sizes(models: pd.DataFrame, sizes: pd.DataFrame) -> pd.DataFrame:
    """Per (family, model_name): the three size columns, size_kind and size_source.

    Order: config/model_sizes.csv; the BIG-G ladder for BIG-G families (dense: non_embedding;
    'BIG-G sparse': the names are FLOP-matched dense sizes); the number in the name (kind 'name').
    `non_embedding_params` always holds the value (a stand-in unless kind is non_embedding);
    total_params only for kind total; flop_matched_non_embedding_params for non_embedding (a dense
    model is its own FLOP match) and flop_matched. ValueError for a model with no size.
    """
    table = sizes.set_index(["family", "model_name"])
    out = []
    for family, name in models[["family", "model_name"]].drop_duplicates().itertuples(index=False):
        if (family, name) in table.index:
            row = table.loc[(family, name)]
            params, kind, source = float(row["params"]), str(row["size_kind"]), str(row["source"])
        elif family.startswith("BIG-G") and name in BIG_G_LADDER:
            params = BIG_G_LADDER[name]
            kind = "flop_matched" if "sparse" in family.lower() else "non_embedding"
            source = BIG_G_SOURCE
        elif (parsed := size_from_name(name)) is not None:
            params, kind, source = parsed, "name", "the number in the model name"
        else:
            raise ValueError(f"no size for model {family!r} {name!r}: add it to config/model_sizes.csv")
        out.append(
            {
                "family": family,
                "model_name": name,
                "non_embedding_params": params,
                "total_params": params if kind == "total" else math.nan,
                "flop_matched_non_embedding_params": params if kind in ("non_embedding", "flop_matched") else math.nan,
                "size_kind": kind,
                "size_source": source,
            }
        )
    return pd.DataFrame(out, columns=MODEL_COLUMNS[:-1])


# --- the tidy rows -----------------------------------------------------------------------------


def audit_rows(audit: pd.DataFrame, *, preferred: Mapping[str, Any], source_file: str) -> pd.DataFrame:
    """Tidy rows of the audit table (family BIG-G T=0, task level, multiple_choice_grade)."""
    by_params = {v: k for k, v in BIG_G_LADDER.items()}
    unknown = sorted(set(audit["non_embedding_params"]) - set(by_params))
    if unknown:
        raise ExcerptError(
            source_file,
            "$.mc_tasks[*].params_by_scale",
            f"{unknown[0]:.0f} is not a BIG-G dense non_embedding_params value {sorted(by_params)}",
        )
    return pd.DataFrame(
        {
            "family": AUDIT_FAMILY,
            "model_name": audit["non_embedding_params"].map(by_params),
            "task": audit["task"],
            "subtask": None,
            "shots": audit["shots"],
            "metric": AUDIT_METRIC,
            "value": audit["value"],
            "is_preferred": audit["task"].map(preferred).eq(AUDIT_METRIC).to_numpy(),
            "low_score": audit["chance_p"],
            "high_score": 1.0,
            "source_file": source_file,
            "n_examples": audit["n_examples"],
        }
    )


def bigbench_rows(
    long: pd.DataFrame,
    *,
    families: Iterable[str],
    preferred: Mapping[str, Any],
    chance: Mapping[str, float],
    metric_facts: Mapping[str, Mapping[str, Any]],
    source_file: str,
) -> pd.DataFrame:
    """Tidy rows of bigbench.csv: family/model split, preferred metric, null shots, subtask flag."""
    families = list(families)
    split = {}
    for label in long["label"].unique():
        try:
            split[label] = split_model_label(label, families)
        except ValueError as exc:
            raise ExcerptError(
                source_file, f"model {label!r}", f"{exc}; add the family to config/model_sizes.csv"
            ) from None
    no_metric = sorted(t for t in long["task"].unique() if pd.isna(preferred.get(t)))
    if no_metric:
        raise ExcerptError(
            source_file,
            f"column {no_metric[0]}",
            f"task has no preferred metric in the task metadata ({len(no_metric)} such column(s))",
        )
    metric = long["task"].map(preferred)
    is_mcg = metric.eq(AUDIT_METRIC)
    low = long["task"].map(chance).where(is_mcg)
    rows = pd.DataFrame(
        {
            "family": long["label"].map(lambda s: split[s][0]),
            "model_name": long["label"].map(lambda s: split[s][1]),
            "task": long["task"],
            "subtask": np.where(long["task"].isin(MAYBE_SUBTASK_TASKS), MAYBE_SUBTASK_LABEL, None),
            "shots": pd.array([pd.NA] * len(long), dtype="Int64"),
            "metric": metric,
            "value": long["value"],
            "is_preferred": True,
            "low_score": low.astype(float),
            "high_score": np.where(low.notna(), 1.0, np.nan),
            "source_file": source_file,
        }
    )
    rows["subtask"] = rows["subtask"].astype(object).where(rows["subtask"].notna(), None)
    for name, facts in metric_facts.items():
        lo, hi = (facts or {}).get("low"), (facts or {}).get("high")
        sel = rows["metric"] == name
        bad = sel & ((lo is not None and rows["value"] < lo) | (hi is not None and rows["value"] > hi))
        if bad.any():
            row = rows.loc[bad].iloc[0]
            raise ExcerptError(
                source_file,
                f"model {row['family']} {row['model_name']}, column {row['task']}",
                f"{row['value']!r} is outside the range [{lo}, {hi}] of its metric {name}",
            )
    return rows


def reconcile(
    audit: pd.DataFrame, bench: pd.DataFrame, *, audit_file: str, bench_file: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compare the (task, BIG-G T=0 size) values held by both files; return (bench rows to keep, overlap).

    Values must agree to 4 decimals (the audit's rounding); a disagreement is an ExcerptError naming
    both files, the task and the size. The audit's rows are kept (they state the shot count).
    """
    key = ["family", "model_name", "task"]
    both = audit[key + ["value"]].merge(bench[key + ["value"]], on=key, suffixes=("_audit", "_bench"))
    diff = (both["value_audit"] - both["value_bench"]).abs()
    agree = diff.le(AGREE_TOL) | (both["value_audit"].isna() & both["value_bench"].isna())
    overlap = (
        pd.DataFrame(
            {
                "task": both["task"],
                "family": both["family"],
                "model_name": both["model_name"],
                "non_embedding_params": both["model_name"].map(BIG_G_LADDER),
                "audit_value": both["value_audit"],
                "bigbench_value": both["value_bench"],
                "abs_diff": diff,
                "agree": agree.to_numpy(dtype=bool),
            }
        )
        .sort_values(["task", "non_embedding_params"], kind="stable")
        .reset_index(drop=True)
    )
    if not overlap["agree"].all():
        bad = overlap.loc[~overlap["agree"]]
        first = bad.iloc[0]
        raise ExcerptError(
            f"{audit_file} and {bench_file}",
            f"task {first['task']}, {first['family']} {first['model_name']}",
            f"the files disagree: {first['audit_value']!r} vs {first['bigbench_value']!r} (more than 4 decimals "
            f"apart; {len(bad)} of {len(overlap)} shared values disagree)",
        )
    kept = bench.merge(overlap[key].assign(_shared=True), on=key, how="left")
    kept = kept.loc[kept["_shared"].isna()].drop(columns="_shared")
    return kept.reset_index(drop=True), overlap


def build_excerpt_scores(
    audit: pd.DataFrame,
    bench: pd.DataFrame,
    *,
    metadata: pd.DataFrame,
    sizes: pd.DataFrame,
    metric_facts: Mapping[str, Mapping[str, Any]],
    audit_file: str = AUDIT_FILE,
    bench_file: str = BIGBENCH_FILE,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(scores, models, overlap) from the loaded audit table and bigbench.csv (long form)."""
    preferred = preferred_metric_from_metadata(metadata).set_index("task")["preferred_metric"].to_dict()
    chance = audit.drop_duplicates("task").set_index("task")["chance_p"].to_dict()
    families = [*KNOWN_FAMILIES, *sizes["family"].unique()]
    a_rows = audit_rows(audit, preferred=preferred, source_file=audit_file)
    b_rows = bigbench_rows(
        bench, families=families, preferred=preferred, chance=chance, metric_facts=metric_facts, source_file=bench_file
    )
    b_rows, overlap = reconcile(a_rows, b_rows, audit_file=audit_file, bench_file=bench_file)
    b_rows = add_n_examples(b_rows, metadata)

    meta_n = add_n_examples(a_rows.drop(columns="n_examples"), metadata)["n_examples"]
    differs = meta_n.notna() & meta_n.ne(a_rows["n_examples"]).fillna(False)
    if differs.any():
        logger.warning(
            "%d audit task(s): N differs from the task metadata's n_examples; using N (e.g. %s)",
            a_rows.loc[differs, "task"].nunique(),
            a_rows.loc[differs, "task"].iloc[0],
        )
    not_preferred = sorted(a_rows.loc[~a_rows["is_preferred"], "task"].unique())
    if not_preferred:
        logger.warning(
            "%d audit task(s) whose preferred metric is not multiple_choice_grade (is_preferred false): %s",
            len(not_preferred),
            ", ".join(not_preferred),
        )

    scores = pd.concat([a_rows, b_rows], ignore_index=True)
    try:
        models = resolve_sizes(scores, sizes)
    except ValueError as exc:
        raise ExcerptError(bench_file, "model sizes", str(exc)) from None
    scores = scores.merge(
        models.drop(columns=["size_kind", "size_source"]),
        on=["family", "model_name"],
        how="left",
        validate="many_to_one",
    )
    scores = add_value_se(scores, metric_facts)
    scores = scores.astype(
        {
            "shots": "Int64",
            "n_examples": "Int64",
            "value": float,
            "is_preferred": bool,
            "low_score": float,
            "high_score": float,
            "value_se": float,
            "non_embedding_params": float,
            "total_params": float,
            "flop_matched_non_embedding_params": float,
        }
    )
    scores["subtask"] = scores["subtask"].astype(object).where(scores["subtask"].notna(), None)
    scores = scores.sort_values(["source_file", "family", "non_embedding_params", "task"], kind="stable")
    scores = scores[OUTPUT_COLUMNS].reset_index(drop=True)

    counts = scores.groupby(["family", "model_name"]).size().rename("n_scores")
    models = models.join(counts, on=["family", "model_name"])
    models = models.sort_values(["family", "non_embedding_params"], kind="stable").reset_index(drop=True)
    return scores, models[MODEL_COLUMNS], overlap[OVERLAP_COLUMNS]


def file_manifest(paths: Iterable[str | Path]) -> pd.DataFrame:
    """path (file name), size, sha256 of each input file, sorted by name; warns on unknown versions."""
    rows = []
    for p in paths:
        digest = sha256_file(p)
        name = Path(p).name
        if name in KNOWN_SHA256 and digest != KNOWN_SHA256[name]:
            logger.warning(
                "%s: sha256 %s differs from the version the README describes (%s)", p, digest, KNOWN_SHA256[name]
            )
        rows.append((name, Path(p).stat().st_size, digest))
    return pd.DataFrame(sorted(rows), columns=MANIFEST_COLUMNS)


def run(
    *,
    audit: str,
    bigbench: str,
    task_metadata: str,
    model_sizes: str,
    metrics: str,
    scores: str,
    bad_files: str,
    manifest: str,
    models: str,
    overlap: str,
    label: str,
) -> None:
    audit_table = load_audit(read_bytes(audit), audit)
    bench_long = load_bigbench_csv(read_bytes(bigbench), bigbench)
    metadata = pd.read_csv(task_metadata, dtype={"subtask": str})
    sizes = check_model_sizes(pd.read_csv(model_sizes, dtype={"model_name": str}), model_sizes)
    facts = load_metric_facts(metrics)
    table, model_table, overlap_table = build_excerpt_scores(
        audit_table,
        bench_long,
        metadata=metadata,
        sizes=sizes,
        metric_facts=facts,
        audit_file=Path(audit).name,
        bench_file=Path(bigbench).name,
    )
    write_parquet(table, scores, label=label)
    write_csv(pd.DataFrame(columns=BAD_FILE_COLUMNS), bad_files, label=label)
    write_csv(file_manifest([audit, bigbench]), manifest, label=label)
    sizes_exact = {c: model_table[c].round().astype("Int64") for c in MODEL_COLUMNS[2:5]}
    write_csv(model_table.assign(**sizes_exact), models, label=label)
    write_csv(overlap_table, overlap, label=label)

    maybe = table["subtask"].eq(MAYBE_SUBTASK_LABEL)
    logger.info(
        "%d values shared by both files agree to 4 decimals (max |diff| %.2g); the audit's are kept",
        len(overlap_table),
        overlap_table["abs_diff"].max() if len(overlap_table) else 0.0,
    )
    logger.info(
        "%d scores (%d from %s, %d from %s): %d families, %d models, %d tasks, metrics %s",
        len(table),
        int((table["source_file"] == Path(audit).name).sum()),
        Path(audit).name,
        int((table["source_file"] == Path(bigbench).name).sum()),
        Path(bigbench).name,
        table["family"].nunique(),
        len(model_table),
        table["task"].nunique(),
        {k: int(v) for k, v in table["metric"].value_counts().sort_index().items()},
    )
    logger.info(
        "%d scores of %d tasks with subtasks may be a subtask's value: subtask=%r (own curves; "
        "excluded by granularity: task)",
        int(maybe.sum()),
        table.loc[maybe, "task"].nunique(),
        MAYBE_SUBTASK_LABEL,
    )
    for kind, n in model_table["size_kind"].value_counts().sort_index().items():
        logger.info("model sizes of kind %s: %d models", kind, n)


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
