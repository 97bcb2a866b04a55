rule train:
    input:
        unpack(get_train_input),
    output:
        model="results/models/{system}/{method}.pt",
    log:
        "logs/train/{system}/{method}.log",
    benchmark:
        "results/benchmarks/train/{system}/{method}.tsv"
    params:
        hyperparameters=lookup(dpath="methods/{method}", within=config),
        seed=get_train_seed,
    conda:
        "../envs/learning.yaml"
    script:
        "../scripts/train.py"
