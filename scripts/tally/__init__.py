"""Rule scripts of workflow/rules/tally.smk (one script per rule, named after it)."""
