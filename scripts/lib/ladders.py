"""The real model ladders of BIG-bench's families (docs/bigbench-format.md §3, "Model families"):
(model_name, non_embedding_params) as the upstream results files state them.

One copy, used by the synthetic sample, the calibration study and the real extracts' size maps.
"""

# (model_name, non_embedding_params) of the real BIG-G dense ladder (docs/bigbench-format.md §3).
BIG_G = [
    ("2m", 2098048),
    ("16m", 16780288),
    ("53m", 56629632),
    ("125m", 134228992),
    ("244m", 262161280),
    ("422m", 453009408),
    ("1b", 1073784832),
    ("2b", 2097218560),
    ("4b", 3623973888),
    ("8b", 8590102528),
    ("27b", 28991404032),
    ("128b", 137440272384),
]


GPT = [
    ("GPT-3 Small", 85e6),
    ("GPT-3 Medium", 302e6),
    ("GPT-3 Large", 708e6),
    ("GPT-3 XL", 1.21e9),
    ("GPT-3 2.7B", 2.55e9),
    ("GPT-3 6.7B", 6.41e9),
    ("GPT-3 13B", 12.6e9),
    ("GPT-3 200B", 174.6e9),
]


# PaLM 8B, 62B, 540B (Chowdhery et al. 2022, "PaLM: Scaling Language Modeling with Pathways"), under
# BIG-bench's file names (docs/bigbench-format.md §3); 3 sizes 0.86 and 0.94 decades apart.
PALM = [("8b", 8.6e9), ("64b", 62.5e9), ("535b", 540e9)]
