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
    params:
        settings=lookup(dpath="integrator_drift/{system}", within=config),
    script:
        "../scripts/integrator_drift.py"
