rule evaluate:
    input:
        model=get_model,
        test="results/data/{system}/test.nc",
    output:
        evaluation="results/eval/{system}/{method}/seed{seed}.nc",
    log:
        "logs/evaluate/{system}/{method}/seed{seed}.log",
    benchmark:
        "results/benchmarks/evaluate/{system}/{method}/seed{seed}.tsv"
    conda:
        "../envs/learning.yaml"
    threads: get_threads("evaluate")
    resources:
        **get_resources("evaluate"),
    params:
        system=get_system,
        step=lookup(dpath="systems/{system}/evaluation/step", within=config),
        noise=lookup(dpath="systems/{system}/evaluation/noise", within=config),
        divergence_bound=lookup(
            dpath="systems/{system}/evaluation/divergence_bound", within=config
        ),
        seed=get_evaluate_seed,
        prediction=get_prediction,
        learner=get_learner,
        hyperparameters=get_hyperparameters,
        entry="{method}",
        device=config["device"],
    script:
        "../scripts/evaluate.py"
