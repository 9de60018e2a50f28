"""Deleting a workspace (GDPR erasure, or a client who leaves): every row, every media file, the
channel tokens revoked at the networks where they allow it; one agency-level audit entry remains.

The typed confirmation is the workspace's name: a deletion cannot be undone, and a name is what the
person deleting it can read on the page, unlike an id.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from tamtam.accounts.models import AuditEvent, Workspace
from tamtam.accounts.services import audit
from tamtam.dataops.graph import authors_of, mentions_of, owned_models
from tamtam.lib.errors import InvalidInput

log = logging.getLogger("tamtam.dataops")

DELETED_ACTION = "workspace.deleted"


@dataclass
class Deletion:
    workspace_id: int
    name: str
    rows: dict[str, int] = field(default_factory=dict)
    media_files: int = 0
    channels_revoked: int = 0
    channels: int = 0


def check_confirmation(workspace: Workspace, typed: str) -> None:
    if (typed or "").strip() != workspace.name.strip():
        raise InvalidInput(
            "confirm", _("type the workspace's name exactly (%(name)s) to confirm") % {"name": workspace.name}
        )


def _revoke_channels(workspace: Workspace) -> tuple[int, int]:
    """Best effort, before the rows go: a network that refuses or is down does not stop the deletion."""
    from tamtam.channels.models import Channel
    from tamtam.channels.services import revoke_at_network

    channels = list(Channel.objects.filter(workspace=workspace))
    revoked = 0
    for channel in channels:
        try:
            revoked += bool(revoke_at_network(channel))
        except Exception:  # a deletion must go on whatever one network does
            log.warning("token revocation failed for channel %s", channel.pk, exc_info=True)
    return revoked, len(channels)


def delete_workspace(workspace: Workspace, actor: Any, typed_name: str, *, actor_label: str = "") -> Deletion:
    """Delete `workspace` and everything in it. The caller has checked that `actor` is an owner (the
    CLI runs as the operator). Raises InvalidInput when the typed name does not match."""
    from tamtam.listening.models import ListeningAuthor, Mention
    from tamtam.publishing.models import Media

    check_confirmation(workspace, typed_name)
    result = Deletion(workspace_id=workspace.pk, name=workspace.name)
    result.channels_revoked, result.channels = _revoke_channels(workspace)
    files = [
        name for name in Media.objects.filter(workspace=workspace).values_list("file", flat=True) if name
    ]
    agency = workspace.agency
    with transaction.atomic():
        # Mentions and authors are shared between workspaces: only those no other workspace holds go.
        mention_ids = list(mentions_of(workspace.pk).values_list("pk", flat=True))
        author_ids = list(authors_of(workspace.pk).values_list("pk", flat=True))
        # Children first (the deepest paths), so each delete cascades over little.
        # Django's collector deletes leaf tables in one statement and cascades the rest.
        for _label, _model, rows in reversed(owned_models(workspace.pk, with_secrets=True)):
            _add(result.rows, rows.delete()[1])
        _add(result.rows, workspace.delete()[1])
        # In slices: a firehose workspace has millions of mentions, more than one statement may name.
        for ids in _slices(mention_ids):
            _add(result.rows, Mention.objects.filter(pk__in=ids, matches__isnull=True).delete()[1])
        for ids in _slices(author_ids):
            lonely = ListeningAuthor.objects.filter(pk__in=ids, mention__isnull=True, watches__isnull=True)
            _add(result.rows, lonely.delete()[1])
        audit(
            None,
            actor,
            DELETED_ACTION,
            summary=f"{agency.name} / {result.name}",
            actor_label=actor_label,
            agency_id=agency.pk,
            agency=agency.slug,
            workspace_id=result.workspace_id,
            workspace_name=result.name,
            rows=result.rows,
            channels=result.channels,
            channels_revoked=result.channels_revoked,
        )
        transaction.on_commit(lambda: _remove_files(files, result))
    return result


def _slices(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _add(total: dict[str, int], counts: dict[str, int]) -> None:
    for label, count in counts.items():
        if count:
            total[label.lower()] = total.get(label.lower(), 0) + count


def _remove_files(names: list[str], result: Deletion) -> None:
    root = Path(settings.MEDIA_ROOT).resolve()
    for name in names:
        path = (root / name).resolve()
        if root in path.parents and path.is_file():
            path.unlink()
            result.media_files += 1


def deletions(agency_id: int | None = None) -> list[AuditEvent]:
    """The agency-level record of deleted workspaces, newest first."""
    events = AuditEvent.objects.filter(workspace__isnull=True, action=DELETED_ACTION)
    if agency_id is not None:
        events = events.filter(data__agency_id=agency_id)
    return list(events)
