"""Inbox search through its index (SQLite FTS5, PostgreSQL GIN full-text): words as prefixes, case and
accents ignored, every word required, authors searched, the index following new and deleted items, one
workspace never seeing another's. Runs on whichever database the suite runs on (both in CI)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from tamtam.inbox import search, services
from tamtam.inbox.ingest import store_items
from tamtam.inbox.models import Conversation, Message
from tamtam.networks.base import Author, InboxItem, InboxKind
from tamtam.work.db import write_transaction

pytestmark = pytest.mark.django_db

TEXTS = {
    "a": ("Commande jamais reçue, je veux être REMBOURSÉ", "zoe_martin", "Zoé Martin"),
    "b": ("Super vélo, merci à toute l'équipe !", "hugo_petit", "Hugo Petit"),
    "c": ("Do you ship to Canada? Delivery to Montréal please", "liam", ""),
    "d": ("J'adore 😍😍", "ines", "Inès"),
    "e": ("Promo ici bit.ly/gain-facile", "spammy", ""),
}


def _item(remote_id: str, text: str, handle: str, name: str) -> InboxItem:
    return InboxItem(
        remote_id=remote_id,
        kind=InboxKind.COMMENT,
        text=text,
        author=Author(remote_id=f"u-{handle}", handle=handle, name=name),
        created_at=datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
        parent_remote_id=f"post-{remote_id}",
        root_remote_id=f"post-{remote_id}",  # one conversation per item: easy to tell apart
    )


def _store(channel, texts=TEXTS) -> None:
    with write_transaction():
        store_items(channel, [_item(rid, *values) for rid, values in texts.items()])


def _found(workspace_id: int, query: str) -> set[str]:
    filters = services.Filters(q=query, status="any", include_spam=True)
    convs = services.conversations(workspace_id, None, filters)
    return {key.split("post-")[1] for key in convs.values_list("key", flat=True)}


@pytest.fixture
def channel(make_channel):
    ch = make_channel()
    _store(ch)
    return ch


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("recue", {"a"}),  # the accent of the text is not needed
        ("REÇUE", {"a"}),  # nor the case, and an accent in the query is fine too
        ("rembours", {"a"}),  # a word's start finds it
        ("commande recue", {"a"}),  # every word, in one message
        ("commande canada", set()),  # … not spread over two conversations
        ("equipe", {"b"}),  # l'équipe: the elided article is a word of its own
        ("velo", {"b"}),
        ("montreal", {"c"}),
        ("@zoe_martin", {"a"}),  # the author's handle
        ("zoe", {"a"}),  # the author's name, without its accent
        ("Inès", {"d"}),
        ("gain", {"e"}),  # a word inside a link
        ("😍", {"d"}),  # no word at all: a substring of the texts
        ("livraison", set()),
    ],
)
def test_search_matches_words_whatever_the_case_and_the_accents(channel, query, expected):
    assert _found(channel.workspace_id, query) == expected


SCRIPTS = {
    "r": ("شكرا على التوصيل السريع", "layla", "ليلى"),
    "h": ("תודה על המשלוח", "noa", "נועה"),
    "k": ("配送はいつですか", "yui", ""),
    "g": ("Ωραίο ποδήλατο", "nikos", ""),
    "o": ("Black OR white, -10% *today*", "shop", ""),
}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("التوصيل", {"r"}),  # Arabic, word by word
        ("ليلى", {"r"}),  # an author's name in Arabic
        ("המשלוח", {"h"}),  # Hebrew
        ("配送", {"k"}),  # Chinese or Japanese: from the start of a run of characters only
        ("いつ", set()),
        ("Ποδήλατο", {"g"}),  # Greek, whatever the case (accents are folded for Latin letters only)
        ("cheval", set()),  # no stemming (docs/inbox.md: Search)
        ("black OR", {"o"}),  # OR is the word "or", not an operator
        ('"white" -black *today*', {"o"}),  # quotes, - and * are punctuation
    ],
)
def test_search_in_other_scripts_and_without_operators(channel, query, expected):
    _store(channel, SCRIPTS)
    assert _found(channel.workspace_id, query) == expected


def test_new_items_are_searchable_at_once_and_deleted_ones_are_gone(channel):
    _store(channel, {"f": ("Toujours pas de nouvelles de ma commande", "camille", "Camille")})
    assert _found(channel.workspace_id, "nouvelles") == {"f"}
    assert _found(channel.workspace_id, "commande") == {"a", "f"}
    Conversation.objects.filter(channel=channel, key="thread:post-f").delete()  # cascades to the message
    assert _found(channel.workspace_id, "commande") == {"a"}
    assert _found(channel.workspace_id, "nouvelles") == set()


def test_an_edited_text_is_searched_as_it_now_reads(channel):
    Message.objects.filter(remote_id="b").update(text="Livraison rapide à Lyon")
    assert _found(channel.workspace_id, "lyon") == {"b"}
    assert _found(channel.workspace_id, "equipe") == set()


def test_one_workspace_never_finds_another_workspaces_items(channel, make_channel, make_workspace):
    other = make_channel(ws=make_workspace())
    _store(other, {"z": ("Commande jamais reçue ailleurs", "autre", "")})
    assert _found(channel.workspace_id, "ailleurs") == set()
    assert _found(other.workspace_id, "commande") == {"z"}
    assert _found(channel.workspace_id, "commande") == {"a"}


def test_search_combines_with_the_other_filters(channel):
    Conversation.objects.filter(channel=channel, key="thread:post-a").update(status="closed")
    open_only = services.conversations(channel.workspace_id, None, services.Filters(q="commande"))
    assert list(open_only) == []
    filters = services.Filters(q="commande", status="closed")
    closed = services.conversations(channel.workspace_id, None, filters)
    assert [c.key for c in closed] == ["thread:post-a"]


def test_the_query_reads_the_index(channel):
    qs = services.conversations(channel.workspace_id, None, services.Filters(q="commande"))
    sql = str(qs.query)
    if connection.vendor == "sqlite":
        assert "inbox_message_fts MATCH" in sql
    else:
        assert "tamtam_inbox_document" in sql
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")  # the planner would scan a five-row table
            cursor.execute(
                "EXPLAIN SELECT id FROM inbox_message WHERE tamtam_inbox_document(text, author_handle, "
                "author_name) @@ to_tsquery('simple', tamtam_unaccent('commande:*'))"
            )
            plan = " ".join(row[0] for row in cursor.fetchall())
            cursor.execute("SET enable_seqscan = on")
        assert search.PG_INDEX in plan


def test_ensure_index_repairs_a_missing_trigger_and_reindexes(channel):
    if connection.vendor != "sqlite":
        search.ensure_index()  # idempotent on PostgreSQL: nothing to repair, nothing breaks
        assert _found(channel.workspace_id, "commande") == {"a"}
        return
    with connection.cursor() as cursor:
        # What SQLite's table rebuild (a later migration of inbox_message) does to its triggers.
        cursor.execute("DROP TRIGGER inbox_message_fts_ai")
    _store(channel, {"g": ("Colis perdu", "sam", "")})
    assert _found(channel.workspace_id, "colis") == set()  # not indexed without the trigger
    search.ensure_index()
    assert _found(channel.workspace_id, "colis") == {"g"}
    assert _found(channel.workspace_id, "commande") == {"a"}
    _store(channel, {"h": ("Colis retrouvé", "sam", "")})
    assert _found(channel.workspace_id, "colis") == {"g", "h"}


def test_words_of_a_query():
    assert search.words("  @Zoé_Martin, l'équipe!! ﬁn fin ") == ["zoé", "martin", "l", "équipe", "fin"]
    assert search.words("😍 !!") == []
    assert len(search.words(" ".join(f"w{i}" for i in range(50)))) == search.MAX_WORDS


def test_the_inbox_page_and_the_api_search(channel, members, login, client, token_api):
    user = members["community"]
    login(user)
    page = client.get(f"/w/{channel.workspace_id}/inbox/", {"q": "recue", "status": "any", "spam": "1"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "REMBOURSÉ" in body
    assert "Montréal" not in body
    # The API takes bearer tokens only (a session cookie is refused: no CSRF surface).
    status, body_json = token_api(user).call(
        "get", f"/workspaces/{channel.workspace_id}/inbox/conversations", q="montreal"
    )
    assert status == 200
    assert [i["last_text"] for i in body_json["items"]] == [TEXTS["c"][0]]
    assert body_json["count"] == 1
    # A search's total and its page come from one pass over its matches: offset and limit apply.
    # "a" starts "à" (b) and "adore" (d).
    pages = []
    for offset in (0, 1):
        status, body_json = token_api(user).call(
            "get", f"/workspaces/{channel.workspace_id}/inbox/conversations", q="a", limit=1, offset=offset
        )
        assert status == 200
        assert body_json["count"] == 2
        pages += [i["last_text"] for i in body_json["items"]]
    assert sorted(pages) == sorted([TEXTS["b"][0], TEXTS["d"][0]])
