"""LaTeX tables (booktabs) for every rule that writes a `.tex` beside its CSV.

Every cell and the caption are escaped, so task and metric names with `_`, `&` or `%` compile.
"""

import math
from typing import Any

import numpy as np
import pandas as pd

LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    # Unicode that pdflatex does not set up by default (used in our captions).
    "≥": r"$\geq$",
    "≤": r"$\leq$",
    "−": "-",
    "–": "--",
    "—": "---",
    "×": r"$\times$",
    "·": r"$\cdot$",
    "∞": r"$\infty$",
}


def latex_escape(text: Any) -> str:
    """Escape LaTeX special characters (& % $ # _ { } ~ ^ \\) in one cell or caption."""
    return "".join(LATEX_SPECIALS.get(ch, ch) for ch in str(text))


def _latex_cell(value: Any, float_format: str) -> str:
    if value is None or value is pd.NA:
        return "--"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return "--" if math.isnan(value) else float_format.format(value)
    return latex_escape(value)


def to_latex(df: pd.DataFrame, caption: str, label: str, *, float_format: str = "{:.3f}") -> str:
    """A booktabs table (text left, numbers right), every cell and the caption escaped."""
    align = "".join(
        "r" if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) else "l"
        for c in df.columns
    )
    header = " & ".join(latex_escape(str(c).replace("_", " ")) for c in df.columns)
    body = [" & ".join(_latex_cell(v, float_format) for v in row) + r" \\" for row in df.itertuples(index=False)]
    lines = [
        r"\begin{table}[htbp]",
        r"\centering",
        rf"\caption{{{latex_escape(caption)}}}",
        rf"\label{{{label}}}",
        rf"\begin{{tabular}}{{{align}}}",
        r"\toprule",
        header + r" \\",
        r"\midrule",
        *body,
        r"\bottomrule",
        r"\end{tabular}",
        r"\end{table}",
    ]
    return "\n".join(lines) + "\n"
