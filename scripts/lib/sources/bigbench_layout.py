"""Writers of BIG-bench's results-file structure (docs/bigbench-format.md): one `scores` entry,
keys in upstream order. Used by the synthetic sample and by the test corpora built in that layout.
"""


def entry(description: str, shots: int, preferred: str, low: float, high: float, scores: dict[str, float]) -> dict:
    """One element of a file's `scores` list, keys in upstream order."""
    return {
        "high_score": high,
        "low_score": low,
        "number_of_shots": shots,
        "preferred_score": preferred,
        "score_dict": scores,
        "subtask_description": description,
    }


def round6(value: float) -> float:
    """A value as upstream files write it: six significant digits."""
    return float(f"{value:.6g}")
