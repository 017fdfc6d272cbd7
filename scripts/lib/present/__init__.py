"""How results are shown: figure style, metric names and sentences, LaTeX tables, the report index
and the README's rule graph.

Presentation may read `stats/` (a caption may quote a statistic's definition) but never computes
one; nothing in `stats/` or `sources/` imports it.
"""
