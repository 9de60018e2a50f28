"""The Bluesky connector against the real AT Protocol stack (PLC, PDS and AppView from @atproto/dev-env).

What the connector wrote is read back from the PDS (the record as stored) or from the AppView (what
people see). The AppView indexes asynchronously: every read of it waits on a condition, with a bound.
"""

from __future__ import annotations

import struct
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from atproto import Client, models
from atproto_core.exceptions import AtProtocolError
from bsky_stack import Account, Stack, wait_for

from tamtam.networks.base import (
    ChannelContext,
    InboxKind,
    MediaItem,
    NeedsUser,
    Permanent,
    PublishRequest,
)
from tamtam.networks.bluesky import errors, rkeys
from tamtam.networks.bluesky.connector import POST, BlueskyConnector, connect, split_uri
from tamtam.networks.bluesky.richtext import facet_text

pytestmark = pytest.mark.peers

SINCE = datetime(2020, 1, 1, tzinfo=UTC)


def key() -> str:
    return str(uuid.uuid4())


def record(account_client: Client, uri: str) -> tuple[str, dict[str, Any]]:
    """(cid, the record as the PDS stores it)."""
    did, collection, rkey = split_uri(uri)
    got = account_client.com.atproto.repo.get_record(
        models.ComAtprotoRepoGetRecord.Params(repo=did, collection=collection, rkey=rkey)
    )
    value = (
        got.value.model_dump(by_alias=True, exclude_none=True)
        if hasattr(got.value, "model_dump")
        else got.value
    )
    return str(got.cid), dict(value)


def refs(value: dict[str, Any]) -> dict[str, dict[str, str]]:
    """A reply record's root and parent strong refs, as (uri, cid)."""
    reply = value["reply"]
    return {name: {"uri": reply[name]["uri"], "cid": reply[name]["cid"]} for name in ("root", "parent")}


def posts_with_key(account: Account, idempotency_key: str) -> list[str]:
    """Every post record in the account's repository published under this idempotency key."""
    uris, cursor = [], None
    while True:
        page = account.client.com.atproto.repo.list_records(
            models.ComAtprotoRepoListRecords.Params(
                repo=account.did, collection=POST, limit=100, cursor=cursor
            )
        )
        for rec in page.records:
            value = rec.value.model_dump(by_alias=True) if hasattr(rec.value, "model_dump") else rec.value
            if value.get(rkeys.KEY_FIELD) == idempotency_key:
                uris.append(rec.uri)
        cursor = page.cursor
        if not cursor or not page.records:
            return uris


