"""Short links: made at publish time for every link of a post, followed at `/l/<code>`, clicks counted.

- `track_links(target, text, link)` is the publishing engine's hook (engine/ledger.py `text_and_link`):
  when the workspace has link tracking on, the post's link (already UTM-tagged) and every http(s) link
  in its text (tagged here with the same UTM values) become `<BASE_URL>/l/<code>`. One short link per
  (target, URL), so a retry or a reconcile renders the same text again.
- `count_click(...)` counts one visit (the redirect; written in the next batch, see clicks.py) and
  `record_click(...)` the same, written at once: bots (link previews, crawlers, HEAD requests) are
  kept but not counted; more than FLOOD_PER_MINUTE clicks from one address on one link within a
  minute are floods (kept, not counted), decided in memory; unique visitors are distinct (address,
  browser) pairs, at most `services.MAX_PEOPLE_PER_ADDRESS` per address. Addresses are stored only
  as keyed hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from threading import Lock
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.encoding import iri_to_uri

from tamtam.analytics import clicks
from tamtam.analytics.models import Click, ShortLink, TrackingSettings, new_code
from tamtam.lib.utm import add_utm
from tamtam.nlp.text import find_urls
from tamtam.work.db import serialised

FLOOD_PER_MINUTE = clicks.FLOOD_PER_MINUTE
BOT_PATTERN = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|preview|facebookexternalhit|embedly|quora link|whatsapp|"
    r"skypeuripreview|vkshare|w3c_validator|headless|phantomjs|python-requests|python-httpx|"
    r"aiohttp|curl/|wget/|go-http-client|okhttp|java/|libwww|httpclient|monitor|uptime|scanner",
    re.IGNORECASE,
)
_CACHE_SIZE = 100_000  # about 30 MB at most; a link's entry is a few hundred bytes
CACHE_TTL_S = 60.0


def short_url(link: ShortLink | str) -> str:
    code = link if isinstance(link, str) else link.code
    return f"{settings.BASE_URL}/l/{code}"


def tracking_on(workspace_id: int) -> bool:
    """The workspace's choice; without one, on when the server's address is public (defaults.py)."""
    from tamtam.analytics.defaults import tracking_default

    chosen = TrackingSettings.objects.filter(workspace_id=workspace_id).values_list(
        "shorten_links", flat=True
    )
    found = chosen.first()
    return tracking_default() if found is None else found


def _is_ours(url: str) -> bool:
    return url.startswith(f"{settings.BASE_URL}/l/")


def shorten(
    workspace_id: int,
    url: str,
    *,
    destination: str | None = None,
    target: Any = None,
    campaign_id: int | None = None,
) -> ShortLink:
    """The short link of `url` (for this target, when given): found again, or made."""
    if target is not None:
        found = ShortLink.objects.filter(target=target, original_url=url).first()
        if found:
            return found
    fields = {
        "workspace_id": workspace_id,
        "original_url": url,
        "destination": destination or url,
        "target": target,
        "post_id": target.post_id if target is not None else None,
        "channel_id": target.channel_id if target is not None else None,
        "campaign_id": campaign_id
        if campaign_id is not None
        else (target.post.campaign_id if target else None),
    }
    for _attempt in range(5):
        try:
            with serialised():
                return ShortLink.objects.create(code=new_code(), **fields)
        except IntegrityError:  # the rare code collision, or a concurrent render of the same target
            if target is not None:
                found = ShortLink.objects.filter(target=target, original_url=url).first()
                if found:
                    return found
    raise RuntimeError("could not allocate a short link code")


def _utm_values(target: Any) -> dict[str, str]:
    post = target.post
    return {
        "source": post.utm_source or target.channel.network,
        "medium": post.utm_medium or "social",
        "campaign": post.utm_campaign,
        "content": post.utm_content,
    }


def track_links(target: Any, text: str, link: str) -> tuple[str, str]:
    """(text, link) as they are published: each link replaced by its short link when tracking is on."""
    if not (link or "http" in text) or not tracking_on(target.workspace_id):
        return text, link
    if link and not _is_ours(link):
        link = short_url(shorten(target.workspace_id, link, target=target))
    spans = list(find_urls(text))
    if not spans:
        return text, link
    values = _utm_values(target)
    out, position = [], 0
    for span in spans:
        out.append(text[position : span.start])
        url = span.text
        if url.lower().startswith(("http://", "https://")) and not _is_ours(url):
            tagged = add_utm(url, **values)
            url = short_url(shorten(target.workspace_id, url, destination=tagged, target=target))
        out.append(url)
        position = span.end
    out.append(text[position:])
    return "".join(out), link


# --- following a link ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    link_id: int
    workspace_id: int
    destination: str

    @cached_property
    def location(self) -> str:
        """The Location header, as HttpResponseRedirect writes it (computed once per cached link)."""
        return iri_to_uri(self.destination)


class _Lru:
    """code → Resolved for the redirect's hot path, each entry for CACHE_TTL_S at most.

    A link's row changes rarely (its destination is set when it is made); when it does in this process,
    the ShortLink signals below drop the entry at once; a change made by another process (a worker, a
    restore) is seen within CACHE_TTL_S."""

    def __init__(self, size: int, ttl_s: float) -> None:
        self.size = size
        self.ttl_s = ttl_s
        self.items: OrderedDict[str, tuple[float, Resolved]] = OrderedDict()
        self.lock = Lock()

    def get(self, code: str) -> Resolved | None:
        with self.lock:
            entry = self.items.get(code)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                del self.items[code]
                return None
            self.items.move_to_end(code)
            return entry[1]

    def put(self, code: str, value: Resolved) -> None:
        with self.lock:
            self.items[code] = (time.monotonic() + self.ttl_s, value)
            self.items.move_to_end(code)
            if len(self.items) > self.size:
                self.items.popitem(last=False)

    def drop(self, code: str) -> None:
        with self.lock:
            self.items.pop(code, None)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


_cache = _Lru(_CACHE_SIZE, CACHE_TTL_S)


def cached(code: str) -> Resolved | None:
    """The link from this process's memory only (the redirect's fast path); None: not known here."""
    return _cache.get(code)


def resolve(code: str) -> Resolved | None:
    value = _cache.get(code)
    if value is not None:
        return value
    row = ShortLink.objects.filter(code=code).values_list("pk", "workspace_id", "destination").first()
    value = Resolved(*row) if row else None
    if value is not None:  # unknown codes are not cached: a link made a second later must work
        _cache.put(code, value)
    return value


@receiver([post_save, post_delete], sender=ShortLink, dispatch_uid="analytics-short-link-cache")
def _forget(sender: type[ShortLink], instance: ShortLink, **kwargs: Any) -> None:
    _cache.drop(instance.code)


def reset_memory() -> None:
    """Forget the cached links and the flood counters (tests; a restore of the database)."""
    _cache.clear()
    _memo_keys.clear()
    _memo_bots.clear()
    clicks.gate.clear()


_macs: dict[str, Any] = {}
# Keyed hashes and bot verdicts already computed in this process: the same addresses and browsers
# come back (a phone network, an office, a flood), and the bot test is a long regular expression.
_MEMO_SIZE = 50_000
_memo_keys: dict[tuple[str, ...], str] = {}
_memo_bots: dict[tuple[str, str], bool] = {}


def _keyed(*parts: str) -> str:
    """HMAC-SHA256 of the parts under SECRET_KEY (first 32 hex digits): the key is set up once and the
    keyed state copied for each value; a value seen recently is not hashed again."""
    secret = settings.SECRET_KEY
    memo = (secret, *parts)
    found = _memo_keys.get(memo)
    if found is not None:
        return found
    base = _macs.get(secret)
    if base is None:
        base = _macs[secret] = hmac.new(secret.encode(), digestmod=hashlib.sha256)
    mac = base.copy()
    mac.update("|".join(parts).encode())
    value = mac.hexdigest()[:32]
    if len(_memo_keys) >= _MEMO_SIZE:
        _memo_keys.clear()  # bounded memory; the next visitors fill it again
    _memo_keys[memo] = value
    return value


def is_bot(user_agent: str, method: str = "GET") -> bool:
    memo = (user_agent, method)
    found = _memo_bots.get(memo)
    if found is None:
        found = method.upper() == "HEAD" or not user_agent.strip() or bool(BOT_PATTERN.search(user_agent))
        if len(_memo_bots) >= _MEMO_SIZE:
            _memo_bots.clear()
        _memo_bots[memo] = found
    return found


def new_click(
    resolved: Resolved,
    *,
    address: str,
    user_agent: str,
    method: str = "GET",
    referrer_host: str = "",
    now: datetime | None = None,
) -> clicks.Visit:
    """The click of one visit, judged in memory (bot, flood); not written yet."""
    now = now or timezone.now()
    address_key = _keyed("address", address)
    bot = is_bot(user_agent, method)
    flood = not bot and not clicks.gate.admit(resolved.link_id, address_key, now.timestamp())
    return clicks.Visit(
        link_id=resolved.link_id,
        workspace_id=resolved.workspace_id,
        at=now,
        visitor=_keyed("visitor", address, user_agent),
        address=address_key,
        bot=bot,
        flood=flood,
        referrer_host=referrer_host[:200],
        token=clicks.new_token(),
    )


def count_click(resolved: Resolved, **visit: Any) -> clicks.Visit:
    """The redirect's way: judged in memory, written with the next batch (clicks.ClickBuffer)."""
    click = new_click(resolved, **visit)
    clicks.buffer.add(click)
    return click


