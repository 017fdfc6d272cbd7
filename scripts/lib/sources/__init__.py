"""Where scores come from: one reader per data source and the table that names them.

The table of sources (`table.py`) says, for each value of `config["source"]`, where its inputs
live, its run name and data label, its config checks and which rules apply. The readers turn one
kind of upstream file into the tidy scores table: BIG-bench's own layout (`bigbench_layout`,
`manifest`, the SYNTHETIC sample's quirks), the GitHub client that downloads it (`github/`), the
registry of real third-party extracts (`extracts/`), lm-evaluation-harness results
(`lm_eval_results`) and the vision models of Mirage Sec. 5 (`vision_models`). Nothing here
computes a statistic: `sources/` and `stats/` never import each other (docs/design.md §7).
"""
