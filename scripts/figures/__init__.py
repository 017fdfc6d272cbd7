"""Rule scripts of workflow/rules/figures.smk (one script per rule, named after it)."""
