"""Rule scripts of workflow/rules/parse.smk (one script per rule, named after it)."""
