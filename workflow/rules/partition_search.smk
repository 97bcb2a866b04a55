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
    threads: get_threads("partition_search")
    resources:
        **get_resources("partition_search"),
    params:
        learner=get_learner,
        hyperparameters=get_hyperparameters,
        grid=get_search_grid,
        seed=get_search_seed,
        device=config["device"],
    script:
        "../scripts/partition_search.py"
