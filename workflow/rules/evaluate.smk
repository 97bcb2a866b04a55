rule evaluate:
    input:
        model="results/models/{system}/{method}.pt",
        test="results/data/{system}/test.nc",
    output:
        evaluation="results/eval/{system}/{method}.nc",
    log:
        "logs/evaluate/{system}/{method}.log",
    benchmark:
        "results/benchmarks/evaluate/{system}/{method}.tsv"
    conda:
        "../envs/learning.yaml"
    params:
        step=lookup(dpath="systems/{system}/evaluation/step", within=config),
    script:
        "../scripts/evaluate.py"
