"""The statistics of emergence, on curves whatever their source.

The emergence score and its screen (`emergence`), each point's sampling noise (`noise`), the
smooth and bounded fits of the null (`smooth_fit`), the sharpness test (`sharpness`), the
unpredictability backtest (`backtest`) and its metric map (`metric_map`), the permutation trend
test (`trend`), Holm and Benjamini-Hochberg adjustments (`multiplicity`), the metric tallies
(`tally`) and the per-curve verdicts (`verdict_curves`). Pure functions over numpy arrays and data
frames; the methods are derived in docs/statistics.md, not in docstrings. Never imports
`sources/`.
"""
