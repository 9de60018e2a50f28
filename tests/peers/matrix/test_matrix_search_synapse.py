"""Matrix search for listening, against a real Synapse: the account's joined rooms are searched on
the homeserver (`POST /search`), newest first, the account's own messages left out, with a cursor
that pages through the rest; a listening source on the Matrix channel stores each message once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tamtam.channels.models import Channel
from tamtam.listening import services, sources
from tamtam.listening.models import Mention, SourceKind
from tamtam.networks.base import ChannelContext, PublishRequest
from tamtam.networks.matrix.connector import Matrix

pytestmark = pytest.mark.peers


def make_room(synapse, token: str, alias: str) -> str:  # type: ignore[no-untyped-def]
    answer = synapse.api(token).post(
        "/_matrix/client/v3/createRoom", json={"room_alias_name": alias, "preset": "public_chat"}
    )
    answer.raise_for_status()
    return str(answer.json()["room_id"])


def say(synapse, token: str, room_id: str, txn: str, text: str) -> str:  # type: ignore[no-untyped-def]
    answer = synapse.api(token).put(
        f"/_matrix/client/v3/rooms/{room_id}/send/m.room.message/{txn}",
        json={"msgtype": "m.text", "body": text},
    )
    answer.raise_for_status()
    return str(answer.json()["event_id"])


def test_matrix_synapse_search_finds_others_messages_in_every_joined_room_newest_first(synapse, workspace):  # type: ignore[no-untyped-def]
    synapse.register("searchshop")
    synapse.register("searchfan")
    shop_token, fan_token = synapse.login("searchshop"), synapse.login("searchfan")
    main_room = make_room(synapse, shop_token, "searchmain")
    other_room = make_room(synapse, fan_token, "searchother")
    fan = synapse.api(fan_token)
    fan.post(f"/_matrix/client/v3/join/{main_room}", json={}).raise_for_status()
    synapse.api(shop_token).post(f"/_matrix/client/v3/join/{other_room}", json={}).raise_for_status()
    shop = Matrix(
        ChannelContext(1, "", {"access_token": shop_token}, {"api_base": synapse.base, "room_id": main_room})
    )
    shop.publish(PublishRequest(text="Notre kaldoquinze arrive", idempotency_key="ours-1"))
    first = say(synapse, fan_token, main_room, "f1", "Le kaldoquinze est génial")
    second = say(synapse, fan_token, other_room, "f2", "Quelqu'un a essayé le kaldoquinze ?")
    say(synapse, fan_token, main_room, "f3", "rien à voir")

    page = shop.search("kaldoquinze")
    assert [p.remote_id for p in page.items] == [second, first]  # newest first, ours left out
    found = page.items[0]
    assert (found.author.remote_id, found.raw["room_id"]) == ("@searchfan:tamtam.test", other_room)
    assert found.url.startswith("https://matrix.to/#/")
    assert found.created_at <= timezone.now()

    one = shop.search("kaldoquinze", limit=1)  # a page of one, and the cursor to the next
    assert [p.remote_id for p in one.items] == [second]
    assert one.has_more
    rest = shop.search("kaldoquinze", cursor=one.cursor, limit=1)
    assert [p.remote_id for p in rest.items] == [first]

    # Through the listening worker: a Network search source on the Matrix channel.
    channel = Channel.objects.create(
        workspace=workspace,
        network="matrix",
        name="Matrix",
        handle="@searchshop:tamtam.test",
        options={"api_base": synapse.base, "room_id": main_room, "user_id": "@searchshop:tamtam.test"},
    )
    channel.set_credentials({"access_token": shop_token})
    channel.save()
    services.save_query(workspace, name="Kaldo", expression="kaldoquinze")
    source = services.save_source(
        workspace, kind=SourceKind.NETWORK, name="Matrix rooms", channel_id=channel.pk
    )
    now = timezone.now()
    for minutes in (0, 5):
        at = now + timedelta(minutes=minutes)
        for pk in sources.claim_due(at, 50, "matrix-search"):
            sources.run_source(pk, "matrix-search", now=at)
        type(source).objects.filter(pk=source.pk).update(due_at=at)
    assert set(Mention.objects.values_list("remote_id", flat=True)) == {first, second}
