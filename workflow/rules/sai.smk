rule sai:
    input:
        train="results/data/{system}/train.nc",
    output:
        sai="results/sai/{system}.nc",
    log:
        "logs/sai/{system}.log",
    benchmark:
        "results/benchmarks/sai/{system}.tsv"
    conda:
        "../envs/simulation.yaml"
    threads: get_threads("sai")
    resources:
        **get_resources("sai"),
    params:
        system=get_system,
    script:
        "../scripts/sai.py"
