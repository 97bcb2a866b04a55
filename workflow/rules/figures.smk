# One rule per figure spec (hampipe.plan.outputs.FIGURES): figure_<name> draws the
# FIGURES entry of hampipe.plotting into a PDF with a PNG and the plotted numbers as CSV
# beside it, or an animation into a GIF with an HTML page showing it. The report shows
# the PNG and the page (browsers show neither a PDF nor a GIF inline there; the PDF is for
# papers). Figures only read and draw: local rules.


for spec in FIGURES.values():
    if spec.animation:

        rule:
            name:
                f"figure_{spec.name}"
            input:
                unpack(get_figure_input(spec.name)),
            output:
                animation=spec.path(),
                page=report(
                    f"{spec.stem}.html",
                    caption=f"../report/{spec.caption or spec.name}.rst",
                    category="Figures",
                    subcategory="{system}",
                ),
            log:
                spec.log,
            benchmark:
                spec.benchmark
            localrule: True
            conda:
                "../envs/plotting.yaml"
            threads: get_threads(f"figure_{spec.name}")
            resources:
                **get_resources(f"figure_{spec.name}"),
            params:
                options=get_figure_options(spec.name),
                scale=get_scale,
            script:
                "../scripts/animate.py"

    else:

        rule:
            name:
                f"figure_{spec.name}"
            input:
                unpack(get_figure_input(spec.name)),
            output:
                figure=f"{spec.stem}.pdf",
                png=report(
                    f"{spec.stem}.png",
                    caption=f"../report/{spec.caption or spec.name}.rst",
                    category="Figures",
                    subcategory="{system}" if spec.per_system else "all systems",
                ),
                csv=f"{spec.stem}.csv",
            log:
                spec.log,
            benchmark:
                spec.benchmark
            localrule: True
            conda:
                "../envs/plotting.yaml"
            threads: get_threads("figure")
            resources:
                **get_resources("figure"),
            params:
                figure=spec.function,
                options=get_figure_options(spec.name),
                scale=get_scale,
            script:
                "../scripts/figure.py"
