"""The agency's branding on reports: logo (PNG, JPEG or WebP, checked by its bytes) and two colours.

The logo is embedded in the report as a data URI, so the HTML, the PDF and the e-mail carry it with
no request to the server (and a share link works without access to the media files). SVG logos are
refused: an SVG can hold scripts, and the PDF is printed by a browser.
"""

from __future__ import annotations

import base64
import logging
import re

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from tamtam.accounts.models import Agency, User, Workspace
from tamtam.accounts.services import audit
from tamtam.lib.errors import InvalidInput

log = logging.getLogger(__name__)
MAX_LOGO_BYTES = 1_000_000
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


def sniff(data: bytes) -> str | None:
    for magic, kind in SIGNATURES.items():
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def logo_data_uri(agency: Agency) -> str:
    if not agency.logo:
        return ""
    try:
        with agency.logo.open("rb") as handle:
            data = handle.read(MAX_LOGO_BYTES + 1)
    except OSError:
        log.warning("logo of agency %s is missing from the media storage", agency.pk)
        return ""
    kind = sniff(data)
    if kind is None or len(data) > MAX_LOGO_BYTES:
        return ""
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def save_branding(
    agency: Agency,
    actor: User | None,
    workspace: Workspace,
    *,
    brand_color: str,
    accent_color: str,
    logo: UploadedFile | None = None,
    remove_logo: bool = False,
) -> Agency:
    for name, value in (("brand_color", brand_color), ("accent_color", accent_color)):
        if not COLOR.match(value or ""):
            raise InvalidInput(name, _("a colour like #3b5bdb is expected"))
    if logo is not None:
        if logo.size is not None and logo.size > MAX_LOGO_BYTES:
            raise InvalidInput("logo", _("the logo is larger than 1 MB"))
        head = logo.read(16)
        logo.seek(0)
        sniffed = sniff(head)
        if sniffed is None:
            raise InvalidInput("logo", _("the logo must be a PNG, JPEG or WebP image"))
    with transaction.atomic():
        agency.brand_color, agency.accent_color = brand_color, accent_color
        if remove_logo and agency.logo:
            agency.logo.delete(save=False)
            agency.logo = ""  # type: ignore[assignment]
        if logo is not None:
            extension = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}[
                sniff(logo.read(16)) or ""
            ]
            logo.seek(0)
            agency.logo.save(f"agency-{agency.pk}.{extension}", logo, save=False)
        agency.save()
        audit(workspace, actor, "agency.branding.updated", agency, summary=agency.name)
    return agency
