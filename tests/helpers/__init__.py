"""Test helpers: the snakemake CLI runner, corpus factories and the loopback GitHub mirror."""
