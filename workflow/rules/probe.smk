rule probe:
    input:
        model="results/models/{system}/{method}/seed{seed}.pt",
        data="results/data/{system}/train.nc",
    output:
        probe="results/probe/{system}/{method}/{kind}/seed{seed}.nc",
    log:
        "logs/probe/{system}/{method}/{kind}/seed{seed}.log",
    benchmark:
        "results/benchmarks/probe/{system}/{method}/{kind}/seed{seed}.tsv"
    conda:
        "../envs/learning.yaml"
    params:
        options=lambda w: probe_options(w.kind),
    script:
        "../scripts/probe.py"
