rule collect:
    input:
        unpack(get_collect_input),
    output:
        collected="results/collected/{system}/{selection}.nc",
    log:
        "logs/collect/{system}/{selection}.log",
    benchmark:
        "results/benchmarks/collect/{system}/{selection}.tsv"
    conda:
        "../envs/plotting.yaml"
    threads: get_threads("collect")
    resources:
        **get_resources("collect"),
    params:
        evals=get_collect_evals,
        styles=get_styles,
        learners=get_learners,
        settings=get_settings,
    script:
        "../scripts/collect.py"
