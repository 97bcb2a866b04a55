# Every seed of one methods entry on one system in one job, as a vectorised ensemble
# (hampipe.training.train_ensemble_to_files), for the entries with `ensemble: true` on
# that system; each seed's model file is the one a train job would write. The method
# constraints of this rule and of train split the model files between them.


rule train_ensemble:
    input:
        unpack(get_train_input),
    output:
        models=expand(
            "results/models/{{system}}/{{method}}/seed{seed}.pt",
            seed=range(config["seeds"]),
        ),
    log:
        "logs/train_ensemble/{system}/{method}.log",
    benchmark:
        "results/benchmarks/train_ensemble/{system}/{method}.tsv"
    wildcard_constraints:
        method=PLAN.method_constraint("train_ensemble"),
    conda:
        "../envs/learning.yaml"
    threads: get_threads("train_ensemble")
    resources:
        **get_resources("train_ensemble"),
    params:
        system=get_system,
        learner=get_learner,
        hyperparameters=get_hyperparameters,
        seeds=get_train_seeds,
        device=config["device"],
        checkpoint=get_checkpoint,
    script:
        "../scripts/train_ensemble.py"
