"""Rule scripts of workflow/rules/verdicts.smk (one script per rule, named after it)."""
