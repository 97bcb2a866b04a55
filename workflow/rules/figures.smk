# One rule per figure; each draws a hampipe.plotting.FIGURES entry (params.figure) into
# a PDF, with a PNG and the plotted numbers as CSV beside it.


localrules:
    figure_energy,
    figure_mse,
    figure_activations,
    figure_resampling,
    figure_integrator_drift,
    figure_sai_si,
    figure_sai_percentiles,
    figure_sai_translation,
    figure_billiard_potential,
    figure_orbits,
    figure_energy_heatmap,
    figure_valid_prediction_time,
    figure_animation,
    figure_noise,
    figure_epochs,
    figure_learned_potential,
    figure_meshgrid_error,


rule figure_energy:
    input:
        collected=get_collected("learners"),
    output:
        figure=report(
            "results/figs/{system}_energy.pdf",
            caption="../report/energy.rst",
            category="Figures",
            subcategory="{system}",
        ),
        png="results/figs/{system}_energy.png",
        csv="results/figs/{system}_energy.csv",
    log:
        "logs/figure_energy/{system}.log",
    benchmark:
        "results/benchmarks/figure_energy/{system}.tsv"
    conda:
        "../envs/plotting.yaml"
    threads: get_threads("figure")
    resources:
        **get_resources("figure"),
    params:
        figure="energy",
        options=lambda w: {"methods": get_shown_methods(w)},
    script:
        "../scripts/figure.py"


use rule figure_energy as figure_mse with:
    output:
        figure=report(
            "results/figs/{system}_mse.pdf",
            caption="../report/mse.rst",
            category="Figures",
            subcategory="{system}",
        ),
        png="results/figs/{system}_mse.png",
        csv="results/figs/{system}_mse.csv",
    log:
        "logs/figure_mse/{system}.log",
    benchmark:
        "results/benchmarks/figure_mse/{system}.tsv"
    params:
        figure="mse",
        options=lambda w: {"methods": get_shown_methods(w)},


use rule figure_energy as figure_activations with:
    input:
        collected=get_collected("activation"),
    output:
        figure=report(
            "results/figs/{system}_activations.pdf",
            caption="../report/activations.rst",
            category="Figures",
            subcategory="{system}",
        ),
        png="results/figs/{system}_activations.png",
        csv="results/figs/{system}_activations.csv",
    log:
        "logs/figure_activations/{system}.log",
    benchmark:
        "results/benchmarks/figure_activations/{system}.tsv"
    params:
        figure="activations",
        options=lambda w: {"methods": get_family(w.system, "activation")},


use rule figure_energy as figure_resampling with:
    input:
        collected=get_collected("replication"),
    output:
        figure=report(
            "results/figs/{system}_resampling.pdf",
            caption="../report/resampling.rst",
            category="Figures",
            subcategory="{system}",
        ),
        png="results/figs/{system}_resampling.png",
        csv="results/figs/{system}_resampling.csv",
    log:
        "logs/figure_resampling/{system}.log",
    benchmark:
        "results/benchmarks/figure_resampling/{system}.tsv"
    params:
        figure="resampling",
        options=lambda w: {"methods": get_family(w.system, "replication")},


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
        png="results/figs/{system}_integrator_drift.png",
        csv="results/figs/{system}_integrator_drift.csv",
    log:
        "logs/figure_integrator_drift/{system}.log",
    benchmark:
        "results/benchmarks/figure_integrator_drift/{system}.tsv"
    conda:
        "../envs/plotting.yaml"
    threads: get_threads("figure")
    resources:
        **get_resources("figure"),
    params:
        figure="integrator_drift",
        options={},
    script:
        "../scripts/figure.py"


