"""Fetch and read one RSS or Atom feed: a conditional GET (ETag / Last-Modified), a bounded number of
redirects, timeouts, then `feedparser` on the bytes.

Used by the RSS input (publishing.feeds) and by listening's news sources. `fetch_feed` never raises for
a bad feed: whatever went wrong is said in `FeedResult.error`, in words a person can act on (which
status, which line of the XML, which encoding). `error` may be set while `entries` is not empty: the
feed was read with a problem (a wrong encoding declaration, malformed XML that feedparser's lenient
parser still understood); callers keep the entries and show the error as a warning.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import httpx

USER_AGENT = "tamtam/0.1 feed reader (+self-hosted social media management)"
TIMEOUT = httpx.Timeout(20.0, connect=10.0)
MAX_BYTES = 10 * 1024 * 1024  # a feed larger than this is not a feed we want to parse
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"


@dataclass
class FeedEntry:
    id: str  # the feed's guid/id, else the link, else a hash of title + summary
    title: str = ""
    link: str = ""
    summary: str = ""  # plain text, HTML removed
    author: str = ""
    published: datetime | None = None  # aware, UTC
    image_url: str = ""


@dataclass
class FeedResult:
    status: int  # HTTP status of the last response; 0 when no response came
    not_modified: bool = False
    etag: str = ""
    last_modified: str = ""
    final_url: str = ""
    title: str = ""
    entries: list[FeedEntry] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        """True when the feed answered and nothing is wrong (304 included)."""
        return not self.error and (self.not_modified or 200 <= self.status < 300)


class _TextExtractor(HTMLParser):
    """HTML → plain text, keeping line breaks between blocks."""

    BLOCKS = frozenset({"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.skip:
            self.skip -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(value: str) -> str:
    """Plain text of an HTML fragment: tags removed, entities decoded, blank runs collapsed."""
    if "<" not in value and "&" not in value:
        return re.sub(r"[ \t]+", " ", value).strip()
    parser = _TextExtractor()
    try:
        parser.feed(value)
        parser.close()
        text = "".join(parser.parts)
    except Exception:
        text = html.unescape(re.sub(r"<[^>]*>", " ", value))
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{2,}", "\n", "\n".join(lines)).strip()


_IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def _image_url(entry: Any, base: str) -> str:
    for key in ("media_content", "media_thumbnail"):
        for item in entry.get(key) or []:
            url = item.get("url", "")
            medium = item.get("medium", "")
            kind = item.get("type", "")
            if url and (
                key == "media_thumbnail" or medium == "image" or kind.startswith("image/") or not kind
            ):
                return urljoin(base, url)
    for link in entry.get("links") or []:
        if (
            link.get("rel") == "enclosure"
            and str(link.get("type", "")).startswith("image/")
            and link.get("href")
        ):
            return urljoin(base, link["href"])
    for content in [*(entry.get("content") or []), {"value": entry.get("summary", "")}]:
        found = _IMG_SRC.search(content.get("value", "") or "")
        if found:
            return urljoin(base, html.unescape(found.group(1)))
    return ""


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            # feedparser normalises to a UTC struct_time.
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    return None


def _entry(entry: Any, base: str) -> FeedEntry:
    title = html_to_text(entry.get("title", "") or "")
    link = urljoin(base, entry.get("link", "") or "") if entry.get("link") else ""
    summary_html = entry.get("summary", "") or ""
    if not summary_html and entry.get("content"):
        summary_html = entry["content"][0].get("value", "")
    summary = html_to_text(summary_html)
    ident = str(entry.get("id", "") or "").strip() or link
    if not ident:
        ident = "sha1:" + hashlib.sha1(f"{title}\n{summary}".encode(), usedforsecurity=False).hexdigest()
    author = entry.get("author", "") or ""
    if not author and entry.get("authors"):
        author = entry["authors"][0].get("name", "") or ""
    return FeedEntry(
        id=ident,
        title=title,
        link=link,
        summary=summary,
        author=html_to_text(author),
        published=_when(entry),
        image_url=_image_url(entry, base),
    )


def _parse_error(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    name = type(exc).__name__
    if name == "CharacterEncodingOverride":
        return f"wrong or missing encoding declaration: {exc}"
    if name == "CharacterEncodingUnknown":
        return f"unknown encoding: {exc}"
    if name == "NonXMLContentType":
        return f"the server did not send XML: {exc}"
    line = getattr(exc, "getLineNumber", None)
    column = getattr(exc, "getColumnNumber", None)
    if callable(line) and callable(column):
        return f"broken XML at line {line()}, column {column()}: {exc.getMessage()}"  # type: ignore[attr-defined]
    return f"unreadable feed: {exc}"


def parse_feed(data: bytes, *, url: str = "", content_type: str = "") -> FeedResult:
    """Parse bytes already fetched (also used by tests and previews)."""
    headers = {"content-location": url} if url else {}
    # Without a content type feedparser flags the document as non-XML: let the XML declaration decide.
    headers["content-type"] = content_type or "application/xml"
    parsed = feedparser.parse(data, response_headers=headers, sanitize_html=True)
    entries = [_entry(e, url) for e in parsed.entries]
    result = FeedResult(status=200, final_url=url, title=html_to_text(parsed.feed.get("title", "") or ""))
    result.entries = entries
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if type(problem).__name__ == "NonXMLContentType" and entries:
        # Many servers send feeds as text/html or text/plain; the feed itself is fine.
        problem = None
    looks_html = re.search(rb"<html\b", data[:2048], re.IGNORECASE) is not None
    if not entries and looks_html:
        result.error = "this address answers a web page, not an RSS or Atom feed"
    elif problem is not None:
        result.error = _parse_error(problem)
        if not entries:
            result.error = f"no entries could be read: {result.error}"
    elif not entries and not parsed.get("version"):
        result.error = "not an RSS or Atom feed (no channel or feed element)"
    return result


def _read(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_BYTES:
            raise ValueError(f"the feed is larger than {MAX_BYTES // (1024 * 1024)} MB")
        chunks.append(chunk)
    return b"".join(chunks)


def fetch_feed(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    transport: httpx.BaseTransport | None = None,
    max_redirects: int = 5,
) -> FeedResult:
    """GET the feed (conditionally when `etag`/`last_modified` are known) and parse it."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        return FeedResult(
            status=0, final_url=url, error=f"only http and https feeds can be read, not {scheme!r}"
        )
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    seen: list[str] = []
    current = url
    started = time.monotonic()
    with httpx.Client(timeout=TIMEOUT, transport=transport, follow_redirects=False, headers=headers) as http:
        while True:
            seen.append(current)
            try:
                with http.stream("GET", current) as response:
                    status = response.status_code
                    if status in (301, 302, 303, 307, 308):
                        location = response.headers.get("location", "")
                        if not location:
                            return FeedResult(
                                status, final_url=current, error=f"HTTP {status} without a Location"
                            )
                        target = urljoin(current, location)
                        if target in seen:
                            return FeedResult(
                                status,
                                final_url=current,
                                error=f"endless redirect: {target} leads back to itself",
                            )
                        if len(seen) > max_redirects:
                            return FeedResult(
                                status,
                                final_url=current,
                                error=f"more than {max_redirects} redirects from {url}",
                            )
                        current = target
                        continue
                    new_etag = response.headers.get("etag", "")
                    new_modified = response.headers.get("last-modified", "")
                    if status == 304:
                        return FeedResult(
                            304,
                            not_modified=True,
                            etag=new_etag or etag,
                            last_modified=new_modified or last_modified,
                            final_url=current,
                        )
                    if status >= 400:
                        words = {
                            404: "the feed was not found (HTTP 404)",
                            410: "the feed was removed for good (HTTP 410)",
                            401: "the feed needs a log-in (HTTP 401)",
                            403: "the server refuses to give the feed (HTTP 403)",
                            429: "the server asks to come back later (HTTP 429)",
                        }.get(status, f"the server answered HTTP {status}")
                        return FeedResult(status, final_url=current, error=f"{words} at {current}")
                    data = _read(response)
                    content_type = response.headers.get("content-type", "")
            except httpx.TimeoutException:
                return FeedResult(
                    0,
                    final_url=current,
                    error=f"no answer from {current} after {time.monotonic() - started:.0f} s",
                )
            except httpx.TransportError as exc:
                return FeedResult(
                    0, final_url=current, error=f"cannot reach {current}: {type(exc).__name__} {exc}"
                )
            except ValueError as exc:  # too large
                return FeedResult(200, final_url=current, error=str(exc))
            result = parse_feed(data, url=current, content_type=content_type)
            result.status = status
            result.etag = new_etag
            result.last_modified = new_modified
            return result
