"""Real third-party extracts of BIG-bench scores: the registry, one adapter per extract, one schema check.

docs/extracts.md describes every entry; scripts/parse/extracts_source.py is the rule that runs them.
"""
