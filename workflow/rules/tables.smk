# One rule per table spec (hampipe.plan.outputs.TABLES): table_<name> writes the TABLES
# entry of hampipe.plotting as CSV, with Markdown and HTML (what the report shows) beside
# it. Local rules.


for spec in TABLES.values():

    rule:
        name:
            f"table_{spec.name}"
        input:
            unpack(get_table_input(spec.name)),
        output:
            table=f"results/tables/{spec.name}.csv",
            markdown=f"results/tables/{spec.name}.md",
            html=report(
                f"results/tables/{spec.name}.html",
                caption=f"../report/table_{spec.name}.rst",
                category="Tables",
            ),
        log:
            f"logs/table_{spec.name}.log",
        benchmark:
            f"results/benchmarks/table_{spec.name}.tsv"
        localrule: True
        conda:
            "../envs/plotting.yaml"
        threads: get_threads("table")
        resources:
            **get_resources("table"),
        params:
            table=spec.name,
            options=get_table_options(spec.name),
            scale=get_scale,
        script:
            "../scripts/table.py"
