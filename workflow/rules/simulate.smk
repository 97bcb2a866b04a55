rule simulate:
    output:
        data="results/data/{system}/{split}.nc",
    log:
        "logs/simulate/{system}/{split}.log",
    benchmark:
        "results/benchmarks/simulate/{system}/{split}.tsv"
    conda:
        "../envs/simulation.yaml"
    threads: get_threads("simulate")
    resources:
        **get_resources("simulate"),
    params:
        name=get_system_name,
        parameters=lookup(
            dpath="systems/{system}/parameters", within=config, default={}
        ),
        initial_state=get_initial_state,
        dt=lookup(dpath="systems/{system}/dt", within=config),
        n_trajectories=lookup(
            dpath="systems/{system}/trajectories/{split}", within=config
        ),
        n_steps=lookup(dpath="systems/{system}/steps/{split}", within=config),
        ground_truth=lookup(dpath="systems/{system}/ground_truth", within=config),
        seed=get_simulate_seed,
        definition=get_system_definition,
    script:
        "../scripts/simulate.py"
