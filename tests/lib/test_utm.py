"""UTM tagging keeps the user's URL intact and never overrides what they set."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tamtam.lib.utm import add_utm, apply_utm_to_text, utm_params_of

TAGS = ("linkedin", "social", "spring_sale")


def test_it_appends_utm_before_the_fragment_and_keeps_other_parameters():
    assert add_utm("https://shop.fr/p?id=3#top", "linkedin", "social", "spring sale") == (
        "https://shop.fr/p?id=3&utm_source=linkedin&utm_medium=social&utm_campaign=spring%20sale#top"
    )


def test_optional_fields_are_added_only_when_given():
    tagged = add_utm("https://shop.fr/", *TAGS, content="post-42", term="")
    assert (
        tagged
        == "https://shop.fr/?utm_source=linkedin&utm_medium=social&utm_campaign=spring_sale&utm_content=post-42"
    )


def test_utm_set_by_the_user_wins_and_is_not_duplicated():
    url = "https://shop.fr/p?UTM_Source=newsletter&x=1"
    tagged = add_utm(url, *TAGS)
    assert tagged == url + "&utm_medium=social&utm_campaign=spring_sale"
    assert [k.lower() for k, _ in parse_qsl(urlsplit(tagged).query)].count("utm_source") == 1


def test_already_encoded_values_are_not_encoded_twice():
    assert add_utm("https://shop.fr/", "a b", "social", "spring%20sale").endswith(
        "utm_source=a%20b&utm_medium=social&utm_campaign=spring%20sale"
    )
    assert add_utm("https://shop.fr/", "x", "y", "100% off").endswith("utm_campaign=100%25%20off")


def test_internationalised_hosts_and_paths_are_kept_as_written():
    assert add_utm("https://exämple.fr/été?q=é", "x", "social", "c") == (
        "https://exämple.fr/été?q=é&utm_source=x&utm_medium=social&utm_campaign=c"
    )
    assert (
        add_utm("HTTPS://例え.jp/?", "x", "social", "c")
        == "HTTPS://例え.jp/?utm_source=x&utm_medium=social&utm_campaign=c"
    )
    assert add_utm("https://xn--exmple-cua.fr/a", "x", "y", "z").startswith("https://xn--exmple-cua.fr/a?")


@pytest.mark.parametrize(
    "url",
    [
        "mailto:hello@shop.fr",
        "tel:+33123456789",
        "/relative/path",
        "ftp://files.shop.fr/a",
        "shop.fr/promo",
        "javascript:alert(1)",
        "https://",
        "https://[::1",
        "",
        "https://shop.fr/a b",
    ],
)
def test_non_web_urls_come_back_unchanged(url):
    assert add_utm(url, *TAGS) == url


def test_empty_values_add_nothing():
    assert add_utm("https://shop.fr/", "", "", " ") == "https://shop.fr/"


def test_apply_utm_to_text_tags_each_link_but_not_trailing_punctuation():
    text = "Nouveautés : https://shop.fr/new. Et aussi (https://shop.fr/sale) ! mailto:a@b.fr"
    params = {"utm_source": "x", "utm_medium": "social", "utm_campaign": "c"}
    assert apply_utm_to_text(text, params) == (
        "Nouveautés : https://shop.fr/new?utm_source=x&utm_medium=social&utm_campaign=c. "
        "Et aussi (https://shop.fr/sale?utm_source=x&utm_medium=social&utm_campaign=c) ! mailto:a@b.fr"
    )


def test_apply_utm_to_text_can_be_limited_to_the_brands_domains():
    text = "https://www.shop.fr/a https://blog.shop.fr/b https://partner.com/c"
    params = {"source": "x", "medium": "social", "campaign": "c"}
    tagged = apply_utm_to_text(text, params, domains=["shop.fr"])
    links = tagged.split(" ")
    assert "utm_source=x" in links[0]
    assert "utm_source=x" in links[1]
    assert links[2] == "https://partner.com/c"


def test_utm_params_of_accepts_both_spellings():
    assert utm_params_of({"utm_source": "a", "medium": "b"}) == {
        "source": "a",
        "medium": "b",
        "campaign": "",
        "content": "",
        "term": "",
    }


# --- properties ----------------------------------------------------------------------------------------

_safe = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "N"]) | st.sampled_from("-._~%+"),
    max_size=12,
)
_param = st.tuples(_safe.filter(lambda s: s and not s.lower().startswith("utm_")), _safe)
_host = st.from_regex(r"[a-z][a-z0-9-]{0,10}\.(fr|com|org|xn--p1ai)", fullmatch=True) | st.sampled_from(
    ["exämple.fr", "例え.jp", "localhost:8000", "127.0.0.1"]
)
_value = st.text(min_size=1, max_size=20).filter(lambda s: s.strip())


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTPS"]))
    path = "/".join(draw(st.lists(_safe, max_size=3)))
    params = draw(st.lists(_param, max_size=4))
    query = "&".join(f"{k}={v}" for k, v in params)
    url = f"{scheme}://{draw(_host)}/{path}"
    if query or draw(st.booleans()):
        url += "?" + query
    if draw(st.booleans()):
        url += "#" + draw(_safe)
    return url


@given(urls(), st.tuples(_value, _value, _value, st.text(max_size=10), st.text(max_size=10)))
def test_add_utm_is_idempotent(url, tags):
    once = add_utm(url, *tags)
    assert add_utm(once, *tags) == once
    assert add_utm(once, "other", "other", "other") == once  # the first tags are never overridden


@given(urls(), _value, _value, _value)
def test_add_utm_keeps_the_original_query_and_fragment(url, source, medium, campaign):
    tagged = add_utm(url, source, medium, campaign)
    before, after = urlsplit(url), urlsplit(tagged)
    assert after.scheme == before.scheme
    assert after.netloc == before.netloc
    assert after.path == before.path
    assert after.fragment == before.fragment
    assert after.query.startswith(before.query)
    original = parse_qsl(before.query, keep_blank_values=True)
    assert parse_qsl(after.query, keep_blank_values=True)[: len(original)] == original
    added = dict(parse_qsl(after.query[len(before.query) :].lstrip("&")))
    # Values are taken as possibly already encoded: "%20" stays a space, never becomes "%2520".
    assert added["utm_source"] == unquote(source.strip())
    assert added["utm_campaign"] == unquote(campaign.strip())
