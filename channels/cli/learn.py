"""`madoguchi learn`: a city's labelled questions become paraphrases and a refitted model, behind a guard."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Column, Table

from channels.cli.render import out
from channels.cli.settings import settings_with

if TYPE_CHECKING:
    from bot.learning.loop import LearnRun

SHOWN = ("hit@1", "hit@3", "hit@10", "mrr@10", "answered_right", "clarified_right", "wrong_answer",
         "escalated_when_unanswerable")


def scores_table(run: LearnRun) -> Table:
    """Before/after on questions nothing learned from: one column per candidate."""
    from bot.learning.guard import wrong_bound

    table = Table(Column("judged on", no_wrap=True), *run.scores,
                  title=f"{len(run.judged)} questions ({sum(q.answerable for q in run.judged)} "
                  f"with an answer): {len(run.held_out)} held out + {run.training} training, each with its "
                  "own fold left out")
    for metric in SHOWN:
        table.add_row(metric, *(f"{m.scores[metric]:.3f}" for m in run.scores.values()))
    serving = next(iter(run.scores.values()))
    table.add_row("wrong_answer_bound", *(f"{wrong_bound(m, serving):.3f}" for m in run.scores.values()))
    return table


def print_run(run: LearnRun) -> None:
    """What was read, learned and judged, in the order a person checks it."""
    labels = run.labels
    out.print(f"labels: {len(labels.queries)} questions usable; dropped {labels.dropped_labels} label(s) of "
              f"unknown or expired entries, {labels.dropped_queries} question(s) left without their answer "
              f"and {labels.foreign} question(s) in other languages", highlight=False)
    out.print(f"training share {run.training}, held-out share {len(run.held_out)}; {len(run.paraphrases)} "
              f"new paraphrase(s); {run.kept_off} staff question label(s) kept off resident entries",
              highlight=False)
    out.print(scores_table(run))
    for name, why in run.verdict.refused.items():
        out.print(f"refused: {name}: {why}", highlight=False)


def learn(labelled: Annotated[Path | None, typer.Option(
              "--labelled", help="Labelled questions (JSONL: id, text, relevant).")] = None,
          from_desk: Annotated[bool, typer.Option(
              "--from-desk", help="The desk's labels in MADOGUCHI_DATABASE_URL.")] = False,
          index_dir: Annotated[Path | None, typer.Option("--index-dir", help="Index directory.")] = None,
          dry_run: Annotated[bool,
                             typer.Option("--dry-run", help="Learn and compare, change nothing.")] = False,
          ) -> None:
    """Learn paraphrases and a refitted decision model from labelled questions (a file, or the desk's labels);
    publish them only if they do better on a held-out share than the bot serving now."""
    from bot.engine import Bot
    from bot.labelled import read_labelled
    from bot.learning.desk import SOURCE
    from bot.service.learning import labels_from_database, learn_and_publish

    if (labelled is None) == (not from_desk):
        raise typer.BadParameter("give exactly one of --labelled FILE.jsonl or --from-desk")
    settings = settings_with(index_dir)
    queries = read_labelled(labelled) if labelled is not None else labels_from_database(settings)
    outcome = learn_and_publish(settings, Bot.from_settings(settings), queries,
                                labelled.name if labelled is not None else SOURCE, dry_run)
    print_outcome(outcome.run, outcome.published, dry_run, settings.decision_model)


def print_outcome(run: LearnRun, published: str, dry_run: bool, decision_model: object) -> None:
    """The comparison, then what became of it."""
    print_run(run)
    if run.chosen is None:
        out.print(f"kept the serving index {run.learned_from}: nothing learned did better", highlight=False)
    elif dry_run:
        out.print(f"dry run: would publish {run.verdict.chosen}; nothing was changed", highlight=False)
    else:
        out.print(f"published index {published} ({run.verdict.chosen}); roll back with: "
                  f"madoguchi index use {run.learned_from}", highlight=False)
        if decision_model:
            out.print(f"note: MADOGUCHI_DECISION_MODEL={decision_model} still overrides the learned model")
