"""Shared figure helpers: one look, one colour per metric, byte-identical files (docs/design.md §5, §7).

Why one module: every figure must agree on how a metric is named and coloured, on the model-size
axis, on the SYNTHETIC DATA banner and on how files are written, or readers comparing Fig. 5A
with the gallery would be misled. Figures are built on `matplotlib.figure.Figure` (no pyplot, so
no global figure state and no GUI backend); the theme is seaborn's whitegrid/paper, frozen
here as rcParams (`THEME_RC`) so that a figure job does not spend a second importing seaborn
and scipy.stats for one dictionary (docs/performance.md).

Files are written through a temporary file and `os.replace` with fixed metadata (no creator,
producer, dates), so a rerun writes the same bytes.
"""

import colorsys
import hashlib
import logging
import math
import os
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator
from matplotlib.transforms import ScaledTranslation

from scripts.lib.io import atomic_path, read_csv
from scripts.lib.present.text import metric_name

logger = logging.getLogger(__name__)

DPI = 150
"""Raster resolution of PNG output."""

SYNTHETIC_BANNER = "SYNTHETIC DATA — not BIG-bench results"

SCALE_LABELS = {
    "non_embedding_params": "Model parameters (non-embedding)",
    "total_params": "Model parameters (total)",
    "flop_matched_non_embedding_params": "FLOP-matched non-embedding parameters",
}
"""Axis label of each scale variable (config `scale`)."""

# Fixed, colour-blind-aware palette (Tableau 10, then 10 further distinct hues). Known metrics take
# colours in config/metrics.yaml order, so Multiple choice grade is the same blue in every figure.
METRIC_PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#1f3b73",
    "#a0522d",
    "#2e8b57",
    "#8b008b",
    "#b8860b",
    "#008b8b",
    "#dc143c",
    "#556b2f",
    "#6a5acd",
    "#708090",
)

TASK_PALETTE = (
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#666666",
)
"""Colours for tasks (Fig. 6), where colour means task rather than metric."""

THEME_RC: dict[str, Any] = {
    "figure.facecolor": "white",
    "axes.labelcolor": ".15",
    "xtick.direction": "out",
    "ytick.direction": "out",
    "xtick.color": ".15",
    "ytick.color": ".15",
    "axes.axisbelow": True,
    "grid.linestyle": "-",
    "text.color": ".15",
    "font.family": ["sans-serif"],
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans", "sans-serif"],
    "lines.solid_capstyle": "round",
    "patch.edgecolor": "w",
    "patch.force_edgecolor": True,
    "xtick.top": False,
    "ytick.right": False,
    "axes.grid": True,
    "axes.facecolor": "white",
    "axes.edgecolor": ".8",
    "grid.color": ".8",
    "axes.spines.left": True,
    "axes.spines.bottom": True,
    "axes.spines.right": True,
    "axes.spines.top": True,
    "xtick.bottom": False,
    "ytick.left": False,
    "axes.linewidth": 1.0,
    "grid.linewidth": 0.8,
    "lines.linewidth": 1.2000000000000002,
    "lines.markersize": 4.800000000000001,
    "patch.linewidth": 0.8,
    "xtick.major.width": 1.0,
    "ytick.major.width": 1.0,
    "xtick.minor.width": 0.8,
    "ytick.minor.width": 0.8,
    "xtick.major.size": 4.800000000000001,
    "ytick.major.size": 4.800000000000001,
    "xtick.minor.size": 3.2,
    "ytick.minor.size": 3.2,
    "font.size": 10.560000000000002,
    "axes.labelsize": 10.560000000000002,
    "axes.titlesize": 10.560000000000002,
    "xtick.labelsize": 9.680000000000001,
    "ytick.labelsize": 9.680000000000001,
    "legend.fontsize": 9.680000000000001,
    "legend.title_fontsize": 10.560000000000002,
}
"""seaborn 0.13's `axes_style("whitegrid")` and `plotting_context("paper", font_scale=1.1)`, frozen
(tests/unit/test_figures.py compares them with the installed seaborn). Without seaborn's
`image.cmap` ("rocket", a colormap only seaborn registers): every image here names its colormap."""

