"""Listening pages: queries with parse errors under the field and an htmx preview, the mentions stream
with filters and pagination, streamed CSV, overview charts data, share of voice, influencers, the
watch list with notes, trends, and roles."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from listening_helpers import item

from tamtam.accounts.models import User, Workspace
from tamtam.listening import analytics
from tamtam.listening.models import InfluencerNote, ListeningAuthor, Mention, Query, Source, WatchedAuthor
from tamtam.listening.pipeline import Pipeline

pytestmark = pytest.mark.django_db


def _words(n: int) -> str:
    return " ".join(hashlib.blake2b(f"{n}-{k}".encode()).hexdigest()[:8] for k in range(4))


@pytest.fixture
def stored(pipeline: Pipeline, make_query: Callable[..., Query], make_source: Callable[..., Source]) -> dict:
    """A workspace with brand and competitor queries and a few stored mentions (recent)."""
    now = timezone.now()
    brand = make_query("lumen", name="Lumen")
    rival = make_query("kaldo", name="Kaldo", kind="competitor")
    source = make_source()
    texts = [
        ("Service client Lumen injoignable, c'est une honte 😡", "fr"),
        ("J'adore mon Lumen, super vélo électrique !", "fr"),
        ("Lumen customer service is a disgrace, terrible experience", "en"),
        ("Kaldo ou Lumen pour aller au travail ?", "fr"),
        ("Kaldo is great, love it", "en"),
        ('=HYPERLINK("http://evil") Lumen', "en"),
    ]
    pipeline.process(
        [
            item(text, n, lang=lang, published_at=now - timedelta(minutes=10 + n), source_id=source.pk)
            for n, (text, lang) in enumerate(texts)
        ],
        now=now,
    )
    return {"brand": brand, "rival": rival, "source": source, "now": now}


def test_query_form_shows_a_parse_error_with_its_position_under_the_field(
    login: Callable[[User], Client], members: dict[str, User], workspace: Workspace
) -> None:
    client = login(members["manager"])
    response = client.post(
        f"/w/{workspace.pk}/listening/queries/new/",
        {"name": "Brand", "kind": "brand", "expression": "lumen AND (kaldo OR brivio", "enabled": "on"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="expression-error"' in html
    assert "position 11: unclosed parenthesis" in html
    assert not Query.objects.exists()


def test_creating_a_query_saves_it_with_its_languages(
    login: Callable[[User], Client], members: dict[str, User], workspace: Workspace
) -> None:
    client = login(members["community"])
    response = client.post(
        f"/w/{workspace.pk}/listening/queries/new/",
        {
            "name": "Brand",
            "kind": "brand",
            "expression": '"lumen go" OR lumen*',
            "languages": "fr, EN",
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    query = Query.objects.get()
    assert (query.workspace, query.languages, query.enabled) == (workspace, ["fr", "en"], True)


def test_a_bad_language_code_is_refused_on_its_field(
    login: Callable[[User], Client], members: dict[str, User], workspace: Workspace
) -> None:
    client = login(members["owner"])
    response = client.post(
        f"/w/{workspace.pk}/listening/queries/new/",
        {"name": "Brand", "kind": "brand", "expression": "lumen", "languages": "french!"},
    )
    assert response.status_code == 400
    assert "is not a language code" in response.content.decode()


def test_the_htmx_preview_shows_the_parse_error_or_the_matching_recent_mentions(
    stored: dict, login: Callable[[User], Client], members: dict[str, User], workspace: Workspace
) -> None:
    client = login(members["manager"])
    url = f"/w/{workspace.pk}/listening/queries/preview/"
    bad = client.post(url, {"expression": 'lumen "service'}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 200
    assert "position 7: unclosed quote" in bad.content.decode()
    good = client.post(url, {"expression": '"service client" OR "customer service"'}, HTTP_HX_REQUEST="true")
    html = good.content.decode()
    assert html.count('data-testid="mention"') == 2
    assert "injoignable" in html
    assert "disgrace" in html
    only_en = client.post(url, {"expression": '"service client" OR "customer service"', "languages": "en"})
    assert only_en.content.decode().count('data-testid="mention"') == 1


def test_the_mentions_stream_filters_by_query_sentiment_language_source_and_author(
    stored: dict, login: Callable[[User], Client], members: dict[str, User], workspace: Workspace
) -> None:
    client = login(members["analyst"])
    url = f"/w/{workspace.pk}/listening/mentions/"

    def count(**params: object) -> int:
        response = client.get(url, params)
        assert response.status_code == 200
        return response.content.decode().count('data-testid="mention"')

    assert count() == 6
    assert count(query=stored["rival"].pk) == 2
    assert count(sentiment="negative") == len(Mention.objects.filter(sentiment="negative"))
    assert count(lang="en") == 3
    assert count(source=stored["source"].pk) == 6
    assert count(author="user1") == 1
    assert count(text="vélo") == 1
    today = timezone.localdate()
    assert count(since=(today + timedelta(days=2)).isoformat()) == 0


def test_the_mentions_stream_paginates(
    pipeline: Pipeline,
    make_query: Callable[..., Query],
    login: Callable[[User], Client],
    members: dict[str, User],
    workspace: Workspace,
) -> None:
    make_query("lumen")
    now = timezone.now()
    pipeline.process(
        [
            # Texts far apart: similar ones would be grouped as near-duplicates.
            item(f"Lumen numéro {n} {_words(n)}", n, published_at=now - timedelta(seconds=n))
            for n in range(60)
        ],
        now=now,
    )
    client = login(members["owner"])
    first = client.get(f"/w/{workspace.pk}/listening/mentions/").content.decode()
    second = client.get(f"/w/{workspace.pk}/listening/mentions/?page=2").content.decode()
    assert first.count('data-testid="mention"') == 50
    assert second.count('data-testid="mention"') == 10
    assert "numéro 0 " in first
    assert "numéro 59 " in second


def test_the_csv_export_is_streamed_with_the_filters_and_defuses_formulas(
    stored: dict, login: Callable[[User], Client], members: dict[str, User], workspace: Workspace
) -> None:
    client = login(members["analyst"])
    response = client.get(f"/w/{workspace.pk}/listening/mentions.csv?lang=en")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["published_at", "network", "author"]
    assert len(rows) == 1 + 3
    assert {r[4] for r in rows[1:]} == {"en"}
    formula = next(r for r in rows[1:] if "HYPERLINK" in r[10])
    assert formula[10].startswith("'=")
    assert "Lumen" in {q for r in rows[1:] for q in r[7].split("; ")}


def test_the_overview_draws_volume_by_sentiment_and_share_of_voice(
    stored: dict, login: Callable[[User], Client], members: dict[str, User], workspace: Workspace
) -> None:
    client = login(members["analyst"])
    response = client.get(f"/w/{workspace.pk}/listening/?days=1")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="volume-data"' in html
    assert "vendor/chart.js/dist/chart.umd.min.js" in html
    series = analytics.volume_series(workspace, 1)
    assert sum(sum(v) for v in series["series"].values()) == 6
    voices = {v.query.name: v for v in analytics.share_of_voice(workspace)}
    assert voices["Lumen"].mentions == 5
    assert voices["Kaldo"].mentions == 2
    assert voices["Lumen"].share == pytest.approx(100 * 5 / 7)
    assert 'data-testid="share-of-voice"' in html


def test_influencers_show_reach_and_tone_and_can_be_watched_with_notes(
    stored: dict, login: Callable[[User], Client], members: dict[str, User], workspace: Workspace
) -> None:
    client = login(members["community"])
    page = client.get(f"/w/{workspace.pk}/listening/authors/?order=reach")
    assert page.status_code == 200
    rows = analytics.top_authors(workspace, order="reach")
    assert [r.author.followers for r in rows] == sorted((r.author.followers for r in rows), reverse=True)
    author = ListeningAuthor.objects.get(remote_id="u0")
    response = client.post(
        f"/w/{workspace.pk}/listening/authors/{author.pk}/watch/", {"note": "Très suivie à Lyon"}
    )
    entry = WatchedAuthor.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/w/{workspace.pk}/listening/watchlist/{entry.pk}/"
    client.post(response["Location"], {"action": "note", "text": "Contactée le 2/12, intéressée"})
    client.post(response["Location"], {"action": "status", "status": "contacted"})
    entry.refresh_from_db()
    assert entry.status == "contacted"
    assert list(InfluencerNote.objects.values_list("text", flat=True)) == [
        "Contactée le 2/12, intéressée",
        "Très suivie à Lyon",
    ]
    detail = client.get(response["Location"]).content.decode()
    assert "Contactée le 2/12" in detail
    assert 'data-testid="mention"' in detail


def test_an_author_outside_the_workspace_cannot_be_watched(
    login: Callable[[User], Client], members: dict[str, User], workspace: Workspace
) -> None:
    author = ListeningAuthor.objects.create(network="sandbox", remote_id="x", handle="x")
    response = login(members["owner"]).post(f"/w/{workspace.pk}/listening/authors/{author.pk}/watch/")
    assert response.status_code == 404


def test_trends_rank_terms_rising_against_their_baseline_not_just_frequent() -> None:
    baseline = [f"Lumen vélo {n}" for n in range(200)] + ["Lumen batterie"] * 2
    recent = (
        [f"Lumen vélo batterie #rappel {n}" for n in range(30)]
        + ["Lumen vélo"] * 30
        + ["Lumen surchauffe"] * 2
    )
    words, tags = analytics.rising_terms(recent, baseline, min_support=3)
    assert words[0].term == "batterie"
    assert "lumen" not in [t.term for t in words]  # frequent everywhere: not rising
    assert "velo" not in [t.term for t in words]
    assert "surchauffe" not in [t.term for t in words]  # below the minimum support
    assert [t.term for t in tags] == ["#rappel"]


def test_analysts_read_but_cannot_change_and_clients_see_nothing(
    stored: dict, login: Callable[[User], Client], members: dict[str, User], workspace: Workspace
) -> None:
    analyst = login(members["analyst"])
    assert analyst.get(f"/w/{workspace.pk}/listening/queries/").status_code == 200
    assert analyst.get(f"/w/{workspace.pk}/listening/queries/new/").status_code == 403
    assert (
        analyst.post(f"/w/{workspace.pk}/listening/queries/{stored['brand'].pk}/delete/").status_code == 403
    )
    assert (
        analyst.post(f"/w/{workspace.pk}/listening/sources/", {"kind": "sandbox", "name": "x"}).status_code
        == 403
    )
    client = login(members["client"])
    for path in ("", "mentions/", "mentions.csv", "queries/", "authors/", "trends/", "watchlist/"):
        assert client.get(f"/w/{workspace.pk}/listening/{path}").status_code == 403, path


def test_sources_page_adds_a_feed_and_shows_a_dead_source_with_its_error(
    login: Callable[[User], Client],
    members: dict[str, User],
    workspace: Workspace,
    make_source: Callable[..., Source],
) -> None:
    dead = make_source(
        "rss", url="https://gone.example/feed", state="dead", last_error="the feed was not found (HTTP 404)"
    )
    client = login(members["manager"])
    page = client.get(f"/w/{workspace.pk}/listening/sources/").content.decode()
    assert "the feed was not found (HTTP 404)" in page
    assert 'data-state="dead"' in page
    response = client.post(
        f"/w/{workspace.pk}/listening/sources/",
        {"kind": "rss", "name": "Le Blog", "url": "ftp://x", "interval_seconds": 300},
    )
    assert response.status_code == 400
    assert "http://" in response.content.decode()
    response = client.post(
        f"/w/{workspace.pk}/listening/sources/",
        {"kind": "rss", "name": "Le Blog", "url": "https://blog.example/feed.xml", "interval_seconds": 300},
    )
    assert response.status_code == 302
    assert Source.objects.filter(name="Le Blog", state="idle").exists()
    client.post(f"/w/{workspace.pk}/listening/sources/{dead.pk}/revive/")
    dead.refresh_from_db()
    assert (dead.state, dead.consecutive_failures) == ("idle", 0)


def test_the_navigation_links_to_listening_for_roles_that_can_read_it(
    login: Callable[[User], Client], members: dict[str, User], workspace: Workspace
) -> None:
    assert (
        'data-testid="nav-listening"'
        in login(members["analyst"]).get(f"/w/{workspace.pk}/listening/").content.decode()
    )
