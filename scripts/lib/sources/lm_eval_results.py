"""Parse one lm-evaluation-harness results JSON (layouts 0.3 and 0.4) into tidy score rows.

Pure functions over a decoded document (no files, no config), used by the lm_eval_source rule and
its tests; docs/lm-eval.md describes the two layouts and every choice made here.

- 0.3 (e.g. EleutherAI/pythia evals/): `results.<task>.<metric>` with `<metric>_stderr` beside it,
  `config.num_fewshot`, `config.model_args` ("pretrained=<model>,revision=step<N>,...").
- 0.4: `results.<task>."<metric>,<filter>"` and `"<metric>_stderr,<filter>"` (a stderr may be the
  string "N/A"), `alias`, `n-shot.<task>`, `n-samples.<task>.{original,effective}`,
  `higher_is_better.<task>.<metric>`, `configs.<task>.num_fewshot`, `config.model_args` (a string
  or, from the Python API, an object). The `groups` section repeats rows of `results` and is not read.

Each row: task (the results key), shots, metric (the metric name, or "<metric>,<filter>" when the
filter is not "none"), value, value_se (the reported stderr; NaN when absent or "N/A"), n_examples
(0.4 `n-samples.effective`; NA otherwise) and file_higher_is_better (0.4; NA otherwise).
A malformed document raises LmEvalFileError naming the file and the JSON path.
"""

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

LAYOUT_04_KEYS = ("n-shot", "n-samples", "higher_is_better", "configs", "groups")
"""Top-level keys that only the 0.4 layout writes."""

SKIPPED_TASK_KEYS = ("alias",)
"""Keys of a 0.4 task entry that are labels, not metrics."""

NOT_AVAILABLE = "N/A"
"""What 0.4 writes as the stderr of a metric it could not bootstrap."""

STEP_RE = re.compile(r"^step(\d+)$")

FINAL_REVISIONS = ("main",)
"""Revisions that name the fully trained model (as does no revision at all)."""

ROW_FIELDS = ("task", "shots", "metric", "value", "value_se", "n_examples", "file_higher_is_better")


class LmEvalFileError(ValueError):
    """A file that cannot be read as harness results; names the file and the JSON path."""

    def __init__(self, path: str, json_path: str, reason: str) -> None:
        super().__init__(f"{path}: {json_path}: {reason}")
        self.path, self.json_path, self.reason = path, json_path, reason


@dataclass
class ParsedResults:
    """One results file: the model as after `pretrained=`, its revision, the layout and the rows."""

    model: str
    revision: str | None
    layout: str
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    """Tuples in ROW_FIELDS order."""


def _key(json_path: str, key: str) -> str:
    """A JSON path step: .key, or ["key"] when the key has characters a dotted path would hide."""
    return f"{json_path}.{key}" if re.fullmatch(r"[A-Za-z0-9_-]+", key) else f'{json_path}["{key}"]'


