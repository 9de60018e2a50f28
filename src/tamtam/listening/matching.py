"""The process's compiled matcher over every enabled query of every workspace, rebuilt when the
queries change: a cheap version stamp (count, last change, sum of ids) is read once per batch."""

from __future__ import annotations

import threading

from django.db.models import Count, Max, Sum

from tamtam.listening.matcher import Hits, Matcher
from tamtam.listening.models import Query

__all__ = ["Hits", "Matcher", "current", "version"]

_lock = threading.Lock()
_matcher: Matcher | None = None


def version() -> tuple[object, ...]:
    stamp = Query.objects.filter(enabled=True).aggregate(n=Count("id"), last=Max("updated_at"), ids=Sum("id"))
    # Disabling or deleting a query changes the count or the sum; editing one changes `last`.
    total = Query.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    return (stamp["n"], stamp["last"], stamp["ids"], total["n"], total["last"])


def current() -> Matcher:
    """The matcher for the queries as they are now (compiled again only when they changed)."""
    global _matcher
    stamp = version()
    matcher = _matcher
    if matcher is not None and matcher.version == stamp:
        return matcher
    with _lock:
        if _matcher is not None and _matcher.version == stamp:
            return _matcher
        rows = list(
            Query.objects.filter(enabled=True).values_list("pk", "workspace_id", "expression", "languages")
        )
        matcher = Matcher.build(((pk, expr, langs or []) for pk, _, expr, langs in rows), version=stamp)
        matcher.workspace_of = {pk: ws for pk, ws, _, _ in rows}
        _matcher = matcher
        return matcher
