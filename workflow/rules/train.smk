rule train:
    input:
        unpack(get_train_input),
    output:
        model="results/models/{system}/{method}.pt",
    log:
        "logs/train/{system}/{method}.log",
    benchmark:
        "results/benchmarks/train/{system}/{method}.tsv"
    conda:
        "../envs/learning.yaml"
    params:
        hyperparameters=lookup(dpath="methods/{method}", within=config),
        seed=get_train_seed,
    script:
        "../scripts/train.py"
