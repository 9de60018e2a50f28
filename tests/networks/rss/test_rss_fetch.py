"""fetch_feed against an in-process HTTP transport (httpx.MockTransport): real httpx, real feedparser."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from tamtam.networks.rss.fetch import fetch_feed, html_to_text, parse_feed

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">
<channel>
  <title>Le Blog</title>
  <link>https://blog.example/</link>
  <item>
    <title>Nouvelle saison &amp; nouveaut\xc3\xa9s</title>
    <link>https://blog.example/saison</link>
    <guid isPermaLink="false">post-42</guid>
    <author>marie@blog.example (Marie)</author>
    <pubDate>Tue, 01 Dec 2026 08:30:00 +0100</pubDate>
    <description><![CDATA[<p>Le <b>printemps</b> arrive.</p><script>x()</script>]]></description>
    <media:content url="https://blog.example/img/saison.jpg" medium="image"/>
  </item>
  <item>
    <title>Sans guid</title>
    <link>/relative</link>
    <description>Texte &lt;img src="/img/a.png"&gt;</description>
  </item>
  <item>
    <title>Ni guid ni lien</title>
    <description>Seulement du texte</description>
  </item>
</channel>
</rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="text">Atom News</title>
  <id>urn:uuid:feed</id>
  <updated>2026-12-01T10:00:00Z</updated>
  <entry>
    <title>First entry</title>
    <id>urn:uuid:entry-1</id>
    <link rel="alternate" href="https://news.example/1"/>
    <link rel="enclosure" type="image/png" href="https://news.example/1.png"/>
    <updated>2026-12-01T10:00:00Z</updated>
    <published>2026-12-01T09:00:00-02:00</published>
    <author><name>Ada</name></author>
    <content type="html">&lt;p&gt;Hello &lt;em&gt;world&lt;/em&gt;&lt;/p&gt;</content>
  </entry>
</feed>"""


def transport_for(
    routes: dict[str, httpx.Response | type[Exception]], seen: list[httpx.Request] | None = None
):
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        answer = routes[str(request.url)]
        if isinstance(answer, type):
            raise answer("boom", request=request)  # type: ignore[call-arg]
        return answer

    return httpx.MockTransport(handler)


def test_it_reads_an_rss2_feed_with_ids_links_plain_text_dates_and_images() -> None:
    url = "https://blog.example/feed.xml"
    result = fetch_feed(
        url,
        transport=transport_for(
            {
                url: httpx.Response(
                    200, content=RSS, headers={"ETag": '"v1"', "Last-Modified": "Tue, 01 Dec 2026"}
                )
            }
        ),
    )
    assert result.ok
    assert result.error == ""
    assert (result.status, result.etag, result.last_modified) == (200, '"v1"', "Tue, 01 Dec 2026")
    assert result.title == "Le Blog"
    first, second, third = result.entries
    assert first.id == "post-42"
    assert first.title == "Nouvelle saison & nouveautés"
    assert first.summary == "Le printemps arrive."  # tags and scripts gone
    assert first.published == datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
    assert first.image_url == "https://blog.example/img/saison.jpg"
    assert "Marie" in first.author
    # No guid: the link is the id, resolved against the feed's address.
    assert second.id == second.link == "https://blog.example/relative"
    assert second.image_url == "https://blog.example/img/a.png"
    # Neither: a stable hash of the content.
    assert third.id.startswith("sha1:")
    assert third.id == parse_feed(RSS, url=url).entries[2].id
    assert third.published is None


def test_it_reads_an_atom_feed() -> None:
    url = "https://news.example/atom"
    result = fetch_feed(url, transport=transport_for({url: httpx.Response(200, content=ATOM)}))
    assert result.ok
    assert result.title == "Atom News"
    (entry,) = result.entries
    assert (entry.id, entry.link, entry.author) == ("urn:uuid:entry-1", "https://news.example/1", "Ada")
    assert entry.summary == "Hello world"
    assert entry.published == datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    assert entry.image_url == "https://news.example/1.png"


