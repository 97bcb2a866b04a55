rule collect:
    input:
        unpack(get_collect_input),
    output:
        collected="results/collected/{system}.nc",
    log:
        "logs/collect/{system}.log",
    benchmark:
        "results/benchmarks/collect/{system}.tsv"
    conda:
        "../envs/plotting.yaml"
    params:
        evals=get_collect_evals,
        styles=get_styles,
        learners=get_learners,
        settings=get_settings,
    script:
        "../scripts/collect.py"
