"""Counting and entity extraction in tamtam.nlp.text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tamtam.nlp.text import (
    extract_hashtags,
    extract_mentions,
    extract_urls,
    find_bare_domains,
    find_emails,
    find_hashtags,
    find_mentions,
    find_urls,
    fold_accents,
    grapheme_len,
    graphemes,
    is_emoji,
    normalize_apostrophes,
    normalize_text,
    replace_spans,
    utf8_len,
    utf16_len,
)

FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # woman woman girl boy, ZWJ joined
FLAG_FR = "\U0001f1eb\U0001f1f7"
FLAG_ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"  # tag sequence
KEYCAP_ONE = "1\ufe0f\u20e3"
THUMB_DARK = "\U0001f44d\U0001f3ff"  # thumbs up + skin tone
RAINBOW_FLAG = "\U0001f3f3\ufe0f\u200d\U0001f308"
MULTI_CODE_POINT_EMOJI = [FAMILY, FLAG_FR, FLAG_ENGLAND, KEYCAP_ONE, THUMB_DARK, RAINBOW_FLAG]


def test_each_emoji_sequence_and_flag_counts_one_grapheme():
    for emoji in MULTI_CODE_POINT_EMOJI:
        assert len(emoji) > 1
        assert grapheme_len(emoji) == 1, emoji
        assert is_emoji(emoji)


def test_a_decomposed_accent_is_one_grapheme():
    assert grapheme_len("e\u0301te\u0301") == 3
    assert grapheme_len("été") == 3


def test_crlf_is_one_grapheme_even_in_ascii():
    assert grapheme_len("a\r\nb") == 3


@given(st.lists(st.sampled_from(MULTI_CODE_POINT_EMOJI), min_size=1, max_size=40))
def test_emoji_separated_by_spaces_count_one_each(emojis):
    text = " ".join(emojis)
    assert grapheme_len(text) == 2 * len(emojis) - 1
    assert graphemes(text)[::2] == emojis


@given(st.text(alphabet=st.characters(codec="ascii", exclude_characters="\r")))
def test_ascii_without_cr_counts_code_points(text):
    assert grapheme_len(text) == len(text)


def test_utf16_and_utf8_lengths():
    assert utf16_len("a\U0001f44d") == 3  # the emoji is a surrogate pair
    assert utf16_len("é") == 1
    assert utf8_len("é") == 2
    assert utf8_len("\U0001f44d") == 4


def test_letters_and_digits_are_not_emoji():
    assert [is_emoji(g) for g in ["a", "1", "é", "#"]] == [False, False, False, False]


def test_normalize_text_composes_and_unifies_newlines_and_drops_invisibles():
    assert normalize_text("e\u0301te\u0301\r\nfin\u200b\ufeff") == "été\nfin"
    assert normalize_text(FAMILY) == FAMILY  # ZWJ is kept


def test_normalize_apostrophes_and_fold_accents():
    assert normalize_apostrophes("l\u2019été") == "l'été"
    assert fold_accents("Déjà, l'œuvre à Noël") == "Deja, l'oeuvre a Noel"


def test_urls_lose_trailing_punctuation_but_keep_balanced_parentheses():
    text = "Voir https://ex.fr/a. Et (https://ex.fr/b) puis https://fr.wikipedia.org/wiki/Paris_(France), fin"
    assert extract_urls(text) == [
        "https://ex.fr/a",
        "https://ex.fr/b",
        "https://fr.wikipedia.org/wiki/Paris_(France)",
    ]


def test_url_spans_point_into_the_text():
    text = "→ https://exämple.fr/été?q=1#x !"
    [span] = find_urls(text)
    assert text[span.start : span.end] == span.text == "https://exämple.fr/été?q=1#x"


def test_hashtags_need_a_letter_and_are_not_url_fragments():
    text = "#Été2024 #2024 #été_fr https://ex.fr/page#section #️⃣ a#b"
    assert extract_hashtags(text) == ["Été2024", "été_fr"]


def test_mentions_plain_bluesky_and_fediverse_but_not_emails():
    text = "@alice, @bob.bsky.social et @carol@mastodon.social — écrire à dan@ex.fr."
    assert extract_mentions(text) == ["alice", "bob.bsky.social", "carol@mastodon.social"]
    assert [s.text for s in find_emails(text)] == ["dan@ex.fr"]


def test_bare_domains_are_found_but_not_inside_urls_or_emails():
    text = "www.site.com/promo ou exemple.fr, pas https://a.fr/b ni x@y.fr ni fin.Le"
    assert [s.text for s in find_bare_domains(text)] == ["www.site.com/promo", "exemple.fr"]


@given(st.text(max_size=200))
def test_entity_spans_always_slice_the_text(text):
    for finder in (find_urls, find_hashtags, find_mentions, find_emails, find_bare_domains):
        for span in finder(text):
            assert text[span.start : span.end] == span.text


def test_replace_spans():
    text = "a https://x.fr b"
    assert replace_spans(text, find_urls(text), "URL") == "a URL b"
