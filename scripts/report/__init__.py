"""Rule scripts of workflow/rules/report.smk (one script per rule, named after it)."""
