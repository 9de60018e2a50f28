"""The sources page (adding each kind of source, errors naming the field, health, cursor, last fetch,
reviving a dead source) and the word cloud next to the trending terms, in English and French. Also a
Bluesky firehose source whose server is gone: reported on its row, flagged dead after five failures."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from listening_helpers import item

from tamtam.accounts.models import User, Workspace
from tamtam.channels.models import Channel
from tamtam.listening import analytics, network_sources, sources
from tamtam.listening.analytics import Trend
from tamtam.listening.models import Query, Source, SourceKind, SourceState
from tamtam.listening.pipeline import Pipeline

pytestmark = pytest.mark.django_db


def page_of(client: Client, ws: Workspace, lang: str = "en") -> str:
    return client.get(f"/w/{ws.pk}/listening/sources/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()


def add(client: Client, ws: Workspace, lang: str = "en", **data: object) -> tuple[int, str]:
    data.setdefault("interval_seconds", 300)
    response = client.post(f"/w/{ws.pk}/listening/sources/", data, HTTP_ACCEPT_LANGUAGE=lang)
    return response.status_code, response.content.decode()


def bluesky(workspace: Workspace, name: str = "Bluesky") -> Channel:
    return Channel.objects.create(
        workspace=workspace, network="bluesky", name=name, options={"api_base": "http://127.0.0.1:9"}
    )


def test_each_kind_of_source_is_added_from_the_page_and_errors_name_their_field(
    login: Callable[[User], Client],
    members: dict[str, User],
    workspace: Workspace,
    make_channel: Callable[..., Channel],
) -> None:
    client = login(members["manager"])
    sky, sandbox = bluesky(workspace), make_channel()

    status, html = add(client, workspace, kind="firehose", name="Firehose")
    assert status == 400
    assert 'data-testid="source-form-errors"' in html
    assert "Address: give the firehose address (e.g. wss://bsky.network) or a Bluesky channel" in html
    status, html = add(client, workspace, kind="firehose", name="Firehose", channel=sandbox.pk)
    assert status == 400
    assert "Channel: the firehose is read through a Bluesky channel" in html
    status, html = add(client, workspace, kind="firehose", name="Firehose", url="ftp://relay.example")
    assert "Address: a firehose address starting with wss://" in html
    status, html = add(client, workspace, kind="network", name="Search")
    assert status == 400
    assert "Channel: choose a channel of this workspace" in html
    status, html = add(client, workspace, kind="rss", name="Blog", url="https://blog.example/f", start_seq=-1)
    assert "Start from sequence number:" in html  # the form's own check, named too
    status, html = add(client, workspace, "fr", kind="rss", name="Blog", url="ftp://x")
    assert "La source n&#x27;a pas été ajoutée" in html or "La source n'a pas été ajoutée" in html
    assert "Adresse :" in html or "Adresse:" in html

    assert add(client, workspace, kind="firehose", name="Relay", url="wss://bsky.network")[0] == 302
    assert add(client, workspace, kind="firehose", name="Own PDS", channel=sky.pk, start_seq=0)[0] == 302
    assert (
        add(client, workspace, kind="network", name="Bluesky search", channel=sky.pk, search="lumen")[0]
        == 302
    )
    assert add(client, workspace, kind="network", name="Tag", channel=sandbox.pk, search="#lumen")[0] == 302
    assert add(client, workspace, kind="rss", name="Blog", url="https://blog.example/feed.xml")[0] == 302
    assert add(client, workspace, kind="sandbox", name="Demo")[0] == 302
    made = {s.name: s for s in Source.objects.filter(workspace=workspace)}
    assert set(made) == {"Relay", "Own PDS", "Bluesky search", "Tag", "Blog", "Demo"}
    assert (made["Relay"].kind, made["Relay"].url, made["Relay"].channel_id) == (
        "firehose",
        "wss://bsky.network",
        None,
    )
    assert (made["Own PDS"].channel_id, made["Own PDS"].options) == (sky.pk, {"start_seq": 0})
    assert made["Tag"].search == "#lumen"

    html = page_of(client, workspace)
    assert "from sequence number 0" in html
    assert "from the first run on" in html
    assert "the last seven days on the first run" in html
    assert html.count('data-health="new"') == 6
    french = page_of(client, workspace, "fr")
    assert "à partir du numéro de séquence 0" in french
    assert "Firehose Bluesky" in french
    assert "Pas encore lue" in french


def test_the_row_shows_health_cursor_and_last_fetch_and_a_dead_source_is_revived(
    login: Callable[[User], Client],
    members: dict[str, User],
    workspace: Workspace,
    make_source: Callable[..., Source],
) -> None:
    now = timezone.now()
    mark = {
        "newest": "2026-12-01T09:30:00+00:00",
        "ids": ["p1"],
        "resume": "c2",
        "floor": "",
        "floor_ids": [],
    }
    make_source(
        SourceKind.NETWORK,
        name="Search",
        cursor=json.dumps({"searches": {"lumen": mark}}),
        last_fetched_at=now,
        last_ok_at=now,
    )
    make_source(SourceKind.FIREHOSE, name="Hose", url="wss://relay.example", cursor="4242", last_ok_at=now)
    make_source(SourceKind.NETWORK, name="Sandbox search", cursor="1733140000:12")  # read forward
    dead = make_source(
        SourceKind.FIREHOSE,
        name="Gone",
        url="ws://127.0.0.1:9",
        state=SourceState.DEAD,
        consecutive_failures=5,
        last_error="Bluesky firehose: ConnectionRefusedError",
        last_fetched_at=now,
    )
    client = login(members["manager"])
    html = page_of(client, workspace)
    assert "1 searches, newest post read 2026-12-01 09:30 · 1 still reading a burst" in html
    assert "after sequence number 4242" in html
    assert "<small>1733140000:12</small>" in html
    assert html.count('data-health="ok"') == 2
    assert 'data-health="dead"' in html
    assert "Dead: press Try again once the cause is fixed" in html
    assert "5 failures in a row" in html
    assert "Bluesky firehose: ConnectionRefusedError" in html
    assert "Last success" in html
    french = page_of(client, workspace, "fr")
    assert "après le numéro de séquence 4242" in french
    assert "Hors service" in french

    response = client.post(f"/w/{workspace.pk}/listening/sources/{dead.pk}/revive/")
    assert response.status_code == 302
    dead.refresh_from_db()
    assert (dead.state, dead.consecutive_failures) == (SourceState.IDLE, 0)
    assert dead.due_at is not None


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed when the block ends: nothing listens there


def test_a_firehose_whose_server_is_gone_is_reported_then_flagged_dead(
    make_source: Callable[..., Source],
) -> None:
    source = make_source(SourceKind.FIREHOSE, url=f"ws://127.0.0.1:{closed_port()}", cursor="17")
    now = timezone.now()
    for n in range(sources.DEAD_AFTER):
        Source.objects.filter(pk=source.pk).update(due_at=now)
        claimed = sources.claim_due(now, 10, "w")
        assert claimed == [source.pk]
        outcome = sources.run_source(source.pk, "w", now=now)
        source.refresh_from_db()
        assert "Bluesky firehose" in source.last_error
        assert source.cursor == "17"  # never moved by a failed run
        assert outcome == ("dead" if n == sources.DEAD_AFTER - 1 else "failed")
        now += timedelta(hours=7)
    assert source.state == SourceState.DEAD
    assert network_sources.start_cursor(source) == 17


def test_a_firehose_address_is_turned_into_the_websocket_endpoint() -> None:
    from tamtam.networks.bluesky.firehose import websocket_base

    assert websocket_base("https://pds.example/") == "wss://pds.example/xrpc"
    assert websocket_base("http://127.0.0.1:2583") == "ws://127.0.0.1:2583/xrpc"
    assert websocket_base("wss://bsky.network/xrpc") == "wss://bsky.network/xrpc"
    with pytest.raises(ValueError, match="ftp://x"):
        websocket_base("ftp://x")


def test_the_word_cloud_sizes_terms_by_rise_and_weights_them_by_frequency() -> None:
    words = [Trend("batterie", 40, 2, 4.0), Trend("rappel", 5, 0, 1.0), Trend("velo", 20, 10, 2.5)]
    tags = [Trend("#lumenrecall", 12, 0, 3.0)]
    cloud = {c.term: c for c in analytics.word_cloud(words, tags)}
    assert [c.term for c in analytics.word_cloud(words, tags)] == [
        "batterie",
        "#lumenrecall",
        "rappel",
        "velo",
    ]
    assert cloud["batterie"].size == analytics.CLOUD_LARGEST
    assert cloud["rappel"].size == analytics.CLOUD_SMALLEST
    assert cloud["rappel"].size < cloud["velo"].size < cloud["#lumenrecall"].size < cloud["batterie"].size
    assert cloud["batterie"].weight == 800
    assert cloud["rappel"].weight < cloud["velo"].weight
    assert analytics.word_cloud([], []) == []


def test_the_trends_page_shows_the_word_cloud_in_both_languages(
    login: Callable[[User], Client],
    members: dict[str, User],
    workspace: Workspace,
    make_query: Callable[..., Query],
) -> None:
    make_query("lumen")
    now = timezone.now()
    recent = [
        "La batterie du lumen surchauffe encore ce matin, je suis inquiet",
        "Ma lumen : batterie qui surchauffe après une heure de route",
        "Surchauffe de la batterie sur le lumen de ma sœur, service client injoignable",
        "Quelqu'un d'autre a une lumen dont la batterie surchauffe en montée ?",
        "lumen rappel ? batterie brûlante et surchauffe signalées à Lyon",
    ]
    before = [
        "Livraison du lumen reçue hier, montage facile",
        "Balade de 40 km avec mon lumen, très agréable",
        "Le lumen est-il adapté aux côtes de Montmartre ?",
        "Comparatif lumen et kaldo sur un blog de cyclistes",
        "Mon lumen a un an, aucun souci à signaler",
        "Le lumen vu dans une vitrine à Nantes, joli design",
        "Essai du lumen au salon, accueil sympathique",
        "Promo sur le lumen chez un revendeur de Lille",
    ]
    items = [item(t, n, published_at=now - timedelta(hours=2)) for n, t in enumerate(recent)]
    items += [item(t, 100 + n, published_at=now - timedelta(days=3)) for n, t in enumerate(before)]
    Pipeline(sentiment_backend="lexicon").process(items, now=now)
    client = login(members["analyst"])
    html = client.get(f"/w/{workspace.pk}/listening/trends/").content.decode()
    assert 'data-testid="word-cloud"' in html
    assert 'data-term="batterie"' in html
    assert 'data-term="surchauffe"' in html
    assert 'data-term="lumen"' not in html  # as frequent before as now: not rising
    assert "font-size: 2.80rem" in html
    assert "Word cloud" in html
    assert "mentions.csv" in html
    french = client.get(f"/w/{workspace.pk}/listening/trends/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Nuage de mots" in french
    assert "Exporter les mentions (CSV)" in french
    assert "<script" not in html.split('data-testid="word-cloud"')[1].split("</section>")[0]