def png(path: Path, rgb: tuple[int, int, int]) -> MediaItem:
    """A real 8x8 PNG file of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes(rgb) * 8 for _ in range(8))
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    path.write_bytes(data)
    return MediaItem(path=str(path), content_type="image/png", size=len(data))


# --- connecting and the session ------------------------------------------------------------------


def test_connect_gives_the_did_the_handle_and_a_session(bluesky_stack: Stack, brand: Account) -> None:
    did, handle, credentials = connect(brand.handle, bluesky_stack.app_password(brand), bluesky_stack.pds)

    assert (did, handle) == (brand.did, brand.handle)
    assert set(credentials) == {"identifier", "app_password", "session"}
    ctx = ChannelContext(0, handle, credentials, {"api_base": bluesky_stack.pds}, external_id=did)
    assert BlueskyConnector(ctx).check_connection() == brand.handle


def test_a_stored_session_is_reused_without_logging_in_again(bluesky_stack: Stack, brand: Account) -> None:
    did, handle, credentials = connect(brand.handle, bluesky_stack.app_password(brand), bluesky_stack.pds)
    # A wrong app password proves the calls ride on the stored session, not on a new log-in.
    credentials["app_password"] = "wrong-wrong-wrong-wrong"
    saved: list[dict[str, Any]] = []
    ctx = ChannelContext(0, handle, credentials, {"api_base": bluesky_stack.pds}, did, saved.append)

    assert BlueskyConnector(ctx).check_connection() == brand.handle
    assert saved == []


def test_a_refreshed_session_is_handed_over_to_be_stored(
    bluesky_stack: Stack, brand: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved: list[dict[str, Any]] = []
    connector = bluesky_stack.connector(brand, saved)
    before = connector.ctx.credentials["session"]
    client = connector.client()
    assert client._session is not None
    expires = datetime.fromtimestamp(client._session.access_jwt_payload.exp or 0, UTC)
    # The SDK refreshes a session close to its expiry: move its clock there (the PDS keeps real time).
    monkeypatch.setattr(Client, "get_current_time", lambda self: expires - timedelta(minutes=1))

    assert connector.check_connection() == brand.handle

    assert len(saved) == 1
    assert saved[0]["session"] != before
    assert saved[0]["app_password"] == connector.ctx.credentials["app_password"]
    assert connector.ctx.credentials["session"] == saved[0]["session"]


def test_a_refused_session_logs_in_again_with_the_app_password(bluesky_stack: Stack, brand: Account) -> None:
    did, handle, credentials = connect(brand.handle, bluesky_stack.app_password(brand), bluesky_stack.pds)
    parts = credentials["session"].split(":::")
    parts[2] = parts[2][:-6] + "AAAAAA"  # a damaged access token: the PDS refuses it
    credentials["session"] = ":::".join(parts)
    saved: list[dict[str, Any]] = []
    ctx = ChannelContext(0, handle, credentials, {"api_base": bluesky_stack.pds}, did, saved.append)

    assert BlueskyConnector(ctx).check_connection() == brand.handle
    assert len(saved) == 1
    assert saved[0]["session"] != credentials["session"]


def test_a_revoked_app_password_needs_the_user(bluesky_stack: Stack, brand: Account) -> None:
    name = f"revoked-{uuid.uuid4().hex[:4]}"
    password = str(
        brand.client.com.atproto.server.create_app_password(
            models.ComAtprotoServerCreateAppPassword.Data(name=name)
        ).password
    )
    did, handle, credentials = connect(brand.handle, password, bluesky_stack.pds)
    brand.client.com.atproto.server.revoke_app_password(
        models.ComAtprotoServerRevokeAppPassword.Data(name=name)
    )
    credentials["session"] = ""  # no session left: the app password must log in, and is refused
    ctx = ChannelContext(0, handle, credentials, {"api_base": bluesky_stack.pds}, external_id=did)

    with pytest.raises(NeedsUser, match="Invalid identifier or password"):
        BlueskyConnector(ctx).check_connection()
    with pytest.raises(NeedsUser, match="Invalid identifier or password"):
        connect(brand.handle, password, bluesky_stack.pds)


def test_disconnecting_ends_the_session_at_the_pds(bluesky_stack: Stack, brand: Account) -> None:
    connector = bluesky_stack.connector(brand)
    client = connector.client()

    connector.revoke()

    with pytest.raises(AtProtocolError) as refused:
        client._refresh_and_set_session()  # the refresh token is gone: the session cannot be renewed
    assert errors.xrpc_error(refused.value)[0] in {"ExpiredToken", "InvalidToken"}
    connector.revoke()  # a second disconnect finds nothing left, and says nothing


def test_the_pds_rate_limit_headers_are_read_on_each_write(bsky: BlueskyConnector) -> None:
    bsky.publish(PublishRequest(text="Compté", idempotency_key=key()))

    rate = bsky.last_rate
    assert rate is not None
    assert rate.limit is not None
    assert rate.remaining is not None
    assert rate.remaining < rate.limit
    assert rate.reset_at is not None
    assert rate.reset_at > datetime.now(UTC)


# --- publishing ------------------------------------------------------------------------------------


def test_a_post_with_a_link_a_mention_and_a_hashtag_has_facets_at_the_right_bytes(
    bsky: BlueskyConnector, brand: Account, fan: Account
) -> None:
    text = f"Lancement d'été ☀️ avec @{fan.handle} #printemps"
    link = "https://example.org/été?utm_source=bluesky"

    result = bsky.publish(PublishRequest(text=text, link=link, idempotency_key=key()))

    assert result.remote_id.startswith(f"at://{brand.did}/app.bsky.feed.post/")
    assert result.url == f"https://bsky.app/profile/{brand.did}/post/{split_uri(result.remote_id)[2]}"
    _, value = record(brand.client, result.remote_id)
    assert value["text"] == f"{text}\n{link}"
    found = {
        f["features"][0]["$type"].split("#")[1]: (facet_text(value["text"], f), f["features"][0])
        for f in value["facets"]
    }
    assert found["mention"] == (
        f"@{fan.handle}",
        {"$type": "app.bsky.richtext.facet#mention", "did": fan.did},
    )
    assert found["tag"][0] == "#printemps"
    assert found["link"][0] == link
    assert found["link"][1]["uri"] == link
    assert value["embed"]["$type"] == "app.bsky.embed.external"
    assert value["embed"]["external"]["uri"] == link


def test_a_post_with_two_images_keeps_their_alt_texts(
    bluesky_stack: Stack, bsky: BlueskyConnector, brand: Account, tmp_path: Path
) -> None:
    red, blue = png(tmp_path / "red.png", (255, 0, 0)), png(tmp_path / "blue.png", (0, 0, 255))
    red.alt_text, blue.alt_text = "Un carré rouge", "A blue square"

    result = bsky.publish(PublishRequest(text="Deux images", media=[red, blue], idempotency_key=key()))

    _, value = record(brand.client, result.remote_id)
    images = value["embed"]["images"]
    assert [i["alt"] for i in images] == ["Un carré rouge", "A blue square"]
    assert [i["image"]["mimeType"] for i in images] == ["image/png", "image/png"]
    assert [i["image"]["size"] for i in images] == [red.size, blue.size]

    def seen() -> Any:
        bluesky_stack.process_all()
        [post] = brand.client.get_posts([result.remote_id]).posts
        return post.embed

    embed = wait_for(seen, "the AppView to show the images")
    assert [i.alt for i in embed.images] == ["Un carré rouge", "A blue square"]


def test_too_many_images_or_too_long_a_text_is_refused_before_sending(
    bsky: BlueskyConnector, tmp_path: Path
) -> None:
    images = [png(tmp_path / f"{n}.png", (n, n, n)) for n in range(5)]
    with pytest.raises(Permanent, match="5 images; a post holds at most 4"):
        bsky.publish(PublishRequest(text="Trop", media=images, idempotency_key=key()))
    with pytest.raises(Permanent, match="301 characters"):
        bsky.publish(PublishRequest(text="é" * 301, idempotency_key=key()))


def test_a_three_post_thread_points_each_reply_at_its_parent_and_the_root(
    bsky: BlueskyConnector, brand: Account
) -> None:
    first = bsky.publish(PublishRequest(text="Fil 1/3", idempotency_key=key()))
    second = bsky.publish(
        PublishRequest(text="Fil 2/3", idempotency_key=key(), reply_to_remote_id=first.remote_id)
    )
    third = bsky.publish(
        PublishRequest(text="Fil 3/3", idempotency_key=key(), reply_to_remote_id=second.remote_id)
    )

    first_cid, first_value = record(brand.client, first.remote_id)
    second_cid, second_value = record(brand.client, second.remote_id)
    _, third_value = record(brand.client, third.remote_id)
    root = {"uri": first.remote_id, "cid": first_cid}
    assert "reply" not in first_value
    assert refs(second_value) == {"root": root, "parent": root}
    assert refs(third_value) == {"root": root, "parent": {"uri": second.remote_id, "cid": second_cid}}


def test_a_first_comment_is_a_reply_and_both_keys_come_back_from_list_recent(
    bluesky_stack: Stack, bsky: BlueskyConnector, brand: Account
) -> None:
    post_key = key()
    post = bsky.publish(PublishRequest(text="Avec un premier commentaire", idempotency_key=post_key))
    comment = bsky.reply(
        post.remote_id, PublishRequest(text="Le lien est ici", idempotency_key=f"{post_key}:first_comment")
    )

    cid, _ = record(brand.client, post.remote_id)
    _, value = record(brand.client, comment.remote_id)
    assert refs(value) == {
        "root": {"uri": post.remote_id, "cid": cid},
        "parent": {"uri": post.remote_id, "cid": cid},
    }

    def listed() -> dict[str, str]:
        bluesky_stack.process_all()
        keys = {r.remote_id: r.idempotency_key for r in bsky.list_recent(SINCE)}
        return keys if comment.remote_id in keys and post.remote_id in keys else {}

    keys = wait_for(listed, "the author feed to list the post and its comment")
    assert keys[post.remote_id] == post_key
    assert keys[comment.remote_id] == f"{post_key}:first_comment"


def test_publishing_again_with_the_same_key_gives_the_same_single_post(
    bsky: BlueskyConnector, brand: Account
) -> None:
    request_key = key()
    first = bsky.publish(PublishRequest(text="Une seule fois", idempotency_key=request_key))
    again = bsky.publish(PublishRequest(text="Une seule fois", idempotency_key=request_key))

    assert again.remote_id == first.remote_id
    assert split_uri(first.remote_id)[2] == rkeys.rkey_for(request_key)
    assert posts_with_key(brand, request_key) == [first.remote_id]


def test_delete_removes_the_post(bluesky_stack: Stack, bsky: BlueskyConnector, brand: Account) -> None:
    request_key = key()
    result = bsky.publish(PublishRequest(text="Éphémère", idempotency_key=request_key))

    bsky.delete(result.remote_id)

    assert posts_with_key(brand, request_key) == []
    bluesky_stack.process_all()
    assert result.remote_id not in {r.remote_id for r in bsky.list_recent(SINCE)}
    with pytest.raises(Permanent, match="only this account's own posts"):
        bsky.delete(result.remote_id.replace(brand.did, "did:plc:someoneelse"))


# --- the community ---------------------------------------------------------------------------------


def seen_by_everyone(stack: Stack, viewer: Account, uri: str) -> None:
    """Wait until the AppView shows the post, as a person would see it before answering it.

    Why: the AppView indexes each account's repository in its own queue. A reply indexed before its
    parent gets no reply notification (the AppView's out-of-order path skips the parent's author), a
    case that needs a person to answer a post faster than the AppView shows it."""

    def shown() -> bool:
        stack.process_all()
        return bool(viewer.client.get_posts([uri]).posts)

    wait_for(shown, f"the AppView to show {uri}")


def fan_posts(fan: Account, text: str, reply_to: str = "", mention: Account | None = None) -> str:
    facets = None
    if mention is not None:
        start = text.encode().index(f"@{mention.handle}".encode())
        facets = [
            models.AppBskyRichtextFacet.Main(
                features=[models.AppBskyRichtextFacet.Mention(did=mention.did)],
                index=models.AppBskyRichtextFacet.ByteSlice(
                    byte_start=start, byte_end=start + len(mention.handle.encode()) + 1
                ),
            )
        ]
    reply = None
    if reply_to:
        ref = models.create_strong_ref(fan.client.get_post(split_uri(reply_to)[2], split_uri(reply_to)[0]))
        reply = models.AppBskyFeedPost.ReplyRef(parent=ref, root=ref)
    return str(fan.client.send_post(text, reply_to=reply, facets=facets).uri)


def test_the_inbox_gets_a_reply_and_a_mention_once(
    bluesky_stack: Stack, bsky: BlueskyConnector, brand: Account, fan: Account
) -> None:
    ours = bsky.publish(PublishRequest(text="Votre avis ?", idempotency_key=key()))
    cursor = bsky.fetch_inbox().cursor  # start from now: earlier tests' notifications are not this one's
    seen_by_everyone(bluesky_stack, fan, ours.remote_id)
    reply_uri = fan_posts(fan, "Super idée !", reply_to=ours.remote_id)
    mention_uri = fan_posts(fan, f"Regardez @{brand.handle} aujourd'hui", mention=brand)

    def both() -> Any:
        bluesky_stack.process_all()
        page = bsky.fetch_inbox(cursor)
        return page if {i.remote_id for i in page.items} >= {reply_uri, mention_uri} else None

    page = wait_for(both, "the reply and the mention in the notifications", timeout=20)
    items = {i.remote_id: i for i in page.items}
    reply, mention = items[reply_uri], items[mention_uri]
    assert (reply.kind, reply.parent_remote_id, reply.root_remote_id) == (
        InboxKind.COMMENT,
        ours.remote_id,
        ours.remote_id,
    )
    assert reply.text == "Super idée !"
    assert (reply.author.remote_id, reply.author.handle) == (fan.did, fan.handle)
    assert (mention.kind, mention.parent_remote_id) == (InboxKind.MENTION, "")
    assert mention.text == f"Regardez @{brand.handle} aujourd'hui"

    bluesky_stack.process_all()
    again = bsky.fetch_inbox(page.cursor)
    assert again.items == []
    assert again.cursor == page.cursor


def test_like_likes_once_and_metrics_count_what_people_did(
    bluesky_stack: Stack, bsky: BlueskyConnector, brand: Account, fan: Account
) -> None:
    ours = bsky.publish(PublishRequest(text="Comptez-nous", idempotency_key=key()))
    seen_by_everyone(bluesky_stack, fan, ours.remote_id)
    cid, _ = record(brand.client, ours.remote_id)
    fan.client.like(ours.remote_id, cid)
    fan.client.repost(ours.remote_id, cid)
    fan_posts(fan, "Bien vu", reply_to=ours.remote_id)
    quote = models.AppBskyEmbedRecord.Main(
        record=models.ComAtprotoRepoStrongRef.Main(uri=ours.remote_id, cid=cid)
    )
    fan.client.send_post("À lire", embed=quote)
    fan.client.follow(brand.did)
    theirs = fan_posts(fan, "Un post du fan")

    bsky.like(theirs)
    bsky.like(theirs)  # the like's record key comes from the post: a second like is the same like

    def counted() -> Any:
        bluesky_stack.process_all()
        [metrics] = bsky.fetch_post_metrics([ours.remote_id])
        done = (metrics.likes, metrics.shares, metrics.comments, metrics.extra["quotes"]) == (1, 1, 1, 1)
        return metrics if done else None

    metrics = wait_for(counted, "the AppView to count the like, repost, reply and quote")
    assert (metrics.likes, metrics.shares, metrics.comments, metrics.extra) == (1, 1, 1, {"quotes": 1})

    def liked() -> Any:
        bluesky_stack.process_all()
        [post] = fan.client.get_posts([theirs]).posts
        return post if post.like_count == 1 else None

    wait_for(liked, "the fan's post to show our like")
    likes = brand.client.com.atproto.repo.list_records(
        models.ComAtprotoRepoListRecords.Params(repo=brand.did, collection="app.bsky.feed.like", limit=100)
    ).records
    assert [r.value.subject.uri for r in likes].count(theirs) == 1

    def followed() -> Any:
        bluesky_stack.process_all()
        account = bsky.fetch_account_metrics()
        return account if account.followers == 1 else None

    account = wait_for(followed, "the AppView to count the new follower")
    repo_posts = brand.client.com.atproto.repo.list_records(
        models.ComAtprotoRepoListRecords.Params(repo=brand.did, collection=POST, limit=100)
    ).records
    assert (account.followers, account.following) == (1, 0)
    assert account.posts == len(repo_posts)


def test_search_finds_a_post_by_a_word(bluesky_stack: Stack, bsky: BlueskyConnector, brand: Account) -> None:
    word = f"tamtam{uuid.uuid4().hex[:8]}"
    result = bsky.publish(PublishRequest(text=f"Le mot du jour : {word}", idempotency_key=key()))

    def found() -> Any:
        bluesky_stack.process_all()
        page = bsky.search(word)
        return page if page.items else None

    page = wait_for(found, "search to find the post")
    [item] = page.items
    assert (item.remote_id, item.author.remote_id, item.url) == (result.remote_id, brand.did, result.url)
    assert word in item.text
    assert bsky.search(f"absent{uuid.uuid4().hex}").items == []
