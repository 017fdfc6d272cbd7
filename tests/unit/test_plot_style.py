"""The frozen figure theme: what seaborn would have set, without importing seaborn in every figure job."""

from pathlib import Path

import seaborn as sns

from scripts.lib.present.plot_style import STYLE_RC, THEME_RC


def test_frozen_theme_is_seaborn_whitegrid_paper() -> None:
    """A seaborn upgrade that changes the theme fails here instead of silently changing every figure."""
    expected = {**sns.axes_style("whitegrid"), **sns.plotting_context("paper", font_scale=1.1)}
    expected.pop("image.cmap")  # seaborn's own "rocket" map; every image in scripts/ names its colormap
    assert THEME_RC == expected


def test_style_keeps_the_fixed_output_settings_over_the_theme() -> None:
    assert STYLE_RC["axes.titlesize"] == 10  # ours, not the theme's 10.56
    assert STYLE_RC["svg.hashsalt"] == "bigbench-emergence"
    assert {k: v for k, v in STYLE_RC.items() if k in THEME_RC and k != "axes.titlesize"} == {
        k: v for k, v in THEME_RC.items() if k != "axes.titlesize"
    }


def test_no_figure_script_imports_seaborn() -> None:
    """The point of freezing the theme: figure jobs start without seaborn (and the scipy.stats it pulls in)."""
    root = Path(__file__).resolve().parents[2] / "scripts"
    importers = [p for p in root.rglob("*.py") if "import seaborn" in p.read_text() or "from seaborn" in p.read_text()]
    assert importers == []
