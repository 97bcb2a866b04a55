"""The scale line of every figure and table (issue 21): config files, seeds, sizes,
budget, and whether the sizes are config.yaml's own."""

import pandas as pd

from hampipe.plan import Plan, Scale, load_config
from hampipe.plotting.tables import save_table
from tests.helpers import ROOT

SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"
PAPER = Plan.from_config(load_config(root=ROOT), SCHEMA)
QUICK = Plan.from_config(load_config("config.yaml", "config.quick.yaml", root=ROOT), SCHEMA)


def test_the_quick_run_says_it_is_not_the_papers_scale():
    scale = Scale(QUICK, ("config.yaml", "config.quick.yaml"), PAPER)
    note = scale.note("three_body")
    assert note.startswith("1 seed · ")
    assert scale.files_line() == "config.yaml + config.quick.yaml"
    assert "40 training trajectories × 30 points" in note and "width 32" in note
    assert note.endswith("not the paper's scale")
    assert scale.note().endswith("not the paper's scale")  # the tables' line


def test_the_papers_config_says_it_is():
    note = Scale(PAPER, ("config.yaml",), PAPER).note("three_body")
    assert note.endswith(" · the paper's scale") and "3 seeds" in note
    # an overlay that changes no size (here: a label) keeps it the paper's scale
    relabelled = load_config(
        root=ROOT, overrides={"presentation": {"labels": {"sann": "SANN (ours)"}}}
    )
    same = Scale(Plan.from_config(relabelled, SCHEMA), ("config.yaml", "my.yaml"), PAPER)
    assert same.note("three_body").endswith(" · the paper's scale")
    # one size changed is enough
    smaller = load_config(root=ROOT, overrides={"methods": {"hnn": {"epochs": 10}}})
    fewer = Scale(Plan.from_config(smaller, SCHEMA), ("config.yaml", "my.yaml"), PAPER)
    assert fewer.note("three_body").endswith("not the paper's scale")


def test_the_budget_says_early_stopping_with_its_patience_and_cap():
    # config.quick.yaml: one rule and one cap for every learner of a system
    assert "early stopping (patience 50) within 100 epochs" in Scale(QUICK, ()).note("three_body")
    raised = load_config(
        "config.yaml",
        "config.quick.yaml",
        root=ROOT,
        overrides={"methods": {"hnn": {"per_system": {"three_body": {"epochs": 300}}}}},
    )
    note = Scale(Plan.from_config(raised, SCHEMA), ("a.yaml",), PAPER).note("three_body")
    assert "early stopping (patience 50) within 100–300 epochs" in note
    fixed = load_config(
        "config.yaml",
        "config.quick.yaml",
        root=ROOT,
        overrides={"methods": {"hnn": {"patience": 0, "lr_schedule": "cosine"}}},
    )
    note = Scale(Plan.from_config(fixed, SCHEMA), ("a.yaml",), PAPER).note("three_body")
    assert "100 epochs, some with early stopping" in note
    assert Scale(PAPER, ()).note("three_body").endswith(" · 3000 epochs")  # fixed: the paper


def test_a_system_the_paper_does_not_have_makes_no_claim():
    scale = Scale(QUICK, ("config.yaml",), None)
    assert "paper" not in scale.note("three_body")


def test_the_markdown_copy_opens_with_the_scale_and_the_csv_stays_plain(tmp_path):
    path = save_table(pd.DataFrame({"a": [1.0]}), tmp_path / "t.csv", header="x · 1 seed")
    assert (tmp_path / "t.md").read_text().startswith("Scale: x · 1 seed\n\n|")
    assert path.read_text() == "a\n1.0\n"


def test_the_report_front_page_has_the_files_and_every_systems_line():
    scale = Scale(QUICK, ("config.yaml", "config.quick.yaml"), PAPER)
    page = scale.front_page()
    assert page["files"] == "config.yaml + config.quick.yaml"
    assert page["scale"] == scale.note()
    assert set(page["systems"]) == set(QUICK.config["experiments"])
    assert page["systems"]["billiard"] == scale.note("billiard")


def test_the_finished_message_says_where_the_outputs_are(tmp_path):
    scale = Scale(QUICK, ("config.yaml", "config.quick.yaml"), PAPER)
    outputs = QUICK.final_outputs()
    figures = [p for p in outputs if p.startswith("results/figs/")][:3]
    gif = next(p for p in outputs if p.endswith(".gif"))
    table = next(p for p in outputs if p.startswith("results/tables/") and p.endswith(".csv"))
    for path in (*figures, gif, table):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("")
    message = scale.finished(["config.quick.yaml"], root=tmp_path)
    assert message.startswith("hampipe: finished (config.yaml + config.quick.yaml: 1 seed")
    n_pdf = sum(not p.endswith(".gif") for p in figures)
    assert f"results/figs/: {n_pdf} figures" in message and "1 animation (GIF)" in message
    name = table.split("/")[-1][: -len(".csv")]
    assert f"results/tables/: {name} (CSV, Markdown and HTML)" in message
    assert message.endswith("snakemake --report results/report.html --configfile config.quick.yaml")
    # nothing made yet: only the report line
    assert "figures" not in scale.finished(root=tmp_path / "empty")


def test_the_front_page_lists_methods_and_the_summary_once_written(tmp_path):
    scale = Scale(QUICK, ("config.yaml", "config.quick.yaml"), PAPER)
    page = scale.front_page(root=tmp_path)
    assert page["methods"]["billiard"][:3] == ["HNN", "SRNN", "SANN"] and page["summary"] == {}
    table = tmp_path / "results/tables/summary.csv"
    table.parent.mkdir(parents=True)
    table.write_text(
        "system,method,label,seeds,energy_error,energy_error_std,last_step_mse,"
        "last_step_mse_std,epochs_run,converged\n"
        "billiard,sann,SANN,3,0.0010412,0.000201,0.0533,,673.3333,3\n"
    )
    rows = scale.front_page(root=tmp_path)["summary"]
    assert rows == {"billiard": [["SANN", "0.00104 ± 0.000201", "0.0533", "673", "3 of 3"]]}


def test_the_cost_line_counts_the_trainings_left_and_warns_at_the_papers_scale(tmp_path):
    quick = Scale(QUICK, ("config.yaml", "config.quick.yaml"), PAPER).cost(root=tmp_path)
    trainings = sum(
        len({QUICK.trained_as(m, s) for m in QUICK.listed(s)}) for s in QUICK.config["experiments"]
    )
    assert quick.startswith(
        f"hampipe: {trainings} of {trainings} trainings to run, estimated at most"
    )
    assert "warning" not in quick
    model = tmp_path / QUICK.model_file("three_body", "sann", 0)
    model.parent.mkdir(parents=True)
    model.write_bytes(b"")
    fewer = Scale(QUICK, (), PAPER).cost(root=tmp_path)
    assert fewer.startswith(f"hampipe: {trainings - 1} of {trainings} trainings")
    paper = Scale(PAPER, ("config.yaml",), PAPER).cost(root=tmp_path)
    assert "warning: spring, pendulum" in paper and "days on the CPU" in paper
    assert "--configfile config.quick.yaml" in paper and "device: cuda" in paper
