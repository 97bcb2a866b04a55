rule partition_search:
    input:
        unpack(get_train_input),
    output:
        search="results/search/{system}/{method}.nc",
    log:
        "logs/partition_search/{system}/{method}.log",
    benchmark:
        "results/benchmarks/partition_search/{system}/{method}.tsv"
    conda:
        "../envs/learning.yaml"
    params:
        learner=get_learner,
        hyperparameters=get_hyperparameters,
        grid=lambda w: search_grid(w.system, w.method),
        seed=lambda w: derive_seed(config["seed"], "partition_search", w.system),
    script:
        "../scripts/partition_search.py"
