"""Rule scripts of workflow/rules/emergence.smk (one script per rule, named after it)."""
