"""Which rows belong to a workspace: every model with a foreign-key path to Workspace, found by walking
the model graph (so a model added tomorrow is exported and deleted without a change here).

Listening mentions are the one exception: a mention is stored once for every workspace whose queries
match it, so it belongs to a workspace through its matches, and only stops existing when no other
workspace's query still holds it.
"""

from __future__ import annotations

import re
from collections import deque
from functools import cache
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q, QuerySet

from tamtam.accounts.models import Workspace

# Never exported: credentials and the secrets behind links, feeds and webhooks (their hashes too).
_SECRET_NAME = re.compile(r"secret|token|password|encrypted|key_hash", re.IGNORECASE)
_NOT_SECRET = {"token_expires_at"}
# Whole models that are credentials, not data.
SECRET_MODELS = {"accounts.apitoken"}


def is_secret(field: models.Field[Any, Any]) -> bool:
    return field.name not in _NOT_SECRET and bool(_SECRET_NAME.search(field.name))


@cache
def workspace_paths() -> dict[type[models.Model], str]:
    """Every model (auto-created many-to-many tables included) → its shortest lookup path to
    Workspace (`workspace`, `post__workspace`, …) through required foreign keys: a row is owned through
    what it cannot exist without. An optional link (a post's campaign) is not ownership; only a direct
    optional key to Workspace is (an audit event)."""
    paths: dict[type[models.Model], str] = {}
    queue: deque[tuple[type[models.Model], str]] = deque([(Workspace, "")])
    all_models = list(apps.get_models(include_auto_created=True))
    while queue:
        target, suffix = queue.popleft()
        for model in all_models:
            if model is Workspace or model in paths:
                continue
            for field in model._meta.concrete_fields:
                if not (field.is_relation and field.related_model is target):
                    continue
                if field.null and target is not Workspace:
                    continue
                paths[model] = field.name + (f"__{suffix}" if suffix else "")
                queue.append((model, paths[model]))
                break
    return paths


def rows_of(model: type[models.Model], workspace_id: int) -> QuerySet[Any]:
    return model._base_manager.filter(**{workspace_paths()[model]: workspace_id})


def owned_models(
    workspace_id: int, *, with_secrets: bool = False
) -> list[tuple[str, type[models.Model], QuerySet[Any]]]:
    """(label, model, rows) for every model with rows in the workspace, parents before children;
    credential models only `with_secrets` (a deletion removes them, an export leaves them out)."""
    found = []
    depth = workspace_paths()
    for model in sorted(depth, key=lambda m: (depth[m].count("__"), m._meta.label_lower)):
        if model._meta.label_lower in SECRET_MODELS and not with_secrets:
            continue
        found.append((model._meta.label_lower, model, rows_of(model, workspace_id)))
    return found


def mentions_of(workspace_id: int) -> QuerySet[Any]:
    from tamtam.listening.models import Mention

    return Mention.objects.filter(matches__workspace_id=workspace_id).distinct()


def authors_of(workspace_id: int) -> QuerySet[Any]:
    from tamtam.listening.models import ListeningAuthor

    return ListeningAuthor.objects.filter(
        Q(mention__matches__workspace_id=workspace_id) | Q(watches__workspace_id=workspace_id)
    ).distinct()
