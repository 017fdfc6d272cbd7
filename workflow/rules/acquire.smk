# Getting the scores files: every source ends in results/<run>/manifest.csv (path, size, sha256)
# over a snapshot folder (SNAPSHOT) that holds bigbench/benchmark_tasks/<task>/results/.


if config["source"] == "sample":

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


if config["source"] in ("sample", "local"):

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


if config["source"] == "github":

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
