"""Bluesky through the `atproto` SDK: an app password, a PDS (bsky.social or the account's own).

Credentials (encrypted by the caller): `identifier` (handle or DID), `app_password`, and `session`, the
SDK's exported session string (access + refresh tokens). The session is reused so that each call does
not log in again; the SDK refreshes it before the access token expires, and each new session is handed
to `update_credentials` at once, because a refresh token is single-use: losing the new one would force a
log-in. When the session is refused the app password logs in again; when that is refused too, the
person must reconnect (`NeedsUser`).

Posts are written with `com.atproto.repo.createRecord` under a record key derived from the step's
idempotency key (rkeys.py): a repeated publish finds the record already there and returns it, so the
network itself guarantees one post per step.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

import httpx
from atproto import Client, models
from atproto_client import exceptions as sdk
from atproto_client.client.session import Session, SessionEvent
from atproto_client.models.utils import get_or_create

from tamtam.networks import linkpreview
from tamtam.networks.base import (
    AccountMetrics,
    Ambiguous,
    Author,
    Capability,
    ChannelContext,
    Connector,
    ConnectorError,
    FoundPost,
    InboxPage,
    MediaItem,
    NeedsUser,
    Permanent,
    PostMetrics,
    PublishRequest,
    PublishResult,
    RemotePost,
    RetryAfter,
    SearchPage,
    check_send_deadline,
)
from tamtam.networks.bluesky import errors, richtext, rkeys
from tamtam.networks.bluesky.inbox import InboxCursor, notification_item
from tamtam.networks.bluesky.limits import LIMITS
from tamtam.networks.registry import register

T = TypeVar("T")
DEFAULT_SERVICE = "https://bsky.social"
POST = "app.bsky.feed.post"
LIKE = "app.bsky.feed.like"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# Refusals a new log-in cannot fix: the account itself is suspended or needs a person's second factor.
NO_RELOGIN = frozenset({"AccountTakedown", "AccountDeactivated", "AuthFactorTokenRequired"})
THUMB_MAX_BYTES = 1_000_000  # app.bsky.embed.external#external thumb: the lexicon's maxSize
MAX_PAGES = 10  # listing and inbox pages per call: a bound, never a loop on a misbehaving server


def post_url(uri: str) -> str:
    """The bsky.app address of a post, by DID (permanent, unlike a handle)."""
    did, collection, rkey = split_uri(uri)
    return f"https://bsky.app/profile/{did}/post/{rkey}" if collection == POST else ""


def split_uri(uri: str) -> tuple[str, str, str]:
    """at://DID/COLLECTION/RKEY → its three parts; Permanent for anything else."""
    parts = uri.removeprefix("at://").split("/") if uri.startswith("at://") else []
    if len(parts) != 3 or not all(parts):
        raise Permanent(f"Bluesky: {uri!r} is not a post address (at://did/collection/rkey)")
    return parts[0], parts[1], parts[2]