def test_it_sends_a_conditional_get_and_reports_304_as_not_modified() -> None:
    url = "https://blog.example/feed.xml"
    seen: list[httpx.Request] = []
    result = fetch_feed(
        url,
        etag='"v1"',
        last_modified="Tue, 01 Dec 2026 08:00:00 GMT",
        transport=transport_for({url: httpx.Response(304)}, seen),
    )
    assert seen[0].headers["If-None-Match"] == '"v1"'
    assert seen[0].headers["If-Modified-Since"] == "Tue, 01 Dec 2026 08:00:00 GMT"
    assert result.not_modified
    assert result.ok
    assert result.entries == []
    assert result.etag == '"v1"'  # kept when the 304 does not repeat it


def test_a_404_is_an_error_in_the_result_not_an_exception() -> None:
    url = "https://blog.example/gone.xml"
    result = fetch_feed(url, transport=transport_for({url: httpx.Response(404, text="nope")}))
    assert result.status == 404
    assert not result.ok
    assert "not found" in result.error
    assert url in result.error


def test_redirects_are_followed_and_the_final_url_reported() -> None:
    a, b = "http://blog.example/rss", "https://blog.example/feed.xml"
    result = fetch_feed(
        a,
        transport=transport_for(
            {a: httpx.Response(301, headers={"Location": b}), b: httpx.Response(200, content=RSS)}
        ),
    )
    assert result.ok
    assert result.final_url == b
    assert len(result.entries) == 3


def test_an_endless_redirect_is_reported() -> None:
    a, b = "https://a.example/feed", "https://b.example/feed"
    result = fetch_feed(
        a,
        transport=transport_for(
            {a: httpx.Response(302, headers={"Location": b}), b: httpx.Response(302, headers={"Location": a})}
        ),
    )
    assert "endless redirect" in result.error
    assert result.entries == []


def test_too_many_redirects_are_bounded() -> None:
    routes: dict[str, httpx.Response | type[Exception]] = {
        f"https://x.example/{i}": httpx.Response(302, headers={"Location": f"/{i + 1}"}) for i in range(10)
    }
    result = fetch_feed("https://x.example/0", transport=transport_for(routes), max_redirects=3)
    assert "more than 3 redirects" in result.error


def test_broken_xml_without_entries_names_the_line() -> None:
    url = "https://blog.example/broken"
    body = b'<?xml version="1.0"?>\n<rss version="2.0">\n<channel><title>x</title>\n<<<'
    result = fetch_feed(url, transport=transport_for({url: httpx.Response(200, content=body)}))
    assert result.entries == []
    assert "broken XML at line" in result.error
    assert "no entries" in result.error


def test_a_web_page_is_not_a_feed() -> None:
    url = "https://blog.example/"
    page = b"<!doctype html><html><head><title>Blog</title></head><body>hi</body></html>"
    result = fetch_feed(url, transport=transport_for({url: httpx.Response(200, content=page)}))
    assert "web page" in result.error
    assert result.entries == []


LATIN1_ITEM = "<item><title>\xc9t\xe9 \xe0 Nice</title><guid>e1</guid></item>"


def test_a_declared_latin1_feed_is_decoded() -> None:
    url = "https://old.example/rss"
    body = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>Caf\xe9</title>'
        f"{LATIN1_ITEM}</channel></rss>"
    ).encode("latin-1")
    result = fetch_feed(url, transport=transport_for({url: httpx.Response(200, content=body)}))
    assert result.ok
    assert result.title == "Café"
    assert result.entries[0].title == "Été à Nice"


def test_an_undeclared_latin1_feed_is_read_with_an_encoding_warning() -> None:
    url = "https://old.example/rss"
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{LATIN1_ITEM}</channel></rss>'
    result = fetch_feed(
        url, transport=transport_for({url: httpx.Response(200, content=body.encode("latin-1"))})
    )
    assert result.entries[0].title == "Été à Nice"
    assert "encoding" in result.error
    assert not result.ok


def test_network_failures_and_timeouts_are_errors_in_the_result() -> None:
    url = "https://down.example/rss"
    assert "cannot reach" in fetch_feed(url, transport=transport_for({url: httpx.ConnectError})).error
    assert "no answer" in fetch_feed(url, transport=transport_for({url: httpx.ReadTimeout})).error


def test_only_http_urls_are_fetched() -> None:
    assert "only http and https" in fetch_feed("file:///etc/passwd").error


def test_html_to_text_keeps_paragraph_breaks_and_decodes_entities() -> None:
    assert html_to_text("<p>Un&nbsp;&amp; deux</p><p>trois</p>") == "Un & deux\ntrois"
