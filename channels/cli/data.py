"""`madoguchi data export|delete|purge|backup`: a resident's data on request, the retention period, and a
copy of what a city cannot rebuild (`backup.py`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from channels.cli.backup import register as register_backup
from channels.cli.render import out
from channels.cli.settings import settings_with
from knowledge.core.errors import NotFoundError

if TYPE_CHECKING:
    from knowledge.core.settings import Settings

if TYPE_CHECKING:  # the store loads with the command that uses it, not with `madoguchi --help`
    from bot.store import ConversationStore
    from bot.store.spool import Spool
    from knowledge.core.settings import Settings

data_app = typer.Typer(help="Residents' data: export, delete, delete what is older than the retention "
                            "period, and back up the store, spool, key and live index.",
                       no_args_is_help=True)
register_backup(data_app)

Session = Annotated[str | None, typer.Option("--session", help="Web chat session id (from the widget).")]
LineUser = Annotated[str | None, typer.Option("--line-user", help="LINE user id (U…); hashed before lookup.")]
SlackUser = Annotated[str | None, typer.Option("--slack-user", help="Slack user id; hashed before lookup.")]


def _selector(settings: Settings, session: str | None, line_user: str | None,
              slack_user: str | None) -> tuple[str, Callable[[str], bool]]:
    """Id prefix to look under, and the test a conversation id must pass, for one person."""
    from bot.service.identity import ConversationIds

    return ConversationIds(settings).of_person(session, line_user, slack_user)


def _spool(settings: Settings) -> Spool | None:
    """The city's outage spool, when it has one: rows kept there (waiting or set aside) are residents' data
    too."""
    from bot.store.spool import SPOOL_FILE, Spool

    path = settings.resolved_city_dir / SPOOL_FILE
    return Spool(path, settings.index_name) if path.exists() else None


def _found(session: str | None, line_user: str | None, slack_user: str | None
           ) -> tuple[ConversationStore, list[str], Spool | None, Callable[[str], bool]]:
    """The store, the person's stored conversation ids, the spool and the test for the person's
    conversations."""
    from bot.store import ConversationStore

    settings = settings_with(None)
    prefix, belongs = _selector(settings, session, line_user, slack_user)
    store = ConversationStore(settings.resolved_database_url).migrate()
    spool = _spool(settings)
    ids = [i for i in store.conversation_ids(prefix) if belongs(i)]
    if not ids and not (spool and spool.export(belongs)):
        raise NotFoundError("nothing is stored for that person")
    return store, ids, spool, belongs


@data_app.command("export")
def export(session: Session = None, line_user: LineUser = None, slack_user: SlackUser = None) -> None:
    """Print, as JSON, everything stored about one person (also what waits, or was set aside, in the
    spool)."""
    store, ids, spool, belongs = _found(session, line_user, slack_user)
    conversations = store.export(ids)
    spooled = spool.export(belongs) if spool else {}
    for conversation in conversations:
        conversation["spooled"] = spooled.pop(conversation["id"], [])
    conversations += [{"id": cid, "turns": [], "feedback": [], "escalations": [], "spooled": rows}
                      for cid, rows in spooled.items()]
    typer.echo(json.dumps(conversations, ensure_ascii=False, indent=1))


@data_app.command("delete")
def delete(session: Session = None, line_user: LineUser = None, slack_user: SlackUser = None) -> None:
    """Delete everything stored about one person, in the database and in the spool."""
    store, ids, spool, belongs = _found(session, line_user, slack_user)
    spooled = spool.delete(belongs) if spool else 0
    out.print(f"deleted {store.delete(ids) if ids else 0} conversation(s) and {spooled} spooled row(s)")


@data_app.command("purge")
def purge(days: Annotated[int | None,
                          typer.Option(min=1, help="Keep this many days (at least 1). Default: "
                                                   "MADOGUCHI_RETENTION_DAYS.")] = None) -> None:
    """Delete conversations (and spooled rows) older than the retention period (run it daily, e.g. from
    cron); a conversation whose hand-over an agent has not finished is kept."""
    from bot.store import ConversationStore

    settings = settings_with(None)
    keep = settings.retention_days if days is None else days
    removed, waiting = ConversationStore(settings.resolved_database_url).migrate().purge_older_than(keep)
    spool = _spool(settings)
    spooled = spool.purge_older_than(keep) if spool else 0
    out.print(f"deleted {removed} conversation(s) and {spooled} spooled row(s) older than {keep} days")
    if waiting:
        out.print(f"kept {waiting} older conversation(s) whose hand-over an agent has not finished (new or "
                  f"claimed, or worked on in the last {keep} days): reply, close or drop them on the desk",
                  highlight=False)
