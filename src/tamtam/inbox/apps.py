from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_search_index(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    # SQLite alters a table by rebuilding it, which drops its triggers: a later migration of
    # inbox_message would silently stop the search index from following new messages.
    from django.db import connections

    from tamtam.inbox import search

    conn = connections[using]
    if "inbox_message" in conn.introspection.table_names():
        search.ensure_index(conn)


class InboxConfig(AppConfig):
    name = "tamtam.inbox"
    label = "inbox"

    def ready(self) -> None:
        post_migrate.connect(_ensure_search_index, sender=self)
