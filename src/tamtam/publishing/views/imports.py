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
from tamtam.publishing import csv_import

MAX_BYTES = 5 * 1024 * 1024
SESSION_PREFIX = "tamtam.import."
# A preview of tens of thousands of rows would be a page nobody reads: every row with an error
# (up to a point) and the first good ones are shown, the counts cover the whole file.
SHOWN_ERRORS = 300
SHOWN_OK = 200


def _column_help() -> dict[str, str]:
    return {
        "text": _("The post's text."),
        "channels": _("Channel names (or ids) of this workspace, separated by | or ;"),
        "time": _(
            "When to publish: 2026-04-02 09:30 or 02/04/2026 09:30 in the workspace's time zone, "
            "or ISO 8601 with an offset (2026-04-02T09:30:00+02:00)."
        ),
        "media_url": _("Optional: the address of an image or video to attach."),
        "campaign": _("Optional: the name of a campaign of this workspace."),
        "link": _("Optional: a link to add to the post (http:// or https://)."),
        "first_comment": _("Optional: a first comment, on networks that allow it."),
        "pillar": _("Optional: the name of an editorial pillar of this workspace."),
    }


def columns() -> list[str]:
    return list(csv_import.COLUMNS)


def shown_rows(rows: list[csv_import.RowResult]) -> list[csv_import.RowResult]:
    if len(rows) <= SHOWN_ERRORS + SHOWN_OK:
        return rows
    bad = [r for r in rows if not r.ok][:SHOWN_ERRORS]
    good = [r for r in rows if r.ok][:SHOWN_OK]
    return sorted(bad + good, key=lambda r: r.line)


def _stash(request: AuthedRequest, ws: int, data: bytes, name: str) -> str:
    # Only one pending file per workspace and user: a new upload replaces the previous one.
    # SessionBase has keys() but is not iterable itself.
    for key in [k for k in request.session.keys() if k.startswith(SESSION_PREFIX)]:  # noqa: SIM118
        if request.session[key].get("ws") == ws:
            del request.session[key]
    token = secrets.token_urlsafe(16)
    request.session[SESSION_PREFIX + token] = {
        "ws": ws,
        "name": name[:200],
        "data": base64.b64encode(data).decode("ascii"),
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
    return render(
        request,
        "publishing/import.html",
        {
            "workspace": member.workspace,
            "columns": columns(),
            "max_mb": MAX_BYTES // (1024 * 1024),
            "zone": member.workspace.time_zone,
            "column_help": [(col, _column_help().get(col, "")) for col in columns()],
            **ctx,
        },
        status=status,
    )


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
        return _page(
            request,
            member,
            status=400,
            upload_error=_("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)},
        )
    data = upload.read()
    preview = csv_import.parse(member.workspace, data)
    rows = preview.rows
    valid = sum(1 for row in rows if row.ok and not row.duplicate)
    duplicates = sum(1 for row in rows if row.ok and row.duplicate)
    token = _stash(request, ws, data, upload.name or "import.csv") if valid else ""
    return _page(
        request,
        member,
        preview=preview,
        rows=shown_rows(rows),
        total=len(rows),
        valid=valid,
        duplicates=duplicates,
        invalid=sum(1 for row in rows if not row.ok),
        token=token,
        filename=upload.name,
    )


def _run(request: AuthedRequest, member: Membership) -> HttpResponse:
    ws = member.workspace_id
    token = request.POST.get("token", "")
    stashed = _unstash(request, ws, token)
    if stashed is None:
        return _page(
            request,
            member,
            status=400,
            upload_error=_("This import is no longer available; upload the file again."),
        )
    data, name = stashed
    report = csv_import.run(member.workspace, request.user, data)
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
        "channels": channel.name if channel else _("Channel name"),
        "time": "2026-04-02 09:30",
        "media_url": "",
        "campaign": "",
        "link": "https://example.com/spring",
        "first_comment": "",
        "pillar": "",
    }
    writer.writerow([example.get(col, "") for col in header])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="tamtam-import-template.csv"'
    return response
