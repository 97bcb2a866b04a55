rule integrator_drift:
    input:
        test="results/data/{system}/test.nc",
    output:
        drift="results/drift/{system}.nc",
    log:
        "logs/integrator_drift/{system}.log",
    benchmark:
        "results/benchmarks/integrator_drift/{system}.tsv"
    conda:
        "../envs/simulation.yaml"
    threads: get_threads("integrator_drift")
    resources:
        **get_resources("integrator_drift"),
    params:
        system=get_system,
        settings=lookup(dpath="integrator_drift/{system}", within=config),
    script:
        "../scripts/integrator_drift.py"
