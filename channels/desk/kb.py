"""The whole knowledge base as Excel or CSV, for editors: download it, edit it, upload it again.

An upload becomes approved, versioned desk entries for its new and changed rows (audited under the
editor's name), every bad row is listed with file, row and field, and a rebuild starts at once.
"""

from __future__ import annotations

import secrets
import tempfile
from datetime import datetime
from pathlib import Path

from fastapi import Depends, File, Form, Request, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from bot.service.contracts import Role, SignedIn
from bot.service.kb_io import export_knowledge, import_table
from channels.desk.auth import require_role
from channels.desk.render import city, desk_subrouter, entry_path, page
from channels.desk.search import audience_of
from channels.desk.worker import worker
from knowledge.core.errors import ConflictError, RequestError
from knowledge.export import Format
from knowledge.records import Audience
from knowledge.tables import READERS

router = desk_subrouter()
Editor = Depends(require_role(Role.EDITOR))
MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "csv": "text/csv; charset=utf-8"}


@router.get("/kb")
def kb_page(request: Request, user: SignedIn = Editor) -> Response:
    """Download links and the upload form."""
    return page(request, "kb.html", report=None, suffixes=", ".join(sorted(READERS)), sent=new_form_id())


def new_form_id() -> str:
    """Names one upload form, so that a reload that sends it again is refused rather than imported twice."""
    return secrets.token_urlsafe(16)


def _download(request: Request, fmt: Format, user: SignedIn) -> Response:
    served = city(request)
    with tempfile.TemporaryDirectory(prefix="madoguchi-export-") as folder:
        path = Path(folder) / f"faq.{fmt}"
        export_knowledge(served.settings, served.desk.entries, fmt, path,
                         with_staff=audience_of(served, user) is Audience.STAFF)
        body = path.read_bytes()
    name = f"madoguchi-faq-{datetime.now():%Y%m%d-%H%M}.{fmt}"
    return Response(body, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


@router.get("/kb/export.xlsx")
def export_xlsx(request: Request, user: SignedIn = Editor) -> Response:
    """Every FAQ record (files + desk) on the first sheet; manual passages on a protected second sheet."""
    return _download(request, "xlsx", user)


@router.get("/kb/export.csv")
def export_csv(request: Request, user: SignedIn = Editor) -> Response:
    """Every FAQ record (files + desk) as CSV, UTF-8 with a BOM for Excel."""
    return _download(request, "csv", user)


def _import(request: Request, upload_name: str, body: bytes, user: SignedIn, sent: str) -> Response:
    suffix = Path(upload_name).suffix.lower()
    if suffix not in READERS:
        raise RequestError(f"読み込めるのは {', '.join(sorted(READERS))} のファイルです（{upload_name}）")
    with tempfile.TemporaryDirectory(prefix="madoguchi-import-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(body)
        served = city(request)
        try:
            report = import_table(served.settings, served.desk.entries, path, user.username,
                                  name=Path(upload_name).name, sent=sent)
        except ConflictError as exc:  # this form was read already, or a colleague changed an entry meanwhile
            return page(request, "kb.html", status=409, report=None, alert=str(exc),
                        suffixes=", ".join(sorted(READERS)), sent=new_form_id())
    if report.created:
        worker(request).publisher.request(f"import of {upload_name} by {user.username}")
    return page(request, "kb.html", report=report, path=entry_path, suffixes=", ".join(sorted(READERS)),
                sent=new_form_id())


@router.post("/kb/import")
async def import_upload(request: Request, file: UploadFile = File(...), sent: str = Form("", max_length=64),
                        user: SignedIn = Editor) -> Response:
    """Load an edited export (or any FAQ table) and publish its new and changed rows."""
    body = await file.read()
    return await run_in_threadpool(_import, request, file.filename or "upload", body, user, sent)
