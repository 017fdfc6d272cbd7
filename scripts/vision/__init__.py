"""Rule scripts of workflow/rules/vision.smk (one script per rule, named after it)."""
