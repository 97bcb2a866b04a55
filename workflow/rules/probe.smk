rule probe:
    input:
        model=get_model,
    output:
        probe="results/probe/{system}/{method}/{kind}/seed{seed}.nc",
    log:
        "logs/probe/{system}/{method}/{kind}/seed{seed}.log",
    benchmark:
        "results/benchmarks/probe/{system}/{method}/{kind}/seed{seed}.tsv"
    conda:
        "../envs/learning.yaml"
    threads: get_threads("probe")
    resources:
        **get_resources("probe"),
    params:
        system=get_system,
        options=get_probe_options,
        learner=get_learner,
        hyperparameters=get_hyperparameters,
    script:
        "../scripts/probe.py"
