"""Which outputs of a workflow are declared with report(): the run README and the report list the same files.

Called at DAG-build time from workflow/rules/run_readme.smk (included last, so every rule is defined).
Reading the declarations, not a hard-coded list, keeps the run README in step when a rule is added.
"""

from collections.abc import Iterable
from typing import Any

from snakemake.io import get_flag_value, is_flagged


def report_outputs(rules: Iterable[Any]) -> list[dict[str, str]]:
    """One record per report() output of `rules`: path, caption (.rst path), category, subcategory.

    Outputs with wildcards are left out: they name no single file that a README could list.
    Sorted like the Snakemake report sorts them (category, subcategory, path).
    """
    records = []
    for rule in rules:
        for item in rule.output:
            if not is_flagged(item, "report") or "{" in str(item):
                continue
            flag = get_flag_value(item, "report")
            caption = flag.caption.get_path_or_uri(secret_free=True) if flag.caption is not None else ""
            records.append(
                {
                    "path": str(item),
                    "caption": str(caption),
                    "category": flag.category or "Other",
                    "subcategory": flag.subcategory or "Other",
                }
            )
    return sorted(records, key=lambda r: (r["category"].lower(), r["subcategory"].lower(), r["path"]))
