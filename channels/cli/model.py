"""`madoguchi model untie`: the city's own embedding model, trained from its FAQ entries on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from channels.cli.render import err, out
from channels.cli.settings import settings_with

model_app = typer.Typer(help="Embedding models made from the city's own entries.", no_args_is_help=True)


@model_app.command("untie")
def untie(
    target: Annotated[Path,
                      typer.Option("--out", help="New folder for the model (must not exist or be empty).")],
    sources: Annotated[list[Path] | None,
                       typer.Argument(help="FAQ tables or folders; default MADOGUCHI_SOURCES "
                                           "(and the desk's entries).")] = None,
    epochs: Annotated[int, typer.Option("--epochs", min=1, max=100, help="Passes over the entries.")] = 12,
    seed: Annotated[int, typer.Option("--seed", help="The same seed and entries give the same model.")] = 0,
) -> None:
    """Give every word of the city's FAQ entries its own chiVe vector (chiVe makes many share one, e.g.
    住民票 and 戸籍謄本) and train them on pairs from the entries (CPU, one thread, no network). Use the
    model with MADOGUCHI_MODEL=DIR and a new `madoguchi index build`; serving it needs no torch."""
    from bot.service.publishing import current_knowledge
    from indexer.untie import Recipe, untie_model

    settings = settings_with(None)
    records = current_knowledge(settings, sources or None).records

    def progress(stage: str, done: int, total: int) -> None:
        err.print(f"{stage} {done}/{total}", highlight=False)

    untied = untie_model(records, target, Recipe(epochs=epochs, seed=seed), progress)
    out.print(f"{untied.words} words of {untied.entries} entries have their own vectors "
              f"({untied.shared_rows} chiVe vectors were shared by two or more of them); {untied.steps} "
              f"training steps in {untied.cpu_seconds:.0f} s CPU → {target}", highlight=False)
    out.print(f"use it: MADOGUCHI_MODEL={target} madoguchi index build", highlight=False)
