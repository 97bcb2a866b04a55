rule train:
    input:
        unpack(get_train_input),
    output:
        model="results/models/{system}/{method}/seed{seed}.pt",
    log:
        "logs/train/{system}/{method}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train/{system}/{method}/seed{seed}.tsv"
    wildcard_constraints:
        method=PLAN.method_constraint("train"),
    conda:
        "../envs/learning.yaml"
    threads: get_threads("train")
    resources:
        **get_resources("train"),
    params:
        system=get_system,
        learner=get_learner,
        hyperparameters=get_hyperparameters,
        seed=get_train_seed,
        device=config["device"],
        checkpoint=get_checkpoint,
    script:
        "../scripts/train.py"
