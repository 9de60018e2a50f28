"""A workspace's data as one JSON document (GDPR access and portability), written as a stream.

    {"format": "tamtam.workspace-export", "version": 1, "exported_at": …, "workspace": {…},
     "members": [{username, e-mail, role…}], "tables": {"publishing.post": [{…}, …], …},
     "mentions": [...], "listening_authors": [...], "media": [{"path": …, "url": …, "sha256": …}]}

Every table with a path to the workspace is there (tamtam.dataops.graph), one object per row with
its columns as stored (foreign keys as `<name>_id`). Rows are read in chunks and written as they come,
so a workspace with millions of mentions exports in constant memory. Credentials and secret tokens are
never written: see `graph.is_secret`.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import QuerySet

from tamtam.accounts.models import Membership, Workspace
from tamtam.dataops.archive import tamtam_version
from tamtam.dataops.graph import authors_of, is_secret, mentions_of, owned_models

FORMAT = "tamtam.workspace-export"
VERSION = 1
CHUNK_ROWS = 2000


class _Encoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, (bytes, memoryview)):
            return bytes(o).hex()
        return super().default(o)


def _dumps(value: Any) -> str:
    return json.dumps(value, cls=_Encoder, ensure_ascii=False, separators=(",", ":"))


def columns(model: type[models.Model]) -> list[str]:
    """The attribute names exported for `model`: every concrete column but the secret ones."""
    return [f.attname for f in model._meta.concrete_fields if not is_secret(f)]


def _rows(queryset: QuerySet[Any], names: list[str]) -> Iterator[str]:
    for row in queryset.order_by("pk").values(*names).iterator(chunk_size=CHUNK_ROWS):
        yield _dumps(row)


def _array(items: Iterable[str]) -> Iterator[str]:
    yield "["
    first = True
    for item in items:
        yield item if first else "," + item
        first = False
    yield "]"


def _workspace(workspace: Workspace) -> dict[str, Any]:
    names = columns(Workspace)
    row = {name: getattr(workspace, name) for name in names}
    row["agency"] = {"id": workspace.agency_id, "name": workspace.agency.name, "slug": workspace.agency.slug}
    return row


def _members(workspace: Workspace) -> Iterator[str]:
    memberships = Membership.objects.filter(workspace=workspace).select_related("user").order_by("pk")
    for m in memberships:
        yield _dumps(
            {
                "user_id": m.user_id,
                "username": m.user.get_username(),
                "first_name": m.user.first_name,
                "last_name": m.user.last_name,
                "email": m.user.email,
                "language": m.user.language,
                "role": m.role,
                "since": m.created_at,
            }
        )


def _media(workspace: Workspace) -> Iterator[str]:
    from tamtam.publishing.models import Media

    for media in Media.objects.filter(workspace=workspace).order_by("pk").iterator(chunk_size=CHUNK_ROWS):
        if media.file:
            yield _dumps(
                {
                    "id": media.pk,
                    "path": media.file.name,
                    "url": f"{settings.BASE_URL}{settings.MEDIA_URL}{media.file.name}",
                    "sha256": media.sha256,
                    "size": media.size,
                }
            )


def stream(workspace: Workspace) -> Iterator[str]:
    """The export as JSON text, piece by piece."""
    from tamtam.listening.models import ListeningAuthor, Mention

    head = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": datetime.now(UTC),
        "tamtam_version": tamtam_version(),
        "workspace": _workspace(workspace),
    }
    yield _dumps(head)[:-1]  # the object stays open: the large parts follow
    yield ',"members":'
    yield from _array(_members(workspace))
    yield ',"tables":{'
    for index, (label, model, rows) in enumerate(owned_models(workspace.pk)):
        yield ("," if index else "") + _dumps(label) + ":"
        yield from _array(_rows(rows, columns(model)))
    yield '},"mentions":'
    yield from _array(_rows(mentions_of(workspace.pk), columns(Mention)))
    yield ',"listening_authors":'
    yield from _array(_rows(authors_of(workspace.pk), columns(ListeningAuthor)))
    yield ',"media":'
    yield from _array(_media(workspace))
    yield "}"


def write_zip(workspace: Workspace, path: Path) -> int:
    """The export plus the media files themselves, as a zip: `export.json` and `media/<path>`.
    Returns the number of files added. A file missing from the disk is left out (its row says so)."""
    from tamtam.publishing.models import Media

    added = 0
    root = Path(settings.MEDIA_ROOT)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        with archive.open("export.json", "w", force_zip64=True) as fh:
            for piece in stream(workspace):
                fh.write(piece.encode())
        for name in Media.objects.filter(workspace=workspace).exclude(file="").values_list("file", flat=True):
            source = root / name
            if source.is_file():
                # Already compressed formats (images, videos): stored, not deflated again.
                archive.write(source, f"media/{name}", compress_type=zipfile.ZIP_STORED)
                added += 1
    return added