STYLE_RC: dict[str, Any] = {
    **THEME_RC,
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "pdf.compression": 6,
    "svg.hashsalt": "bigbench-emergence",
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
}
"""rcParams of every figure (the frozen seaborn theme + fixed output settings)."""

SAVE_METADATA: dict[str, dict[str, None]] = {
    "pdf": {"Creator": None, "Producer": None, "CreationDate": None},
    "png": {"Software": None},
    "svg": {"Creator": None, "Date": None},
}
"""Metadata that would otherwise change between runs (tool versions, timestamps)."""


# --- names and colours ---------------------------------------------------------------------------


def _hashed_color(metric: str) -> str:
    """A stable colour for a metric that metrics.yaml does not list (md5, not Python's salted hash)."""
    digest = hashlib.md5(metric.encode("utf-8")).digest()
    hue = digest[0] / 256.0
    sat = 0.45 + 0.3 * digest[1] / 255.0
    val = 0.55 + 0.25 * digest[2] / 255.0
    r, g, b = colorsys.hsv_to_rgb(hue, sat, val)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def metric_color(metric: str, facts: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """The one colour of `metric` in every figure: palette slot by metrics.yaml order, else hashed."""
    known = list((facts or {}).keys())
    if metric in known:
        index = known.index(metric)
        if index < len(METRIC_PALETTE):
            return METRIC_PALETTE[index]
    return _hashed_color(metric)


def task_colors(tasks: Iterable[str]) -> dict[str, str]:
    """Colours for tasks in the given order (the same task keeps its colour across panels)."""
    return {task: TASK_PALETTE[i % len(TASK_PALETTE)] for i, task in enumerate(tasks)}


def scale_label(scale: str) -> str:
    """Axis label with units for a scale column."""
    return SCALE_LABELS.get(scale, scale.replace("_", " "))


# --- thresholds and rules in words ---------------------------------------------------------------


# --- axes ----------------------------------------------------------------------------------------


def format_params(value: float, _pos: int | None = None) -> str:
    """1e6 → '1M', 1e10 → '10B', 1e11 → '100B': readable model sizes."""
    if value <= 0 or not math.isfinite(value):
        return ""
    for base, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= base:
            scaled = value / base
            return f"{scaled:.0f}{suffix}" if abs(scaled - round(scaled)) < 1e-9 else f"{scaled:.3g}{suffix}"
    return f"{value:g}"


def log_x(ax: Axes, scale: str = "non_embedding_params") -> None:
    """Log-scale model-size axis with ticks 1M, 10M, …, 100B and a label with units."""
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, numticks=12))
    ax.xaxis.set_major_formatter(FuncFormatter(format_params))
    # No minor ticks: laying out 8 unlabelled minor ticks per decade on every small multiple was
    # half the drawing time of the gallery (docs/performance.md).
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel(scale_label(scale))


# --- figure frame ----------------------------------------------------------------------------------


@contextmanager
def figure_style() -> Iterator[None]:
    """Apply the shared rcParams while a figure is built and saved."""
    with matplotlib.rc_context(STYLE_RC):
        yield


def new_figure(width: float, height: float) -> Figure:
    """A pyplot-free figure (call inside `figure_style()`)."""
    return Figure(figsize=(width, height), layout="constrained")