def _object(value: Any, path: str, json_path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise LmEvalFileError(path, json_path, f"expected an object, got {type(value).__name__}")
    return value


def _number(value: Any, path: str, json_path: str) -> float:
    """A JSON number (null -> NaN); strings, booleans and infinities are errors."""
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LmEvalFileError(path, json_path, f"expected a number or null, got {type(value).__name__} {value!r:.40}")
    if math.isinf(value):
        raise LmEvalFileError(path, json_path, f"non-finite value {value}")
    return float(value)


def _count(value: Any, path: str, json_path: str) -> int | None:
    """A non-negative integer or null."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise LmEvalFileError(path, json_path, f"expected a non-negative integer, got {value!r:.40}")
    return value


def parse_model_args(value: Any, path: str) -> dict[str, str]:
    """config.model_args -> {key: value}: "k=v,k=v" (0.3 and usually 0.4) or an object (0.4 Python API)."""
    json_path = "$.config.model_args"
    if isinstance(value, dict):
        args = {str(k): str(v) for k, v in value.items()}
    elif isinstance(value, str):
        args = {}
        for part in value.split(","):
            key, sep, val = part.partition("=")
            if part.strip() and not sep:
                raise LmEvalFileError(path, json_path, f"expected key=value pairs, got {part!r:.40}")
            if sep:
                args[key.strip()] = val.strip()
    else:
        raise LmEvalFileError(path, json_path, f"expected a string or an object, got {type(value).__name__}")
    if not args.get("pretrained"):
        raise LmEvalFileError(path, json_path, f"no pretrained=<model> in {value!r:.80}")
    return args


def training_step(revision: str | None) -> float:
    """The N of a revision "step<N>" (Pythia's checkpoint branches); NaN for none or another name."""
    match = STEP_RE.match(revision or "")
    return float(match.group(1)) if match else math.nan


def split_metric_key(key: str) -> tuple[str, str | None, bool]:
    """(metric, filter or None, is_stderr) of a results key: "acc", "acc_stderr", "acc,none", "acc_stderr,none"."""
    name, sep, filt = key.partition(",")
    is_stderr = name.endswith("_stderr")
    if is_stderr:
        name = name[: -len("_stderr")]
    return name, (filt if sep else None), is_stderr


def metric_label(metric: str, filt: str | None) -> str:
    """The metric column: the name, or "<metric>,<filter>" when the filter is not "none"."""
    return metric if filt in (None, "none") else f"{metric},{filt}"


def detect_layout(doc: dict[str, Any]) -> str:
    """ "0.4" when a 0.4-only top-level key or a "<metric>,<filter>" key is present, else "0.3"."""
    if any(key in doc for key in LAYOUT_04_KEYS):
        return "0.4"
    results = doc.get("results")
    if isinstance(results, dict):
        for entry in results.values():
            if isinstance(entry, dict) and any("," in k for k in entry):
                return "0.4"
    return "0.3"


def _task_shots(doc: dict[str, Any], task: str, layout: str, path: str) -> int | None:
    """Shots of one task: 0.4 n-shot, then configs.<task>.num_fewshot, then config.num_fewshot."""
    if layout == "0.4":
        n_shot = doc.get("n-shot")
        if isinstance(n_shot, dict) and task in n_shot:
            return _count(n_shot[task], path, _key("$.n-shot", task))
        configs = doc.get("configs")
        if isinstance(configs, dict) and isinstance(configs.get(task), dict) and "num_fewshot" in configs[task]:
            return _count(configs[task]["num_fewshot"], path, _key(_key("$.configs", task), "num_fewshot"))
    return _count(doc["config"].get("num_fewshot"), path, "$.config.num_fewshot")


def _task_n_examples(doc: dict[str, Any], task: str, path: str) -> int | None:
    """0.4 n-samples.<task>.effective (the examples actually scored), else None."""
    samples = doc.get("n-samples")
    if not isinstance(samples, dict) or task not in samples:
        return None
    entry = _object(samples[task], path, _key("$.n-samples", task))
    return _count(entry.get("effective", entry.get("original")), path, _key(_key("$.n-samples", task), "effective"))


def _task_directions(doc: dict[str, Any], task: str, path: str) -> dict[str, bool]:
    """0.4 higher_is_better.<task>: {metric: bool}; empty when the file does not say."""
    table = doc.get("higher_is_better")
    if not isinstance(table, dict) or task not in table:
        return {}
    entry = _object(table[task], path, _key("$.higher_is_better", task))
    out = {}
    for metric, value in entry.items():
        if not isinstance(value, bool):
            where = _key(_key("$.higher_is_better", task), metric)
            raise LmEvalFileError(path, where, f"expected true or false, got {value!r:.40}")
        out[metric] = value
    return out


def _stderr(value: Any, path: str, json_path: str) -> float:
    """A reported stderr: a number, null or "N/A" (-> NaN)."""
    return math.nan if value == NOT_AVAILABLE else _number(value, path, json_path)


def parse_results(doc: Any, path: str) -> ParsedResults:
    """Check one decoded results file and flatten it (raises LmEvalFileError)."""
    top = _object(doc, path, "$")
    if "results" not in top or "config" not in top:
        missing = " and ".join(k for k in ("results", "config") if k not in top)
        raise LmEvalFileError(path, "$", f"not an lm-evaluation-harness results file (no {missing})")
    results = _object(top["results"], path, "$.results")
    config = _object(top["config"], path, "$.config")
    if "model_args" not in config:
        raise LmEvalFileError(path, "$.config.model_args", "missing (the model cannot be named)")
    args = parse_model_args(config["model_args"], path)
    layout = detect_layout(top)
    parsed = ParsedResults(model=args["pretrained"], revision=args.get("revision") or None, layout=layout)
    for task in sorted(results):
        task_path = _key("$.results", task)
        entry = _object(results[task], path, task_path)
        shots = _task_shots(top, task, layout, path)
        n_examples = _task_n_examples(top, task, path)
        directions = _task_directions(top, task, path)
        values: dict[tuple[str, str | None], float] = {}
        errors: dict[tuple[str, str | None], float] = {}
        for key, raw in entry.items():
            if key in SKIPPED_TASK_KEYS:
                continue
            metric, filt, is_stderr = split_metric_key(key)
            where = _key(task_path, key)
            if is_stderr:
                errors[(metric, filt)] = _stderr(raw, path, where)
            else:
                values[(metric, filt)] = _number(raw, path, where)
        for (metric, filt), value in sorted(values.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
            se = errors.get((metric, filt), math.nan)
            parsed.rows.append((task, shots, metric_label(metric, filt), value, se, n_examples, directions.get(metric)))
    return parsed


def is_final(revision: pd.Series) -> pd.Series:
    """True where the revision names the fully trained model: none, or "main"."""
    return revision.isna() | revision.isin(FINAL_REVISIONS)


def final_checkpoints(rows: pd.DataFrame) -> pd.DataFrame:
    """Per (model_name, task, shots): the rows of the fully trained model.

    No revision (or "main") first, then the largest step<N>; other revision names only when nothing
    else exists. `rows` needs model_name, task, shots, revision and training_step.
    """
    rank = np.where(is_final(rows["revision"]), math.inf, rows["training_step"].fillna(-1.0))
    keys = [rows["model_name"], rows["task"], rows["shots"].astype("Int64").fillna(-1)]
    best = pd.Series(rank, index=rows.index).groupby(keys).transform("max")
    return rows.loc[rank == best.to_numpy()]
