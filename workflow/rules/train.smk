rule train:
    input:
        unpack(get_train_input),
    output:
        model="results/models/{system}/{method}/seed{seed}.pt",
    log:
        "logs/train/{system}/{method}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train/{system}/{method}/seed{seed}.tsv"
    conda:
        "../envs/learning.yaml"
    params:
        learner=get_learner,
        hyperparameters=get_hyperparameters,
        seed=get_train_seed,
    script:
        "../scripts/train.py"