def label_figure(fig: Figure, *, title: str, subtitle: str | None, data_label: str, synthetic: bool) -> None:
    """Title, subtitle, the data source in small print, and the SYNTHETIC DATA banner when synthetic."""
    width = max(60, int(fig.get_figwidth() * 13))  # characters per line at the title font size
    lines = [title] + [textwrap.fill(line, width) for line in (subtitle or "").split("\n") if line]
    fig.suptitle("\n".join(lines), fontsize=10)
    footer = textwrap.fill(f"Data: {data_label}", max(80, int(fig.get_figwidth() * 22)))  # 6-pt characters
    fig.supxlabel(footer, fontsize=6, color="#555555", x=0.99, ha="right", multialignment="right")
    if not synthetic:
        return
    # A red banner above the title (savefig uses bbox_inches="tight", so it is kept), raised by
    # 6 points so its box clears the first title line ...
    fig.text(
        0.5,
        1.0,
        SYNTHETIC_BANNER,
        transform=fig.transFigure + ScaledTranslation(0, 6 / 72, fig.dpi_scale_trans),
        ha="center",
        va="bottom",
        fontsize=12,
        fontweight="bold",
        color="white",
        bbox={
            "boxstyle": "square,pad=0.3",
            "facecolor": "#c00000",
            "edgecolor": "none",
        },
    )
    # ... and a faint watermark across the plot area, so a cropped panel still says it.
    fig.text(
        0.5,
        0.5,
        "SYNTHETIC DATA",
        ha="center",
        va="center",
        fontsize=44,
        fontweight="bold",
        color="#c00000",
        alpha=0.10,
        rotation=20,
        zorder=0,
    )


def draw_table(data: str, figure: Any, plot: Callable[[pd.DataFrame], Figure], **read_kwargs: Any) -> pd.DataFrame:
    """Read a figure's CSV, draw it with `plot` under the shared style, save every format; return the table.

    The figure rules that draw only from the CSV their compute rule wrote all do exactly this.
    """
    table = read_csv(data, **read_kwargs)
    with figure_style():
        save_figure(plot(table), figure)
    return table


def message_figure(message: str, *, title: str, data_label: str, synthetic: bool) -> Figure:
    """A figure that says why there is nothing to plot (instead of failing the rule)."""
    fig = new_figure(7, 3.5)
    ax = fig.add_subplot()
    ax.axis("off")
    ax.text(
        0.5,
        0.5,
        message,
        ha="center",
        va="center",
        wrap=True,
        fontsize=11,
        transform=ax.transAxes,
    )
    label_figure(fig, title=title, subtitle=None, data_label=data_label, synthetic=synthetic)
    return fig


def as_paths(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
) -> list[Path]:
    """One path or a list of them (a Snakemake named output made by expand())."""
    if isinstance(paths, (str, os.PathLike)):
        return [Path(paths)]
    return [Path(p) for p in paths]


def save_figure(fig: Figure, paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Write `fig` to every path (format from the suffix), atomically and with fixed metadata."""
    written = []
    with figure_style():
        for path in as_paths(paths):
            fmt = path.suffix.lstrip(".").lower()
            if fmt not in SAVE_METADATA:
                raise ValueError(f"{path}: unsupported figure format {fmt!r}; use one of {sorted(SAVE_METADATA)}")
            with atomic_path(path) as tmp:
                fig.savefig(
                    tmp,
                    format=fmt,
                    dpi=DPI,
                    metadata=SAVE_METADATA[fmt],
                    bbox_inches="tight",
                    pad_inches=0.1,
                )
            written.append(path)
            logger.info("wrote %s", path)
    return written


def metric_bars(
    ax: Axes,
    metrics: list[str],
    values: Iterable[float],
    facts: Mapping[str, Mapping[str, Any]] | None,
    *,
    labels: Iterable[str],
    xlabel: str,
) -> None:
    """Horizontal bars, one per metric (top = first), in the metric's colour, value written at the end."""
    vals = [float(v) for v in values]
    ys = list(range(len(metrics)))
    ax.barh(ys, vals, color=[metric_color(m, facts) for m in metrics], height=0.7)
    for y, v, text in zip(ys, vals, labels, strict=True):
        ax.text(v, y, f" {text}", va="center", ha="left", fontsize=8)
    ax.set_yticks(ys, [metric_name(m, facts) for m in metrics])
    ax.set_ylim(len(metrics) - 0.5, -0.5)
    ax.set_xlim(0, max(vals + [0.0]) * 1.25 or 1.0)
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)


def plot_curve(ax: Axes, x: Iterable[float], y: Iterable[float], *, color: str, label: str | None = None) -> None:
    """One scaling curve: points joined by lines, in the given colour."""
    ax.plot(list(x), list(y), marker="o", markersize=3.5, linewidth=1.4, color=color, label=label)
