"""Rule scripts of workflow/rules/acquire.smk (one script per rule, named after it)."""
