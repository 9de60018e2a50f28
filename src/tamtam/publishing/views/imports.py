"""CSV import: upload → preview every row with its line and errors → import the valid rows → report.

The uploaded bytes wait in the session between preview and import, keyed by a random id that the
form carries; the import parses them again through csv_import.run rather than trusting the preview,
so a row is judged against the workspace as it is at import time (a channel removed meanwhile…).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import secrets
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tamtam.accounts import services as accounts
from tamtam.accounts.models import Membership
from tamtam.accounts.permissions import Cap
from tamtam.lib.http import AuthedRequest

MAX_BYTES = 5 * 1024 * 1024
SESSION_PREFIX = "tamtam.import."
# Used when csv_import does not declare its columns.
DEFAULT_COLUMNS = ["text", "channels", "time", "media_url", "campaign", "link"]


def _column_help() -> dict[str, str]:
    return {
        "text": _("The post's text (required unless there is media)."),
        "channels": _("Channel names or ids of this workspace, separated by commas or semicolons."),
        "time": _("Date and time, e.g. 2026-04-02 09:30 (workspace time) or 2026-04-02T09:30+02:00."),
        "media_url": _("Optional: the address of an image or video to attach."),
        "campaign": _("Optional: a campaign name of this workspace."),
        "link": _("Optional: a link to add to the post."),
        "pillar": _("Optional: an editorial pillar name of this workspace."),
        "first_comment": _("Optional: a first comment, on networks that allow it."),
    }


def _csv_import() -> Any:
    from tamtam.publishing import csv_import

    return csv_import


def columns() -> list[str]:
    try:
        module = _csv_import()
    except ImportError:  # the import service ships separately; the template still downloads
        return DEFAULT_COLUMNS
    return list(getattr(module, "COLUMNS", DEFAULT_COLUMNS))


def _stash(request: AuthedRequest, ws: int, data: bytes, name: str) -> str:
    # Only one pending file per workspace and user: a new upload replaces the previous one.
    for key in [k for k in request.session if k.startswith(SESSION_PREFIX)]:
        if request.session[key].get("ws") == ws:
            del request.session[key]
    token = secrets.token_urlsafe(16)
    request.session[SESSION_PREFIX + token] = {
        "ws": ws, "name": name[:200], "data": base64.b64encode(data).decode("ascii"),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    return token


def _unstash(request: AuthedRequest, ws: int, token: str) -> tuple[bytes, str] | None:
    entry = request.session.get(SESSION_PREFIX + token) if token else None
    if not entry or entry.get("ws") != ws:
        return None
    data = base64.b64decode(entry["data"])
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        return None
    return data, entry["name"]


def _page(request: AuthedRequest, member: Membership, status: int = 200, **ctx: Any) -> HttpResponse:
    return render(request, "publishing/import.html", {
        "workspace": member.workspace, "columns": columns(), "max_mb": MAX_BYTES // (1024 * 1024),
        "zone": member.workspace.time_zone,
        "column_help": [(col, _column_help().get(col, "")) for col in columns()], **ctx,
    }, status=status)


@login_required
def import_csv(request: AuthedRequest, ws: int) -> HttpResponse:
    member = accounts.require(request.user, ws, Cap.IMPORT)
    if request.method != "POST":
        return _page(request, member)
    if request.POST.get("action") == "import":
        return _run(request, member)
    upload = request.FILES.get("file")
    if upload is None:
        return _page(request, member, status=400, upload_error=_("Choose a CSV file."))
    if upload.size is not None and upload.size > MAX_BYTES:
        return _page(request, member, status=400, upload_error=_("The file is larger than %(mb)d MB.")
                     % {"mb": MAX_BYTES // (1024 * 1024)})
    data = upload.read()
    preview = _csv_import().parse(member.workspace, data)
    rows = list(preview.rows)
    valid = sum(1 for row in rows if row.ok)
    token = _stash(request, ws, data, upload.name or "import.csv") if valid else ""
    return _page(request, member, preview=preview, rows=rows, valid=valid, invalid=len(rows) - valid,
                 token=token, filename=upload.name)


def _run(request: AuthedRequest, member: Membership) -> HttpResponse:
    ws = member.workspace_id
    token = request.POST.get("token", "")
    stashed = _unstash(request, ws, token)
    if stashed is None:
        return _page(request, member, status=400,
                     upload_error=_("This import is no longer available; upload the file again."))
    data, name = stashed
    report = _csv_import().run(member.workspace, request.user, data)
    request.session.pop(SESSION_PREFIX + token, None)
    return _page(request, member, report=report, filename=name)


@login_required
@require_GET
def import_template(request: AuthedRequest, ws: int) -> HttpResponse:
    member = accounts.require(request.user, ws, Cap.IMPORT)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = columns()
    writer.writerow(header)
    channel = member.workspace.channels.order_by("name").first()
    example = {
        "text": _("Our spring collection is out! #spring"),
        "channels": channel.name if channel else "Channel name",
        "time": "2026-04-02 09:30",
        "media_url": "",
        "campaign": "",
        "link": "https://example.com/spring",
    }
    writer.writerow([example.get(col, "") for col in header])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="tamtam-import-template.csv"'
    return response
