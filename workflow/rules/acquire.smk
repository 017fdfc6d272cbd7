# Getting the files each source reads (the table of sources, scripts/lib/sources/table.py, says which
# rules a source uses): BIG-bench's scores files (a synthetic snapshot, a clone or a download), the
# pinned real extracts, or lm-evaluation-harness results.


if uses("synthesize_sample"):

    rule synthesize_sample:
        input:
            task_metadata=config["task_metadata"],
            annotations=config["annotations"],
            lib=lib_inputs("acquire/synthesize_sample"),
        output:
            snapshot=directory(SNAPSHOT),
        log:
            f"results/{RUN}/logs/synthesize_sample.log",
        benchmark:
            f"results/{RUN}/benchmarks/synthesize_sample.tsv"
        conda:
            "../../environment.yml"
        params:
            scale=config["sample"]["scale"],
            seed=config["sample"]["seed"],
        script:
            "../../scripts/acquire/synthesize_sample.py"


if uses("list_files"):

    rule list_files:
        input:
            snapshot=SNAPSHOT,
            lib=lib_inputs("acquire/list_files"),
        output:
            manifest=f"results/{RUN}/manifest.csv",
        log:
            f"results/{RUN}/logs/list_files.log",
        benchmark:
            f"results/{RUN}/benchmarks/list_files.tsv"
        conda:
            "../../environment.yml"
        script:
            "../../scripts/acquire/list_files.py"


if uses("download_files"):

    rule download_files:
        input:
            lib=lib_inputs("acquire/download_files"),
        output:
            manifest=f"results/{RUN}/manifest.csv",
        log:
            f"results/{RUN}/logs/download_files.log",
        benchmark:
            f"results/{RUN}/benchmarks/download_files.tsv"
        retries: 2
        conda:
            "../../environment.yml"
        params:
            repo=config["github"]["repo"],
            commit=COMMIT,
            api_url=config["github"]["api_url"],
            raw_url=config["github"]["raw_url"],
            workers=config["github"]["workers"],
            timeout_s=config["github"]["timeout_s"],
            retries=config["github"]["retries"],
            cache=SNAPSHOT,
        script:
            "../../scripts/acquire/download_files.py"


if uses("fetch_extracts"):

    # extracts.path is the download cache: fetch each pinned file from GitHub (verified).
    rule fetch_extracts:
        input:
            lib=lib_inputs("acquire/fetch_extracts"),
        output:
            files=EXTRACT_FILES,
        log:
            f"results/{RUN}/logs/fetch_extracts.log",
        benchmark:
            f"results/{RUN}/benchmarks/fetch_extracts.tsv"
        conda:
            "../../environment.yml"
        params:
            use=EXTRACTS_USE,
            raw_url=config["github"]["raw_url"],
            timeout_s=config["github"]["timeout_s"],
            retries=config["github"]["retries"],
        script:
            "../../scripts/acquire/fetch_extracts.py"


if uses("fetch_lm_eval"):

    # lm_eval.path is the download cache: fetch lm_eval.github's files (verified, resumable).
    rule fetch_lm_eval:
        input:
            lib=lib_inputs("acquire/fetch_lm_eval"),
        output:
            listing=f"{SNAPSHOT}/.download.csv",
        log:
            f"results/{RUN}/logs/fetch_lm_eval.log",
        benchmark:
            f"results/{RUN}/benchmarks/fetch_lm_eval.tsv"
        conda:
            "../../environment.yml"
        params:
            repo=config["lm_eval"]["github"]["repo"],
            commit=config["lm_eval"]["github"]["commit"],
            patterns=config["lm_eval"]["github"]["patterns"],
            api_url=config["github"]["api_url"],
            raw_url=config["github"]["raw_url"],
            workers=config["github"]["workers"],
            timeout_s=config["github"]["timeout_s"],
            retries=config["github"]["retries"],
        script:
            "../../scripts/acquire/fetch_lm_eval.py"
