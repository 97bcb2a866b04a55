# One rule per table of hampipe.plotting.TABLES: CSV, and Markdown beside it.


localrules:
    table_summary,
    table_ablation,
    table_inseparable,
    table_partition_search,


rule table_summary:
    input:
        unpack(lambda w: table_input("summary")),
    output:
        table=report(
            "results/tables/summary.csv",
            caption="../report/table_summary.rst",
            category="Tables",
        ),
        markdown="results/tables/summary.md",
    log:
        "logs/table_summary.log",
    benchmark:
        "results/benchmarks/table_summary.tsv"
    conda:
        "../envs/plotting.yaml"
    threads: get_threads("table")
    resources:
        **get_resources("table"),
    params:
        table="summary",
        options=lambda w: table_options("summary"),
    script:
        "../scripts/table.py"


use rule table_summary as table_ablation with:
    input:
        unpack(lambda w: table_input("ablation")),
    output:
        table=report(
            "results/tables/ablation.csv",
            caption="../report/table_ablation.rst",
            category="Tables",
        ),
        markdown="results/tables/ablation.md",
    log:
        "logs/table_ablation.log",
    benchmark:
        "results/benchmarks/table_ablation.tsv"
    params:
        table="ablation",
        options=lambda w: table_options("ablation"),


use rule table_summary as table_inseparable with:
    input:
        unpack(lambda w: table_input("inseparable")),
    output:
        table=report(
            "results/tables/inseparable.csv",
            caption="../report/table_inseparable.rst",
            category="Tables",
        ),
        markdown="results/tables/inseparable.md",
    log:
        "logs/table_inseparable.log",
    benchmark:
        "results/benchmarks/table_inseparable.tsv"
    params:
        table="inseparable",
        options=lambda w: table_options("inseparable"),


use rule table_summary as table_partition_search with:
    input:
        unpack(lambda w: table_input("partition_search")),
    output:
        table=report(
            "results/tables/partition_search.csv",
            caption="../report/table_partition_search.rst",
            category="Tables",
        ),
        markdown="results/tables/partition_search.md",
    log:
        "logs/table_partition_search.log",
    benchmark:
        "results/benchmarks/table_partition_search.tsv"
    params:
        table="partition_search",
        options=lambda w: table_options("partition_search"),