use rule figure_energy as figure_sai_si with:
    input:
        sai="results/sai/{system}.nc",
    output:
        figure=report(
            "results/figs/{system}_sai_si.pdf",
            caption="../report/sai_si.rst",
            category="Figures",
            subcategory="{system}",
        ),
        png="results/figs/{system}_sai_si.png",
        csv="results/figs/{system}_sai_si.csv",
    log:
        "logs/figure_sai_si/{system}.log",
    benchmark:
        "results/benchmarks/figure_sai_si/{system}.tsv"
    params:
        figure="sai_si",
        options=lambda w: {
            **stiffness_settings(w.system),
            "trajectory": config["figures"]["trajectory"],
        },


use rule figure_energy as figure_sai_percentiles with:
    input:
        sai="results/sai/{system}.nc",
    output:
        figure=report(
            "results/figs/{system}_sai_percentiles.pdf",
            caption="../report/sai_percentiles.rst",
            category="Figures",
            subcategory="{system}",
        ),
        png="results/figs/{system}_sai_percentiles.png",
        csv="results/figs/{system}_sai_percentiles.csv",
    log:
        "logs/figure_sai_percentiles/{system}.log",
    benchmark:
        "results/benchmarks/figure_sai_percentiles/{system}.tsv"
    params:
        figure="sai_percentiles",
        options={},


use rule figure_energy as figure_sai_translation with:
    input:
        data="results/data/{system}/train.nc",
    output:
        figure=report(
            "results/figs/{system}_sai_translation.pdf",
            caption="../report/sai_translation.rst",
            category="Figures",
            subcategory="{system}",
        ),
        png="results/figs/{system}_sai_translation.png",
        csv="results/figs/{system}_sai_translation.csv",
    log:
        "logs/figure_sai_translation/{system}.log",
    benchmark:
        "results/benchmarks/figure_sai_translation/{system}.tsv"
    params:
        figure="sai_translation",
        options=lambda w: {
            "gamma": stiffness_settings(w.system)["gamma"],
            "shifts": config["figures"]["sai_shifts"],
            "trajectory": config["figures"]["trajectory"],
            "seed": derive_seed(config["seed"], "sai_translation", w.system),
        },


use rule figure_energy as figure_billiard_potential with:
    input:
        data="results/data/billiard/train.nc",
    output:
        figure=report(
            "results/figs/billiard_potential.pdf",
            caption="../report/billiard_potential.rst",
            category="Figures",
            subcategory="billiard",
        ),
        png="results/figs/billiard_potential.png",
        csv="results/figs/billiard_potential.csv",
    log:
        "logs/figure_billiard_potential.log",
    benchmark:
        "results/benchmarks/figure_billiard_potential.tsv"
    params:
        figure="billiard_potential",
        options={},


use rule figure_energy as figure_orbits with:
    output:
        figure=report(
            "results/figs/{system}_orbits.pdf",
            caption="../report/orbits.rst",
            category="Figures",
            subcategory="{system}",
        ),
        png="results/figs/{system}_orbits.png",
        csv="results/figs/{system}_orbits.csv",
    log:
        "logs/figure_orbits/{system}.log",
    benchmark:
        "results/benchmarks/figure_orbits/{system}.tsv"
    params:
        figure="orbits",
        options=lambda w: {
            "methods": get_shown_methods(w),
            "trajectory": config["figures"]["trajectory"],
        },


use rule figure_energy as figure_energy_heatmap with:
    output:
        figure=report(
            "results/figs/{system}_energy_heatmap.pdf",
            caption="../report/energy_heatmap.rst",
            category="Figures",
            subcategory="{system}",
        ),
        png="results/figs/{system}_energy_heatmap.png",
        csv="results/figs/{system}_energy_heatmap.csv",
    log:
        "logs/figure_energy_heatmap/{system}.log",
    benchmark:
        "results/benchmarks/figure_energy_heatmap/{system}.tsv"
    params:
        figure="energy_heatmap",
        options=lambda w: {"method": get_shown_methods(w)[0]},


