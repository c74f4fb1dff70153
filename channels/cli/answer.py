"""`madoguchi ask`, `eval`, `train` and `tune`: the answering engine from the command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.fusion import Fusion
from channels.cli.render import explanation_table, metrics_table, out, reliability_table, tradeoff_table
from channels.cli.settings import IndexDir, into_existing_folder, settings_with
from knowledge.core.errors import ConfigurationError
from knowledge.records import Audience

if TYPE_CHECKING:  # the engine loads with the command that answers, not with `madoguchi --help`
    from bot.answer import Answer
    from bot.engine import Bot
    from indexer.runtime import Runtime

Labelled = Annotated[Path, typer.Option("--labelled", help="Labelled queries (JSONL: id, text, relevant).")]
WithoutAlternatives = Annotated[bool, typer.Option(
    "--without-alternatives", help="As if the FAQ entries carried no alternative questions (the shipped "
                                   "model for cities that write none).")]


def _bot(index_dir: Path | None, model: Path | None = None) -> Bot:
    from bot.engine import Bot

    settings = settings_with(index_dir)
    if model:
        settings = settings.model_copy(update={"decision_model": model})
    return Bot.from_settings(settings)


def _as_written(runtime: Runtime, without_alternatives: bool) -> Runtime:
    """The index as it is, or rebuilt in memory with every entry's alternative questions left out: how the
    shipped model for cities that write none is learned on the sample city, which writes them."""
    if not without_alternatives:
        return runtime
    from dataclasses import replace

    from bot.learning.folds import serving
    from indexer.build import IndexBuilder

    records = [replace(record, paraphrases=()) for record in runtime.index.records]
    builder = IndexBuilder(runtime.normaliser, runtime.embedder)
    return serving(runtime, builder.assemble(records, runtime.index.manifest.get("sources", {})))


def _print_reply(reply: Answer, explain: bool) -> None:
    out.print(f"[bold]{reply.decision.value}[/bold] (confidence {reply.confidence:.2f})", highlight=False)
    out.print(reply.message, highlight=False, markup=False)
    if explain and reply.explanation is not None:
        out.print(explanation_table(reply.explanation))


def ask(
    text: Annotated[str | None, typer.Argument(help="The question; omit it to chat line by line.")] = None,
    index_dir: IndexDir = None,
    audience: Annotated[Audience, typer.Option(
        help="resident or staff (in a batch, for lines that name none)")] = Audience.RESIDENT,
    channel: Annotated[str, typer.Option(help="Channel whose thresholds apply.")] = "cli",
    explain: Annotated[bool, typer.Option("--explain", help="Show terms, synonyms and scores.")] = False,
    batch: Annotated[Path | None, typer.Option("--batch", help="JSONL of {id, text} to answer.")] = None,
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=100)] = 10,
    out_file: Annotated[Path | None, typer.Option("--out", help="Where --batch writes its JSONL.",
                                                                    callback=into_existing_folder)] = None,
) -> None:
    """Ask the bot: one question, a chat on standard input, or a batch file.
    \f
    This calls the answering engine (`Bot.answer`) directly, not the city (`City.handle`): an evaluation
    run needs no store, channel or limit, and must leave none of its questions in the city's conversations,
    statistics or escalations."""
    from bot.answer import Session
    from bot.evaluate import run_batch, write_jsonl
    from bot.labelled import read_labelled

    bot = _bot(index_dir)
    if batch:
        lines = run_batch(bot, read_labelled(batch, audience), top_k)
        if out_file:
            write_jsonl(lines, out_file)
        else:
            for line in lines:
                typer.echo(json.dumps(line, ensure_ascii=False))
        return
    session = Session()
    for question in [text] if text else _chat_lines():
        if question.strip():
            reply = bot.answer(question, audience, channel, session)
            session = session.after(reply)
            _print_reply(reply, explain)


def _chat_lines() -> Iterator[str]:
    """Questions from standard input; at a terminal, with a prompt until Ctrl-D."""
    if not sys.stdin.isatty():
        yield from (line.strip() for line in sys.stdin)
        return
    out.print("質問をどうぞ（番号で選択肢を選べます。終了は Ctrl-D）", highlight=False)
    while True:
        try:
            yield input("> ")
        except (EOFError, KeyboardInterrupt):
            return


def evaluate(labelled: Labelled, index_dir: IndexDir = None,
             top_k: Annotated[int, typer.Option("--top-k", min=10, max=100)] = 10) -> None:
    """hit@1/3/10, MRR@10, nDCG@10 and the decision metrics on labelled queries."""
    from bot.evaluate import run_batch, score_lines
    from bot.labelled import read_labelled

    queries = read_labelled(labelled)
    out.print(metrics_table(score_lines(queries, run_batch(_bot(index_dir), queries, top_k)), str(labelled)))


def train(labelled: Labelled, index_dir: IndexDir = None,
          model_out: Annotated[Path, typer.Option("--out", help="Model file to write.",
                                                  callback=into_existing_folder)] = Path(
              "decision_model.json"),
          max_wrong: Annotated[float, typer.Option(
             min=0, max=1, help="Highest share of wrong answers allowed.")] = 0.05,
          min_escalated: Annotated[float, typer.Option(
             min=0, max=1, help="Lowest share of unanswerable escalated.")] = 0.6,
          fusion: Annotated[Fusion,
                            typer.Option(help="Rank with fitted weights, the fixed day-one sum, or fitted "
                                              "from 50 answerable questions on (auto).")] = Fusion.AUTO,
          without_alternatives: WithoutAlternatives = False,
          ) -> None:
    """Learn fusion weights and confidence models (and thresholds) from labelled queries."""
    from datetime import date

    from bot.labelled import read_labelled
    from bot.store.index_versions import index_store
    from bot.train import collect, rank_examples
    from bot.train import train as fit
    from bot.tune import choose, outcomes, reliability
    from indexer.runtime import load_runtime

    settings = settings_with(index_dir)
    queries = read_labelled(labelled)
    runtime = _as_written(load_runtime(settings, index_store(settings)), without_alternatives)
    examples = collect(runtime, queries)
    fitted = fusion.fits(sum(q.answerable for q in queries))
    model = fit(examples, settings.staff_first_margin, fitted)
    results = outcomes(rank_examples(examples, model.ranker, settings.staff_first_margin), model.top1,
                       model.top3)
    model.thresholds, rates = choose(results, max_wrong, min_escalated)
    model.trained_on = {"labelled": labelled.name, "queries": len(queries), "date": date.today().isoformat(),
                        "fusion": "fitted" if fitted else "day-one",
                        **({"alternative_questions": "left out"} if without_alternatives else {})}
    model.save(model_out)
    out.print(reliability_table(reliability(results.top1, results.top1_right)))
    out.print(metrics_table(rates, f"in-sample decisions at answer ≥ {model.thresholds.answer}, "
                                   f"clarify ≥ {model.thresholds.clarify}"))
    out.print(f"wrote {model_out}; use it with MADOGUCHI_DECISION_MODEL={model_out.resolve()}")


def tune(labelled: Labelled, index_dir: IndexDir = None,
         model_file: Annotated[Path | None,
                               typer.Option("--model", help="Model to tune (default: configured).")] = None,
         model_out: Annotated[Path | None, typer.Option(
             "--out", help="Write the model with the chosen thresholds.",
             callback=into_existing_folder)] = None,
         max_wrong: Annotated[float, typer.Option(
             min=0, max=1, help="Highest share of wrong answers allowed.")] = 0.05,
         min_escalated: Annotated[float, typer.Option(
             min=0, max=1, help="Lowest share of unanswerable escalated.")] = 0.6,
         answer_at: Annotated[float | None, typer.Option(
             "--answer", min=0, max=1, help="Answer threshold picked from the table, not chosen.")] = None,
         clarify_at: Annotated[float | None, typer.Option(
             "--clarify", min=0, max=1, help="Clarify threshold picked from the table.")] = None,
         without_alternatives: WithoutAlternatives = False,
         ) -> None:
    """Print the answer/clarify/escalate trade-off and choose thresholds that keep wrong answers low, or keep
    the ones given: a city that has read the table may weigh direct answers against hand-overs its own way."""
    from bot.labelled import read_labelled
    from bot.model import Thresholds
    from bot.train import collect, rank_examples
    from bot.tune import choose, curve, outcomes, rates

    bot = _bot(index_dir, model_file)
    examples = collect(_as_written(bot.runtime, without_alternatives), read_labelled(labelled))
    results = outcomes(rank_examples(examples, bot.model.ranker, bot.settings.staff_first_margin),
                       bot.model.top1, bot.model.top3)
    chosen, measured = choose(results, max_wrong, min_escalated)
    if answer_at is not None or clarify_at is not None:
        chosen = Thresholds(chosen.answer if answer_at is None else answer_at,
                            chosen.clarify if clarify_at is None else clarify_at)
        measured = rates(results, chosen.answer, chosen.clarify)
    if chosen.answer < chosen.clarify:
        raise ConfigurationError(f"answer ≥ {chosen.answer} is below clarify ≥ {chosen.clarify}: nothing "
                                 "could ever be offered as choices; give --answer at or above --clarify")
    out.print(tradeoff_table(curve(results, chosen.clarify), chosen.clarify))
    out.print(metrics_table(measured, f"chosen: answer ≥ {chosen.answer}, clarify ≥ {chosen.clarify}"))
    if model_out:
        bot.model.thresholds = chosen
        bot.model.save(model_out)
        out.print(f"wrote {model_out}; use it with MADOGUCHI_DECISION_MODEL={model_out.resolve()}")


def register(app: typer.Typer) -> None:
    """Add the answering commands to the `madoguchi` command."""
    app.command("ask")(ask)
    app.command("eval")(evaluate)
    app.command("train")(train)
    app.command("tune")(tune)
