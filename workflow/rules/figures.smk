rule figure_energy:
    input:
        unpack(get_figure_input),
    output:
        figure=report(
            "results/figs/{system}_energy.pdf",
            caption="../report/energy.rst",
            category="Figures",
            subcategory="{system}",
        ),
    log:
        "logs/figure_energy/{system}.log",
    benchmark:
        "results/benchmarks/figure_energy/{system}.tsv"
    conda:
        "../envs/plotting.yaml"
    params:
        metric="energy_error",
    script:
        "../scripts/plot_metric.py"


use rule figure_energy as figure_mse with:
    output:
        figure=report(
            "results/figs/{system}_mse.pdf",
            caption="../report/mse.rst",
            category="Figures",
            subcategory="{system}",
        ),
    log:
        "logs/figure_mse/{system}.log",
    benchmark:
        "results/benchmarks/figure_mse/{system}.tsv"
    params:
        metric="mse",


rule figure_integrator_drift:
    input:
        drift="results/drift/{system}.nc",
    output:
        figure=report(
            "results/figs/{system}_integrator_drift.pdf",
            caption="../report/integrator_drift.rst",
            category="Figures",
            subcategory="{system}",
        ),
    log:
        "logs/figure_integrator_drift/{system}.log",
    benchmark:
        "results/benchmarks/figure_integrator_drift/{system}.tsv"
    conda:
        "../envs/plotting.yaml"
    script:
        "../scripts/plot_drift.py"
