"""Inbox search: the words of the messages' texts and of their authors' handles and names.

Every word of the query must appear in one message of the conversation, as a word or the start of
one ("livr" finds "livraison"), whatever the case and the accents ("reçu", "Recu" and "REÇU" are the
same word). Words are runs of letters and digits: "@zoe_martin" is the words "zoe" and "martin",
"l'équipe" is "l" and "equipe", "bit.ly/promo" is "bit", "ly" and "promo".

One service function (`matching`), one index per database, so that a search over 200,000 items
reads the index instead of every text:
- SQLite: an FTS5 table `inbox_message_fts` over `inbox_message` (external content: the texts are
  not stored twice), tokenizer unicode61 with diacritics removed, kept in step by triggers;
- PostgreSQL: a GIN index on `tamtam_inbox_document(text, author_handle, author_name)`, a
  `to_tsvector('simple', …)` of the unaccented text (the unaccent extension), where the characters the
  PostgreSQL parser would keep inside a token (. / @ :) are separators, as in FTS5.
A query with no word at all (emoji only, punctuation) is matched as a substring of the texts (no index
serves it; such queries are rare and short).

`ensure_index` creates what is missing (the migration calls it, and so does post_migrate: SQLite's
way of altering a table rebuilds it and drops its triggers, which would silently stop indexing).
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

import regex
from django.db import connection as default_connection
from django.db.models import BooleanField, Exists, OuterRef, Q
from django.db.models.expressions import RawSQL

log = logging.getLogger(__name__)

MAX_WORDS = 12  # a pasted paragraph must not become a 200-term query
_WORD = regex.compile(r"[\p{L}\p{N}]+")

FTS_TABLE = "inbox_message_fts"
_SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS inbox_message_fts USING fts5("
    "text, author_handle, author_name, content='inbox_message', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')"
)
_SQLITE_TRIGGERS = {
    "inbox_message_fts_ai": (
        "CREATE TRIGGER IF NOT EXISTS inbox_message_fts_ai AFTER INSERT ON inbox_message BEGIN "
        "INSERT INTO inbox_message_fts(rowid, text, author_handle, author_name) "
        "VALUES (new.id, new.text, new.author_handle, new.author_name); END"
    ),
    "inbox_message_fts_ad": (
        "CREATE TRIGGER IF NOT EXISTS inbox_message_fts_ad AFTER DELETE ON inbox_message BEGIN "
        "INSERT INTO inbox_message_fts(inbox_message_fts, rowid, text, author_handle, author_name) "
        "VALUES ('delete', old.id, old.text, old.author_handle, old.author_name); END"
    ),
    "inbox_message_fts_au": (
        "CREATE TRIGGER IF NOT EXISTS inbox_message_fts_au AFTER UPDATE OF text, author_handle, author_name "
        "ON inbox_message BEGIN "
        "INSERT INTO inbox_message_fts(inbox_message_fts, rowid, text, author_handle, author_name) "
        "VALUES ('delete', old.id, old.text, old.author_handle, old.author_name); "
        "INSERT INTO inbox_message_fts(rowid, text, author_handle, author_name) "
        "VALUES (new.id, new.text, new.author_handle, new.author_name); END"
    ),
}

PG_INDEX = "inbox_msg_search"
_PG_DOCUMENT = (
    "CREATE OR REPLACE FUNCTION tamtam_inbox_document(body text, handle text, name text) "
    "RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
    "SELECT to_tsvector('simple'::regconfig, tamtam_unaccent(translate("
    "coalesce(body, '') || ' ' || coalesce(handle, '') || ' ' || coalesce(name, ''), './@:', '    '))) $$"
)
_PG_INDEX = (
    f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON inbox_message "
    "USING gin (tamtam_inbox_document(text, author_handle, author_name))"
)


def words(query: str) -> list[str]:
    """The words of a query, in order, each once (compatibility forms folded: "ﬁ" is "fi")."""
    seen: list[str] = []
    for word in _WORD.findall(unicodedata.normalize("NFKC", query)):
        low = word.lower()
        if low not in seen:
            seen.append(low)
    return seen[:MAX_WORDS]


def matching(query: str, *, using: Any = None, narrowed: bool = False) -> Q:
    """A filter on conversations: those with a message matching every word of `query`.

    `narrowed`: the other filters select a small part of the inbox (one status): on SQLite the
    conversations are then read from their own index and checked against the messages found,
    instead of read one by one for every message found (thousands, for common words)."""
    from tamtam.inbox.models import Message

    conn = using or default_connection
    found = words(query)
    if not found:
        needle = query.strip().lstrip("@")
        hit = Message.objects.filter(conversation=OuterRef("pk")).filter(
            Q(text__icontains=query.strip())
            | Q(author_handle__icontains=needle)
            | Q(author_name__icontains=needle)
        )
        return Q(Exists(hit))
    if conn.vendor == "sqlite":
        # Each word quoted (it holds letters and digits only) and a prefix; words side by side: AND.
        expression = " ".join(f'"{w}"*' for w in found)
        sql = (
            # INDEXED BY: the narrow (id, conversation_id) index, not one wide row per message found
            # (the planner's choice; twice as slow for common words).
            "SELECT m.conversation_id FROM inbox_message m INDEXED BY inbox_msg_to_conv WHERE m.id IN "
            "(SELECT rowid FROM inbox_message_fts WHERE inbox_message_fts MATCH %s)"
        )
        if narrowed:
            # The unary + keeps SQLite's planner from driving the query by the ids found (a
            # documented way to disqualify a term from index use): it scans the filtered index.
            test = RawSQL(  # noqa: S611 (constant SQL, the query bound)
                f'+"inbox_conversation"."id" IN ({sql})', [expression], output_field=BooleanField()
            )
            return Q(test)
        return Q(pk__in=RawSQL(sql, [expression]))  # noqa: S611 (constant SQL, the query bound)
    if conn.vendor == "postgresql":
        expression = " & ".join(f"'{w}':*" for w in found)
        sql = (
            "SELECT m.conversation_id FROM inbox_message m WHERE "
            "tamtam_inbox_document(m.text, m.author_handle, m.author_name) "
            "@@ to_tsquery('simple'::regconfig, tamtam_unaccent(%s))"
        )
        return Q(pk__in=RawSQL(sql, [expression]))  # noqa: S611 (constant SQL, the query bound)
    # Another database: every word as a case-insensitive substring of one message (no accent folding).
    hit = Message.objects.filter(conversation=OuterRef("pk"))
    for word in found:
        hit = hit.filter(
            Q(text__icontains=word) | Q(author_handle__icontains=word) | Q(author_name__icontains=word)
        )
    return Q(Exists(hit))


# --- the indexes ---------------------------------------------------------------------------------------


def _sqlite_ensure(cursor: Any) -> None:
    cursor.execute(_SQLITE_TABLE)
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'inbox_message'")
    present = {row[0] for row in cursor.fetchall()}
    missing = [name for name in _SQLITE_TRIGGERS if name not in present]
    for name in missing:
        cursor.execute(_SQLITE_TRIGGERS[name])
    if missing:
        # Rows written while a trigger was missing were not indexed: rebuild from the table (the whole
        # index; only after a migration that rebuilt inbox_message, or the first time).
        cursor.execute("INSERT INTO inbox_message_fts(inbox_message_fts) VALUES ('rebuild')")


def _pg_ensure(cursor: Any) -> None:
    cursor.execute("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent'")
    row = cursor.fetchone()
    if row is None:
        try:
            cursor.execute("SAVEPOINT tamtam_unaccent")
            cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
            cursor.execute("RELEASE SAVEPOINT tamtam_unaccent")
            cursor.execute(
                "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent'"
            )
            row = cursor.fetchone()
        except Exception:
            cursor.execute("ROLLBACK TO SAVEPOINT tamtam_unaccent")
            log.warning(
                "the unaccent extension cannot be created here: inbox search keeps accents on PostgreSQL"
            )
    if row is not None:
        schema = row[0]
        # unaccent() is STABLE (its dictionary could change); an index needs IMMUTABLE, so the
        # dictionary is named explicitly and the wrapper declared immutable (the usual recipe).
        body = f"SELECT {schema}.unaccent('{schema}.unaccent'::regdictionary, $1)"
    else:
        body = "SELECT $1"
    cursor.execute(
        "CREATE OR REPLACE FUNCTION tamtam_unaccent(text) RETURNS text "
        f"LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$ {body} $$"
    )
    cursor.execute(_PG_DOCUMENT)
    # CREATE INDEX (even IF NOT EXISTS) is refused in a transaction with pending deferred-constraint
    # events on the table (a test's, or a data migration's): only build it when it is missing.
    cursor.execute("SELECT to_regclass(%s)", [PG_INDEX])
    if cursor.fetchone()[0] is None:
        cursor.execute(_PG_INDEX)


def ensure_index(conn: Any = None) -> None:
    """Create the search index of this database if anything of it is missing (idempotent)."""
    conn = conn or default_connection
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            _sqlite_ensure(cursor)
        elif conn.vendor == "postgresql":
            _pg_ensure(cursor)


def drop_index(conn: Any = None) -> None:
    conn = conn or default_connection
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            for name in _SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
        elif conn.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
            cursor.execute("DROP FUNCTION IF EXISTS tamtam_inbox_document(text, text, text)")
            cursor.execute("DROP FUNCTION IF EXISTS tamtam_unaccent(text)")
