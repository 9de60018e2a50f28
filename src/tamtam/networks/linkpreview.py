"""The preview card of a link (title, description, image), for networks that do not build one
themselves: Bluesky (a post's `app.bsky.embed.external` is whatever the poster supplies) and LinkedIn
(an API post's article is shown with the title and description it is given).

Read from the page's Open Graph / Twitter card tags, else its `<title>` and meta description. Best
effort by design: a page that is slow, too big, not HTML or unreachable gives an empty preview and the
post goes out with a plain card — a preview must never stop or delay a publication for long.
"""

from __future__ import annotations

import contextlib
import ipaddress
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

TIMEOUT = httpx.Timeout(5.0, connect=3.0)
MAX_PAGE_BYTES = 512 * 1024  # the <head> is at the top: no need for more
MAX_REDIRECTS = 3
MAX_TITLE = 300
MAX_DESCRIPTION = 1000
USER_AGENT = "tamtam-link-preview/1 (+https://github.com/tamtam)"


@dataclass
class LinkPreview:
    url: str
    title: str = ""
    description: str = ""
    image_url: str = ""


@dataclass
class Image:
    data: bytes
    content_type: str


class _Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            values = {k.lower(): (v or "") for k, v in attrs}
            key = (values.get("property") or values.get("name") or "").lower()
            if key and "content" in values and key not in self.meta:
                self.meta[key] = values["content"].strip()
        elif tag == "title" and not self.title:
            self._in_title = True
        elif tag == "body":
            self.done = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


# Tests that serve their pages on 127.0.0.1 turn this on; tamtam itself never does.
ALLOW_PRIVATE_ADDRESSES = False


def _fetchable(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if ALLOW_PRIVATE_ADDRESSES:
        return True
    if parts.hostname == "localhost":
        return False
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return True  # a name: the network's own crawlers would fetch it too
    # A literal private or loopback address is no public page: never probe the server's own network.
    return address.is_global


def _get(client: httpx.Client, url: str, limit: int) -> tuple[httpx.Response, bytes] | None:
    for _hop in range(MAX_REDIRECTS + 1):
        if not _fetchable(url):
            return None
        with client.stream("GET", url) as response:
            if response.is_redirect and "location" in response.headers:
                url = urljoin(url, response.headers["location"])
                continue
            if response.status_code != 200:
                return None
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > limit:
                    body = body[:limit]
                    break
            return response, body
    return None


def _clean(text: str, size: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def _client(transport: httpx.BaseTransport | None) -> httpx.Client:
    # The connector's own transport when it has one (tests: their mock answers the page too).
    return httpx.Client(timeout=TIMEOUT, headers={"User-Agent": USER_AGENT}, transport=transport)


def fetch(url: str, *, transport: httpx.BaseTransport | None = None) -> LinkPreview:
    """The preview of `url`; empty fields when the page gives none or cannot be read."""
    preview = LinkPreview(url=url)
    with _client(transport) as http:
        try:
            got = _get(http, url, MAX_PAGE_BYTES)
        except (httpx.HTTPError, UnicodeError, ValueError):
            got = None
    if got is None:
        return preview
    response, body = got
    if "html" not in response.headers.get("content-type", "text/html").lower():
        return preview
    head = _Head()
    # An unknown charset, or a parser confused by broken markup: keep what was read.
    with contextlib.suppress(LookupError, AssertionError):
        head.feed(body.decode(response.encoding or "utf-8", errors="replace"))
    meta = head.meta
    preview.title = _clean(meta.get("og:title") or meta.get("twitter:title") or head.title, MAX_TITLE)
    preview.description = _clean(
        meta.get("og:description") or meta.get("twitter:description") or meta.get("description") or "",
        MAX_DESCRIPTION,
    )
    image = meta.get("og:image") or meta.get("og:image:url") or meta.get("twitter:image") or ""
    if image:
        preview.image_url = urljoin(str(response.url), image)
    return preview


def fetch_image(url: str, max_bytes: int, *, transport: httpx.BaseTransport | None = None) -> Image | None:
    """The preview's image if it is an image no bigger than `max_bytes` (else None: no thumbnail)."""
    with _client(transport) as http:
        try:
            got = _get(http, url, max_bytes + 1)
        except (httpx.HTTPError, UnicodeError, ValueError):
            got = None
    if got is None:
        return None
    response, body = got
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not content_type.startswith("image/") or len(body) > max_bytes or not body:
        return None
    return Image(body, content_type)
