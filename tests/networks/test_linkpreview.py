"""Link preview cards (Bluesky, LinkedIn): read from the page's Open Graph tags, else its title and
description; best effort, never an error, never a probe of the server's own network. Pages are
served by an httpx mock transport (no network)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tamtam.networks import linkpreview

ARTICLE = """<!doctype html><html><head><meta charset="utf-8">
<title>Ignored when og:title exists</title>
<meta property="og:title" content="  Nouvelle collection   Lin &amp; Lumière ">
<meta property="og:description" content="Douze bougies coulées à la main à Lyon.">
<meta property="og:image" content="/img/collection.jpg">
</head><body><p>…</p></body></html>"""


def transport(
    routes: dict[str, Callable[[httpx.Request], httpx.Response]], seen: list[str]
) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        answer = routes.get(str(request.url))
        return answer(request) if answer else httpx.Response(404, text="not found")

    return httpx.MockTransport(handler)


def html(body: str, charset: str = "utf-8") -> Callable[[httpx.Request], httpx.Response]:
    return lambda r: httpx.Response(
        200, content=body.encode(charset), headers={"content-type": f"text/html; charset={charset}"}
    )


def test_open_graph_tags_give_the_title_description_and_an_absolute_image() -> None:
    seen: list[str] = []
    card = linkpreview.fetch(
        "https://maison.example/collection",
        transport=transport({"https://maison.example/collection": html(ARTICLE)}, seen),
    )
    assert card.title == "Nouvelle collection Lin & Lumière"
    assert card.description == "Douze bougies coulées à la main à Lyon."
    assert card.image_url == "https://maison.example/img/collection.jpg"


def test_without_open_graph_the_title_and_meta_description_are_used_in_the_pages_encoding() -> None:
    page = (
        "<html><head><title>Café du matin</title>"
        '<meta name="description" content="Torréfié à Brooklyn"></head><body></body></html>'
    )
    card = linkpreview.fetch(
        "https://cafe.example/", transport=transport({"https://cafe.example/": html(page, "latin-1")}, [])
    )
    assert (card.title, card.description, card.image_url) == ("Café du matin", "Torréfié à Brooklyn", "")


def test_redirects_are_followed_a_few_times_only() -> None:
    hop = {
        "https://t.example/a": lambda r: httpx.Response(301, headers={"location": "/b"}),
        "https://t.example/b": html("<title>Arrivé</title>"),
    }
    assert linkpreview.fetch("https://t.example/a", transport=transport(hop, [])).title == "Arrivé"
    seen: list[str] = []
    loop = {"https://t.example/loop": lambda r: httpx.Response(302, headers={"location": "/loop"})}
    assert linkpreview.fetch("https://t.example/loop", transport=transport(loop, seen)).title == ""
    assert len(seen) == linkpreview.MAX_REDIRECTS + 1


def test_a_missing_page_a_non_html_answer_or_a_timeout_give_an_empty_card() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    routes = {
        "https://x.example/pdf": lambda r: httpx.Response(
            200, content=b"%PDF", headers={"content-type": "application/pdf"}
        ),
        "https://x.example/slow": timeout,
    }
    for url in ("https://x.example/missing", "https://x.example/pdf", "https://x.example/slow"):
        card = linkpreview.fetch(url, transport=transport(routes, []))
        assert (card.url, card.title, card.description, card.image_url) == (url, "", "", "")


def test_private_addresses_and_other_schemes_are_never_fetched() -> None:
    seen: list[str] = []
    for url in (
        "http://127.0.0.1:8000/admin/",
        "http://10.0.0.2/",
        "http://localhost/",
        "file:///etc/passwd",
    ):
        assert linkpreview.fetch(url, transport=transport({}, seen)).title == ""
    redirect = {
        "https://pub.example/": lambda r: httpx.Response(302, headers={"location": "http://192.168.1.1/"})
    }
    assert linkpreview.fetch("https://pub.example/", transport=transport(redirect, seen)).title == ""
    assert seen == ["https://pub.example/"]  # the redirect to the private address was not followed


def test_a_preview_image_must_be_an_image_within_the_size() -> None:
    routes = {
        "https://i.example/ok.jpg": lambda r: httpx.Response(
            200, content=b"\xff\xd8" + b"x" * 98, headers={"content-type": "image/jpeg"}
        ),
        "https://i.example/big.jpg": lambda r: httpx.Response(
            200, content=b"x" * 101, headers={"content-type": "image/jpeg"}
        ),
        "https://i.example/page": html("<title>no</title>"),
    }
    image = linkpreview.fetch_image("https://i.example/ok.jpg", 100, transport=transport(routes, []))
    assert image is not None
    assert (len(image.data), image.content_type) == (100, "image/jpeg")
    assert linkpreview.fetch_image("https://i.example/big.jpg", 100, transport=transport(routes, [])) is None
    assert linkpreview.fetch_image("https://i.example/page", 100, transport=transport(routes, [])) is None
