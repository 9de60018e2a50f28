"""The search index of the inbox's messages (inbox/search.py): FTS5 on SQLite, GIN on PostgreSQL."""

from django.db import migrations


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    from tamtam.inbox import search

    search.ensure_index(schema_editor.connection)


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    from tamtam.inbox import search

    search.drop_index(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
