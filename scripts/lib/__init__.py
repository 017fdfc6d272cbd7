"""Code that more than one rule uses. Never imports a rule script (tests/unit/test_layout.py)."""
