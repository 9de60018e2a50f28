"""Every listening page reads in English and in French (issue 5, "Done when": the views in both
languages): with mentions, authors, a watched influencer and trends stored, each page answers 200 in
both languages, and no visible text of the French page is an English interface string that has a
French translation (a string left out of the catalogue, or rendered without `translate`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import trans_real
from listening_helpers import item

from tamtam.accounts.models import User, Workspace
from tamtam.listening.models import ListeningAuthor, Query, Source, WatchedAuthor
from tamtam.listening.pipeline import Pipeline

pytestmark = pytest.mark.django_db


class _Text(HTMLParser):
    """The visible text nodes of a page and the values people read in attributes (placeholders,
    titles, button labels), whitespace collapsed."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("placeholder", "title", "aria-label") and value:
                self.nodes.append(" ".join(value.split()))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._skip:
            self.nodes.append(text)


def _texts(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.nodes


def _english_strings_with_a_french_translation() -> set[str]:
    """The msgids of the French catalogues (every app) whose French, as Django looks it up (the first
    app's catalogue holding a msgid wins), differs from the English."""
    with translation.override("fr"):
        catalog = trans_real.translation("fr")._catalog  # type: ignore[attr-defined]
        # TranslationCatalog has keys() but no __iter__: `in catalog` would not walk it.
        keys = {k for k in catalog.keys() if isinstance(k, str) and len(k) > 3 and "%" not in k}  # noqa: SIM118
        return {key for key in keys if translation.gettext(key) != key}


@pytest.fixture
def pages(
    pipeline: Pipeline,
    make_query: Callable[..., Query],
    make_source: Callable[..., Source],
    workspace: Workspace,
    members: dict[str, User],
) -> list[str]:
    now = timezone.now()
    brand = make_query("lumen", name="Lumen")
    make_query("kaldo", name="Kaldo", kind="competitor")
    source = make_source()
    make_source(kind="rss", name="Blog vélo", url="https://blog.example/feed.xml")
    texts = [
        ("Service client Lumen injoignable, c'est une honte 😡", "fr", 0),
        ("J'adore mon Lumen, super vélo électrique !", "fr", 0),
        ("Lumen customer service is a disgrace, terrible experience", "en", 0),
        ("Kaldo ou Lumen pour aller au travail ?", "fr", 0),
        ("Kaldo is great, love it #velotaf", "en", 0),
        ("La batterie du Lumen surchauffe encore #rappel", "fr", 0),
        ("Lumen batterie qui surchauffe après une heure", "fr", 0),
        ("Livraison du Lumen reçue hier, montage facile", "fr", 3),
    ]
    pipeline.process(
        [
            item(text, n, lang=lang, published_at=now - timedelta(days=days, minutes=n), source_id=source.pk)
            for n, (text, lang, days) in enumerate(texts)
        ],
        now=now,
    )
    author = ListeningAuthor.objects.get(remote_id="u0")
    watched = WatchedAuthor.objects.create(workspace=workspace, author=author)
    base = f"/w/{workspace.pk}/listening/"
    return [
        base,
        base + "mentions/",
        base + "queries/",
        base + "queries/new/",
        base + f"queries/{brand.pk}/",
        base + "sources/",
        base + "authors/",
        base + "watchlist/",
        base + f"watchlist/{watched.pk}/",
        base + "trends/",
    ]


def test_every_listening_page_reads_in_english_and_in_french(
    pages: list[str], login: Callable[[User], Client], members: dict[str, User]
) -> None:
    client = login(members["owner"])
    english_only = _english_strings_with_a_french_translation()
    usernames = {u.username for u in members.values()}
    assert "Share of voice" in english_only  # the catalogue is the one the pages use
    leaks: dict[str, list[str]] = {}
    for url in pages:
        english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
        assert (english.status_code, french.status_code) == (200, 200), url
        english_texts = set(_texts(english.content.decode()))
        french_texts = _texts(french.content.decode())
        # The page really switched: some English interface string of the page is gone in French.
        assert english_texts & english_only, url
        assert not set(french_texts) >= (english_texts & english_only), url
        # People's names are data, not interface strings (a user called "owner" is not a leak).
        found = sorted({t for t in french_texts if t in english_only and t not in usernames})
        if found:
            leaks[url] = found
    assert leaks == {}
    # Listening's own word for the filter, not the inbox's "Sentiment" (same msgid, earlier app).
    mentions = client.get(pages[1], HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Tonalité" in _texts(mentions)
    assert "Sentiment" not in _texts(mentions)