def record_click(resolved: Resolved, **visit: Any) -> Click:
    """Judged the same way and written at once (the row's id is needed: the demo's orders, tools)."""
    click = new_click(resolved, **visit).as_model()
    with serialised():
        click.save(force_insert=True)
    return click


@dataclass
class LinkStats:
    link_id: int
    code: str
    destination: str
    target_id: int | None
    post_id: int | None
    channel_id: int | None
    total: int
    unique: int
    bots: int
    floods: int


def link_stats(
    workspace_id: int, start: datetime, end: datetime, *, post_id: int | None = None
) -> list[LinkStats]:
    """Per link: counted clicks, unique visitors, and what was left out (bots, floods)."""
    from django.db.models import Count, Q

    from tamtam.analytics.services import MAX_PEOPLE_PER_ADDRESS

    links = ShortLink.objects.filter(workspace_id=workspace_id)
    if post_id is not None:
        links = links.filter(post_id=post_id)
    in_period = Q(clicks__at__gte=start, clicks__at__lt=end)
    counted = in_period & Q(clicks__bot=False, clicks__flood=False)
    rows = links.annotate(
        total=Count("clicks", filter=counted),
        bots=Count("clicks", filter=in_period & Q(clicks__bot=True)),
        floods=Count("clicks", filter=in_period & Q(clicks__flood=True)),
    ).order_by("-total", "pk")
    per_address: dict[int, dict[str, int]] = {}
    clicks = Click.objects.filter(
        workspace_id=workspace_id, at__gte=start, at__lt=end, bot=False, flood=False, link__in=links
    )
    for link_id, address, _visitor in clicks.values_list("link_id", "address", "visitor").distinct():
        counts = per_address.setdefault(link_id, {})
        counts[address] = counts.get(address, 0) + 1
    return [
        LinkStats(
            link_id=r.pk,
            code=r.code,
            destination=r.destination,
            target_id=r.target_id,
            post_id=r.post_id,
            channel_id=r.channel_id,
            total=r.total,  # type: ignore[attr-defined]
            unique=sum(min(n, MAX_PEOPLE_PER_ADDRESS) for n in per_address.get(r.pk, {}).values()),
            bots=r.bots,  # type: ignore[attr-defined]
            floods=r.floods,  # type: ignore[attr-defined]
        )
        for r in rows
    ]
