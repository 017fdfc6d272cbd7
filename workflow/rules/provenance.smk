# What a run read and with what (docs/design.md §7).


rule provenance:
    input:
        manifest=f"results/{RUN}/manifest.csv",
        lib=lib_inputs("report/provenance"),
    output:
        provenance_json=report(
            f"results/{RUN}/provenance.json",
            caption="../report/provenance.rst",
            category=REPORT["provenance"],
        ),
    log:
        f"results/{RUN}/logs/provenance.log",
    benchmark:
        f"results/{RUN}/benchmarks/provenance.tsv"
    conda:
        "../../environment.yml"
    params:
        source=config["source"],
        repo=config["github"]["repo"],
        commit=COMMIT,
        config=config,
        label=DATA_LABEL,
        pipeline_version=PIPELINE_VERSION,
    script:
        "../../scripts/report/provenance.py"


ALL_TARGETS += [f"results/{RUN}/provenance.json"]
