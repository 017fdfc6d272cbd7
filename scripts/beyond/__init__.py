"""Rule scripts of workflow/rules/beyond.smk (one script per rule, named after it)."""