def parse_time(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _sdk_client(
    service_url: str, transport: httpx.BaseTransport | None
) -> tuple[Client, errors.RecordingRequest]:
    kwargs: dict[str, Any] = {"timeout": TIMEOUT}
    if transport is not None:
        kwargs["transport"] = transport
    request = errors.RecordingRequest(**kwargs)
    return Client(base_url=service_url.rstrip("/") or DEFAULT_SERVICE, request=request), request


def connect(
    handle: str,
    app_password: str,
    service_url: str = DEFAULT_SERVICE,
    *,
    transport: httpx.BaseTransport | None = None,
) -> tuple[str, str, dict[str, Any]]:
    """Log in with an app password: (external_id = the DID, the handle, the credentials to encrypt).

    Raises NeedsUser with Bluesky's own words when the handle or the app password is refused."""
    identifier = handle.strip().removeprefix("@")
    if not identifier or not app_password.strip():
        raise NeedsUser("Bluesky: the handle and the app password are both required")
    client, _ = _sdk_client(service_url or DEFAULT_SERVICE, transport)
    try:
        session = client._get_and_set_session(identifier, app_password.strip())
    except sdk.AtProtocolError as exc:
        error = errors.to_contract(exc, write=False)
        if isinstance(error, Permanent):  # a 400 on log-in: a malformed handle or password
            raise NeedsUser(error.message, status_code=error.status_code) from exc
        raise error from exc
    finally:
        client.request.close()
    credentials = {
        "identifier": identifier,
        "app_password": app_password.strip(),
        "session": client.export_session_string(),
    }
    return session.did, session.handle, credentials


@register
class BlueskyConnector(Connector):
    network = "bluesky"
    label = "Bluesky"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.PUBLISH,
            Capability.DELETE,
            Capability.REPLY,
            Capability.LIST_RECENT,
            Capability.FETCH_INBOX,
            Capability.FETCH_METRICS,
            Capability.SEARCH,
            Capability.IDEMPOTENT_PUBLISH,
            Capability.FIRST_COMMENT,
            Capability.THREAD,
            Capability.LIKE,
            Capability.REVOKE,
        }
    )
    limits = LIMITS

    def __init__(self, ctx: ChannelContext, *, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(ctx)
        self._transport = transport
        self._client: Client | None = None
        self._request: errors.RecordingRequest | None = None

    connect = staticmethod(connect)

    # --- session --------------------------------------------------------------------------------

    def service_url(self) -> str:
        return str(self.ctx.options.get("api_base") or DEFAULT_SERVICE)

    def client(self) -> Client:
        if self._client is None:
            client, request = _sdk_client(self.service_url(), self._transport)
            client.on_session_change(self._session_changed)
            stored = self.ctx.credentials.get("session", "")
            if stored:
                # An import only decodes the string: no network call until the first request.
                client.login(session_string=stored, fetch_bsky_profile=False)
            self._client, self._request = client, request
            if not stored:
                self._log_in()
        return self._client

    def _session_changed(self, event: SessionEvent, session: Session) -> None:
        if event in (SessionEvent.CREATE, SessionEvent.REFRESH):
            exported = session.encode()
            if exported != self.ctx.credentials.get("session"):
                self.update_credentials({"session": exported})

    def _log_in(self) -> None:
        identifier = self.ctx.credentials.get("identifier") or self.ctx.external_id or self.ctx.handle
        password = self.ctx.credentials.get("app_password", "")
        if not identifier or not password:
            raise NeedsUser("Bluesky: no app password stored for this account; reconnect it")
        assert self._client is not None
        try:
            self._client._get_and_set_session(str(identifier).removeprefix("@"), str(password))
        except sdk.AtProtocolError as exc:
            error = self._mapped(exc, write=False)
            if isinstance(error, Permanent):
                raise NeedsUser(error.message, status_code=error.status_code) from exc
            raise error from exc

    def _mapped(self, exc: BaseException, *, write: bool) -> ConnectorError:
        if self._request is not None:
            self.last_rate = self._request.last_rate or self.last_rate
        return errors.to_contract(exc, write=write)

    def call(self, fn: Callable[[Client], T], *, write: bool = False) -> T:
        """One SDK call with the contract's errors. A refused session logs in again once (a refresh
        token can expire or be revoked while the app password is still good)."""
        client = self.client()
        for attempt in (1, 2):
            if write:
                check_send_deadline(str(self.label))
            try:
                result = fn(client)
            except sdk.AtProtocolError as exc:
                if attempt == 1 and errors.is_auth_error(exc) and errors.xrpc_error(exc)[0] not in NO_RELOGIN:
                    self._log_in()
                    continue
                raise self._mapped(exc, write=write) from exc
            if self._request is not None:
                self.last_rate = self._request.last_rate or self.last_rate
            return result
        raise AssertionError("unreachable")

    def did(self) -> str:
        session = self.client()._session
        did = session.did if session else self.ctx.external_id
        if not did:
            raise NeedsUser("Bluesky: the account has no session; reconnect it")
        return did

    def check_connection(self) -> str:
        profile = self.call(lambda c: c.get_profile(self.did()))
        return str(profile.handle)

    def revoke(self) -> None:
        """Ends tamtam's session at the PDS. The app password itself is revoked by the person, in
        Bluesky's settings (no API revokes an app password with itself)."""
        with contextlib.suppress(ConnectorError):  # already expired or revoked: nothing left to end
            self.call(lambda c: c.com.atproto.server.delete_session(headers=c._get_refresh_auth_headers()))

    # --- publishing -----------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        text = richtext.text_as_published(request.text, request.link)
        problem = richtext.too_long(text) or self._media_problem(request.media)
        if problem:
            raise Permanent(f"Bluesky: {problem}")
        if not text.strip() and not request.media:
            raise Permanent("Bluesky: a post needs text or an image")
        did = self.did()
        rkey = rkeys.rkey_for(request.idempotency_key)
        existing = self._ours(did, rkey, request.idempotency_key) if request.media else None
        if existing is not None:  # a retry after the post was written: do not upload again
            return existing
        record: dict[str, Any] = {
            "$type": POST,
            "text": text,
            "createdAt": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            rkeys.KEY_FIELD: request.idempotency_key,
        }
        facets = richtext.build_facets(text, self._resolve_handle)
        if facets:
            record["facets"] = facets
        if request.reply_to_remote_id:
            record["reply"] = self._reply_refs(request.reply_to_remote_id)
        embed = self._embed(request)
        if embed:
            record["embed"] = embed
        data = models.ComAtprotoRepoCreateRecord.Data(repo=did, collection=POST, rkey=rkey, record=record)
        try:
            out = self.call(lambda c: c.com.atproto.repo.create_record(data), write=True)
        except (Ambiguous, RetryAfter) as exc:
            # The rkey may already hold our post (a send that landed before a crash or a timeout):
            # the PDS then refuses a second create, and the record it has is the answer.
            try:
                found = self._ours(did, rkey, request.idempotency_key)
            except (RetryAfter, Ambiguous, NeedsUser):
                found = None  # cannot tell yet: the original error stands (a collision does raise)
            if found is not None:
                return found
            raise exc from None
        return PublishResult(
            remote_id=out.uri, url=post_url(out.uri), status_code=200, response_excerpt=out.cid
        )

    def _get_record(self, did: str, collection: str, rkey: str) -> tuple[str, str, dict[str, Any]] | None:
        """(uri, cid, value) of a record, None when the repository has none at this key."""
        params = models.ComAtprotoRepoGetRecord.Params(repo=did, collection=collection, rkey=rkey)
        try:
            got = self.call(lambda c: c.com.atproto.repo.get_record(params))
        except Permanent as exc:
            if "RecordNotFound" in exc.response_excerpt or "Could not locate" in exc.message:
                return None
            raise
        return got.uri, got.cid or "", _record_dict(got.value)

    def _ours(self, did: str, rkey: str, key: str) -> PublishResult | None:
        """Our post at this rkey if it exists; Permanent if another record holds it (a hash collision)."""
        found = self._get_record(did, POST, rkey)
        if found is None:
            return None
        uri, cid, value = found
        if rkeys.key_of(rkey, value) != key:
            raise Permanent(f"Bluesky: the record key {rkey} already holds another post; not overwritten")
        return PublishResult(remote_id=uri, url=post_url(uri), status_code=200, response_excerpt=cid)

    def _media_problem(self, media: list[MediaItem]) -> str:
        rules = LIMITS.media
        if len(media) > rules.max_count:
            return f"{len(media)} images; a post holds at most {rules.max_count}"
        for index, item in enumerate(media, start=1):
            if item.content_type not in rules.image_types:
                return f"image {index} is {item.content_type}; Bluesky takes JPEG, PNG, WebP or GIF here"
            if item.size > rules.max_image_bytes:
                return f"image {index} is {item.size:,} bytes; Bluesky allows {rules.max_image_bytes:,}"
        return ""

    def _resolve_handle(self, handle: str) -> str | None:
        try:
            return self.call(lambda c: c.resolve_handle(handle)).did
        except Permanent:
            return None  # an unknown handle stays plain text, as in Bluesky's own app

    def _strong_ref(self, uri: str) -> dict[str, Any]:
        found = self._get_record(*split_uri(uri))
        if found is None:
            raise Permanent(f"Bluesky: the post {uri} does not exist (deleted?)")
        return {"uri": found[0], "cid": found[1], "value": found[2]}

    def _reply_refs(self, parent_uri: str) -> dict[str, Any]:
        """A reply names its parent and the thread's root, each by URI and CID (strong refs)."""
        parent = self._strong_ref(parent_uri)
        parent_ref = {"uri": parent["uri"], "cid": parent["cid"]}
        root = (parent["value"].get("reply") or {}).get("root") or parent_ref
        return {"root": {"uri": root["uri"], "cid": root["cid"]}, "parent": parent_ref}

    def _embed(self, request: PublishRequest) -> dict[str, Any] | None:
        if request.media:
            images = []
            for item in request.media:
                data = Path(item.path).read_bytes()
                blob = self.call(lambda c, d=data: c.upload_blob(d)).blob  # type: ignore[misc]
                images.append({"alt": item.alt_text or "", "image": blob.model_dump(by_alias=True)})
            return {"$type": "app.bsky.embed.images", "images": images}
        if request.link:
            return self._link_card(request.link)
        return None

    def _link_card(self, link: str) -> dict[str, Any]:
        """Bluesky shows the card the post carries and builds none itself: read the page's title,
        description and image (best effort; without them the card is titled with the host)."""
        card = linkpreview.fetch(link, transport=self._transport)
        external: dict[str, Any] = {
            "uri": link,
            "title": card.title or urlsplit(link).hostname or link,
            "description": card.description,
        }
        if card.image_url:
            image = linkpreview.fetch_image(card.image_url, THUMB_MAX_BYTES, transport=self._transport)
            if image is not None:
                blob = self.call(lambda c: c.upload_blob(image.data)).blob
                external["thumb"] = blob.model_dump(by_alias=True)
        return {"$type": "app.bsky.embed.external", "external": external}

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        request.reply_to_remote_id = parent_remote_id
        return self.publish(request)

    def delete(self, remote_id: str) -> None:
        did, collection, rkey = split_uri(remote_id)
        if did != self.did():
            raise Permanent("Bluesky: only this account's own posts can be deleted")
        data = models.ComAtprotoRepoDeleteRecord.Data(repo=did, collection=collection, rkey=rkey)
        self.call(lambda c: c.com.atproto.repo.delete_record(data))

    def like(self, remote_id: str) -> None:
        """Likes once: the like's rkey comes from the post's URI, so a repeated like is a no-op."""
        subject = self._strong_ref(remote_id)
        did = self.did()
        rkey = rkeys.rkey_for(f"like:{subject['uri']}")
        record = {
            "$type": LIKE,
            "subject": {"uri": subject["uri"], "cid": subject["cid"]},
            "createdAt": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        data = models.ComAtprotoRepoCreateRecord.Data(repo=did, collection=LIKE, rkey=rkey, record=record)
        try:
            self.call(lambda c: c.com.atproto.repo.create_record(data), write=True)
        except (Ambiguous, RetryAfter) as exc:
            # The PDS refuses a second record at the same rkey: if the like is there, it is done.
            if self._get_record(did, LIKE, rkey) is None:
                raise exc from None

    # --- reading back ---------------------------------------------------------------------------

    def list_recent(self, since: datetime, limit: int = 100) -> list[RemotePost]:
        """The account's posts and replies since `since`, newest first, from its author feed; each
        of ours carries back the idempotency key its record key was derived from."""
        did = self.did()
        found: list[RemotePost] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            params = models.AppBskyFeedGetAuthorFeed.Params(
                actor=did, limit=min(100, limit), cursor=cursor, filter="posts_with_replies"
            )
            page = self.call(lambda c, p=params: c.app.bsky.feed.get_author_feed(p))  # type: ignore[misc]
            older = False
            for item in page.feed:
                post = item.post
                if item.reason is not None or post.author.did != did:
                    continue  # a repost of someone else's post is not one of ours
                record = _record_dict(post.record)
                created = parse_time(record.get("createdAt") or post.indexed_at)
                if created < since:
                    older = True
                    continue
                rkey = split_uri(post.uri)[2]
                found.append(
                    RemotePost(
                        remote_id=post.uri,
                        url=post_url(post.uri),
                        text=str(record.get("text", "")),
                        created_at=created,
                        idempotency_key=rkeys.key_of(rkey, record),
                    )
                )
                if len(found) >= limit:
                    return found
            cursor = page.cursor
            if older or not cursor:
                break
        return found

    def fetch_inbox(self, cursor: str = "", limit: int = 100) -> InboxPage:
        """Replies, mentions and quotes since the last call, oldest first; each once (inbox.py)."""
        did = self.did()
        position = InboxCursor.parse(cursor)
        if position.backlog:
            # An older stretch left unread by an earlier call: finish it first.
            fresh, api_cursor, done = self._notifications(limit, position.backlog, position.below_floor)
            after = InboxCursor(
                position.newest,
                position.uris_at_newest,
                "" if done else api_cursor,
                position.floor,
                position.uris_at_floor,
            )
            has_more = True  # newer ones may have come meanwhile
        else:
            fresh, api_cursor, done = self._notifications(limit, None, position.seen)
            after = position.advanced(fresh)
            if not done:
                after.backlog, after.floor, after.uris_at_floor = (
                    api_cursor,
                    position.newest,
                    position.uris_at_newest,
                )
            has_more = not done
        items = [item for item in (notification_item(n, did) for n in reversed(fresh)) if item is not None]
        return InboxPage(items=items, cursor=after.dump(), has_more=has_more)

    def _notifications(
        self, limit: int, start: str | None, known: Callable[[str, str], bool]
    ) -> tuple[list[Any], str, bool]:
        """Notifications newest first from `start` until `known` ones (or the end): (the new ones, the
        API cursor after the last page read, whether the reading got there)."""
        fresh: list[Any] = []
        api_cursor = start
        for _ in range(MAX_PAGES):
            params = models.AppBskyNotificationListNotifications.Params(
                limit=min(100, limit), cursor=api_cursor
            )
            page = self.call(lambda c, p=params: c.app.bsky.notification.list_notifications(p))  # type: ignore[misc]
            reached = False
            for notification in page.notifications:
                if known(notification.indexed_at, notification.uri):
                    reached = True
                    continue
                fresh.append(notification)
            api_cursor = page.cursor
            if reached or not api_cursor or not page.notifications:
                return fresh, "", True
        return fresh, api_cursor or "", False

    def fetch_post_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        metrics: list[PostMetrics] = []
        for start in range(0, len(remote_ids), 25):  # getPosts takes 25 URIs per call
            chunk = remote_ids[start : start + 25]
            posts = self.call(lambda c, u=chunk: c.get_posts(u)).posts  # type: ignore[misc]
            by_uri = {p.uri: p for p in posts}
            for uri in chunk:
                post = by_uri.get(uri)
                if post is None:
                    continue  # deleted, or not indexed yet: no figures rather than zeros
                metrics.append(
                    PostMetrics(
                        remote_id=uri,
                        likes=post.like_count or 0,
                        comments=post.reply_count or 0,
                        shares=post.repost_count or 0,
                        extra={"quotes": post.quote_count or 0},
                    )
                )
        return metrics

    def fetch_account_metrics(self) -> AccountMetrics:
        profile = self.call(lambda c: c.get_profile(self.did()))
        return AccountMetrics(
            followers=profile.followers_count or 0,
            following=profile.follows_count or 0,
            posts=profile.posts_count or 0,
        )

    def search(self, query: str, cursor: str = "", limit: int = 100) -> SearchPage:
        if not query.strip():
            raise Permanent("Bluesky: the search query is empty")
        params = models.AppBskyFeedSearchPosts.Params(q=query, limit=min(100, limit), cursor=cursor or None)
        page = self.call(lambda c: c.app.bsky.feed.search_posts(params))
        items = []
        for post in page.posts:
            record = _record_dict(post.record)
            langs = record.get("langs") or []
            items.append(
                FoundPost(
                    remote_id=post.uri,
                    text=str(record.get("text", "")),
                    author=author_of(post.author),
                    created_at=parse_time(record.get("createdAt") or post.indexed_at),
                    url=post_url(post.uri),
                    lang=str(langs[0]) if langs else "",
                    likes=post.like_count,
                    shares=post.repost_count,
                    replies=post.reply_count,
                    raw={"cid": post.cid, "quotes": post.quote_count},
                )
            )
        return SearchPage(items=items, cursor=page.cursor or "", has_more=bool(page.cursor))

    def profiles(self, dids: list[str]) -> dict[str, Author]:
        """Authors by DID through the AppView (25 per call), for posts that name only a DID (the
        firehose). A DID the AppView does not know is left out."""
        found: dict[str, Author] = {}
        unique = list(dict.fromkeys(dids))
        for start in range(0, len(unique), 25):
            chunk = unique[start : start + 25]
            params = models.AppBskyActorGetProfiles.Params(actors=chunk)

            def get(c: Client, p: Any = params) -> Any:
                return c.app.bsky.actor.get_profiles(p)

            answer = self.call(get)
            for profile in answer.profiles:
                found[str(profile.did)] = author_of(profile)
        return found


def _record_dict(record: Any) -> dict[str, Any]:
    """A record as the JSON the network stores (the SDK gives a model, or a dict for unknown types)."""
    if isinstance(record, dict):
        return record
    if hasattr(record, "model_dump"):
        dumped: dict[str, Any] = record.model_dump(by_alias=True, exclude_none=True)
        return dumped
    return dict(get_or_create(record) or {})


def author_of(profile: Any) -> Author:
    handle = str(getattr(profile, "handle", "") or "")
    return Author(
        remote_id=str(profile.did),
        handle=handle,
        name=str(getattr(profile, "display_name", "") or ""),
        followers=getattr(profile, "followers_count", None),
        url=f"https://bsky.app/profile/{handle or profile.did}",
        avatar_url=str(getattr(profile, "avatar", "") or ""),
    )