use rule figure_energy as figure_valid_prediction_time with:
    input:
        **{s: f"results/collected/{s}/learners.nc" for s in config["experiments"]},
    output:
        figure=report(
            "results/figs/valid_prediction_time.pdf",
            caption="../report/valid_prediction_time.rst",
            category="Figures",
            subcategory="all systems",
        ),
        png="results/figs/valid_prediction_time.png",
        csv="results/figs/valid_prediction_time.csv",
    log:
        "logs/figure_valid_prediction_time.log",
    benchmark:
        "results/benchmarks/figure_valid_prediction_time.tsv"
    params:
        figure="valid_prediction_time",
        options={
            "threshold": config["figures"]["valid_prediction_threshold"],
            "methods": {s: shown_methods(s) for s in config["experiments"]},
        },


rule figure_animation:
    input:
        collected=get_collected("learners"),
    output:
        animation=report(
            "results/figs/{system}_orbits.gif",
            caption="../report/animation.rst",
            category="Figures",
            subcategory="{system}",
        ),
    log:
        "logs/figure_animation/{system}.log",
    benchmark:
        "results/benchmarks/figure_animation/{system}.tsv"
    conda:
        "../envs/plotting.yaml"
    threads: get_threads("figure_animation")
    resources:
        **get_resources("figure_animation"),
    params:
        methods=lambda w: get_shown_methods(w),
        trajectory=config["figures"]["trajectory"],
        frames=config["figures"]["animation_frames"],
    script:
        "../scripts/animate.py"


use rule figure_energy as figure_noise with:
    input:
        collected=get_collected("noise"),
    output:
        figure=report(
            "results/figs/{system}_noise.pdf",
            caption="../report/noise.rst",
            category="Figures",
            subcategory="{system}",
        ),
        png="results/figs/{system}_noise.png",
        csv="results/figs/{system}_noise.csv",
    log:
        "logs/figure_noise/{system}.log",
    benchmark:
        "results/benchmarks/figure_noise/{system}.tsv"
    params:
        figure="noise",
        options=lambda w: {"methods": selection_methods(w.system, "noise")},


use rule figure_energy as figure_epochs with:
    input:
        collected=get_collected("epochs"),
    output:
        figure=report(
            "results/figs/{system}_epochs.pdf",
            caption="../report/epochs.rst",
            category="Figures",
            subcategory="{system}",
        ),
        png="results/figs/{system}_epochs.png",
        csv="results/figs/{system}_epochs.csv",
    log:
        "logs/figure_epochs/{system}.log",
    benchmark:
        "results/benchmarks/figure_epochs/{system}.tsv"
    params:
        figure="epochs",
        options=lambda w: {"methods": selection_methods(w.system, "epochs")},


use rule figure_energy as figure_learned_potential with:
    input:
        unpack(get_probes("potential")),
    output:
        figure=report(
            "results/figs/{system}_learned_potential.pdf",
            caption="../report/learned_potential.rst",
            category="Figures",
            subcategory="{system}",
        ),
        png="results/figs/{system}_learned_potential.png",
        csv="results/figs/{system}_learned_potential.csv",
    log:
        "logs/figure_learned_potential/{system}.log",
    benchmark:
        "results/benchmarks/figure_learned_potential/{system}.tsv"
    params:
        figure="learned_potential",
        options=lambda w: {"styles": get_probe_styles("potential")(w)},


use rule figure_energy as figure_meshgrid_error with:
    input:
        unpack(get_probes("field")),
    output:
        figure=report(
            "results/figs/{system}_meshgrid_error.pdf",
            caption="../report/meshgrid_error.rst",
            category="Figures",
            subcategory="{system}",
        ),
        png="results/figs/{system}_meshgrid_error.png",
        csv="results/figs/{system}_meshgrid_error.csv",
    log:
        "logs/figure_meshgrid_error/{system}.log",
    benchmark:
        "results/benchmarks/figure_meshgrid_error/{system}.tsv"
    params:
        figure="meshgrid_error",
        options=lambda w: {
            "styles": get_probe_styles("field")(w),
            "tolerances": config["figures"]["meshgrid_tolerances"],
        },
