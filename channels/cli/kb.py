"""`madoguchi kb export|import|health`: the knowledge base to and from Excel or CSV, and where it contradicts
itself."""

from __future__ import annotations

import getpass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from channels.cli.render import err, out, problems_table
from channels.cli.settings import into_existing_folder, settings_with

if TYPE_CHECKING:  # loaded when a command runs
    from bot.contradictions import Contradiction
    from bot.translation_numbers import Mistranslation

kb_app = typer.Typer(help="The whole knowledge base (the city's files + the desk's entries) as XLSX or CSV.",
                     no_args_is_help=True)


class SheetFormat(StrEnum):
    """What `kb export` writes."""

    XLSX = "xlsx"
    CSV = "csv"


def cli_actor() -> str:
    """Who the audit log names for a change made from the command line."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "cli"


@kb_app.command("export")
def export(fmt: Annotated[SheetFormat, typer.Option("--format", help="xlsx or csv.")] = SheetFormat.XLSX,
           out_path: Annotated[Path,
                               typer.Option("--out", help="File to write.",
                                            callback=into_existing_folder)] = Path("madoguchi-faq.xlsx"),
           ) -> None:
    """Write every FAQ record in the columns `index build` reads (XLSX: passages on a second, read-only
    sheet)."""
    from bot.service.kb_io import export_knowledge
    from bot.service.publishing import desk_entries

    settings = settings_with(None)
    with desk_entries(settings) as entries:
        rows, problems = export_knowledge(settings, entries, "csv" if fmt is SheetFormat.CSV else "xlsx",
                                          out_path)
    out.print(f"{rows} FAQ rows → {out_path}")
    if errors := [p for p in problems if p.severity == "error"]:
        err.print(f"{len(errors)} row(s) of the city's files could not be read and are not in the export; "
                  "fix them in their files:", highlight=False)
        err.print(problems_table(errors))


@kb_app.command("import")
def import_(path: Annotated[Path,
                            typer.Argument(help="An XLSX, CSV or JSONL FAQ table (e.g. an edited export).")],
            index_dir: Annotated[Path | None,
                                 typer.Option("--index-dir", help="Index to publish into.")] = None
            ) -> None:
    """Version new and changed rows as approved desk entries (audited), then publish a new index version."""
    from bot.service.kb_io import import_table
    from bot.service.publishing import build_knowledge_index
    from bot.store import ConversationStore
    from bot.store.entries import EntryStore
    from channels.cli.render import problems_table

    settings = settings_with(index_dir)
    entries = EntryStore(ConversationStore(settings.resolved_database_url).migrate())
    report = import_table(settings, entries, path, cli_actor())
    if report.problems:
        err.print(problems_table(report.problems))
    out.print(f"{len(report.created)} entries added or changed, {report.unchanged} unchanged")
    if report.created:
        built = build_knowledge_index(settings, entries, note=f"kb import {path.name}")
        if errors := [p for p in built.loaded.problems if p.severity == "error"]:
            err.print("The city's own files, read for this publish, have rows that were left out:")
            err.print(problems_table(errors))
        out.print(f"index {built.manifest['version']} is live")


@kb_app.command("health")
def health(sources: Annotated[list[Path] | None, typer.Argument(help="FAQ tables, manuals, rules; default "
                                                                     "MADOGUCHI_SOURCES.")] = None) -> None:
    """Find contradictions: entries or passages on one subject stating different amounts, times, days,
    addresses, places, phone numbers or limits; and translated or やさしい日本語 answers stating a number
    the Japanese answer does not. The desk's approved entries are read too, as a build reads them (the
    desk's health page does). Exits 1 when there are any."""
    from bot.contradictions import ContradictionFinder
    from bot.service.publishing import current_knowledge
    from bot.translation_numbers import mistranslations
    from indexer.runtime import normaliser_from_settings

    settings = settings_with(None)
    loaded = current_knowledge(settings, sources or None)  # with the desk's entries, as a build reads them
    findings = ContradictionFinder(normaliser_from_settings(settings)).run(loaded.records)
    mistranslated = mistranslations(loaded.records)
    _print_contradictions(findings)
    _print_mistranslations(mistranslated, start=len(findings) + 1)
    out.print(f"食い違い {len(findings)} 件、訳の数字の違い {len(mistranslated)} 件"
              f"（{len(loaded.records)} 件の FAQ・文書の節を比べました）", highlight=False, soft_wrap=True)
    if findings or mistranslated:
        raise typer.Exit(1)


def _print_contradictions(findings: list[Contradiction]) -> None:
    for number, finding in enumerate(findings, start=1):
        out.print(f"[bold]{number}. {finding.kind}が食い違っています[/bold]", highlight=False, soft_wrap=True)
        for statement, values in ((finding.first, finding.first_values),
                                  (finding.second, finding.second_values)):
            where = f"{statement.record.id}（{statement.record.source} {statement.record.location}）"
            out.print(f"  {where}: {'・'.join(values)}\n    「{statement.sentence}」", highlight=False,
                      soft_wrap=True)


def _print_mistranslations(found: list[Mistranslation], start: int) -> None:
    for number, finding in enumerate(found, start=start):
        record = finding.record
        out.print(f"[bold]{number}. {record.id} の{finding.language_name}の回答に、日本語の回答にない数字が"
                  f"あります: {'・'.join(finding.numbers)}[/bold]", highlight=False, soft_wrap=True)
        out.print(f"  {record.source} {record.location}\n    「{finding.text}」", highlight=False,
                  soft_wrap=True)
