"""check_variant: what each network would refuse (errors) and what deserves a look (warnings)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tamtam.networks.limits import NETWORK_KEYS, limits_for
from tamtam.publishing.checks import (
    MediaInfo,
    Problem,
    check_variant,
    count_for,
    has_errors,
    text_as_published,
)

LONG_URL = "https://example.com/" + "a" * 120
JPEG = MediaInfo("image/jpeg", 200_000, "photo.jpg")
PNG = MediaInfo("image/png", 200_000, "photo.png")
MP4 = MediaInfo("video/mp4", 5_000_000, "clip.mp4")
GIF = MediaInfo("image/gif", 1_000_000, "fun.gif")


def codes(problems: list[Problem], severity: str | None = None) -> list[str]:
    return [p.code for p in problems if severity is None or p.severity == severity]


def test_a_good_post_has_no_problem():
    assert check_variant("x", "Notre nouvelle collection est là !", LONG_URL, [JPEG], "", "fr") == []
    assert check_variant("instagram", "Bonne journée à tous", "", [JPEG], "Merci", "fr") == []


def test_x_length_error_counts_links_as_23_and_says_so():
    text = "a" * 288 + " " + LONG_URL
    [problem] = check_variant("x", text)
    assert problem == Problem("text", "too_long", "Text is 312 characters; X allows 280 (links count 23).")
    assert check_variant("x", "a" * 256 + " " + LONG_URL) == []  # 280 exactly


def test_the_link_counts_where_the_network_appends_it_to_the_text():
    text = "a" * 270
    assert text_as_published("x", text, LONG_URL) == text + "\n" + LONG_URL
    [problem] = check_variant("x", text, LONG_URL)
    assert problem.code == "too_long"
    assert "The link is counted" in problem.message
    assert text_as_published("linkedin", text, LONG_URL) == text  # LinkedIn has a link field
    assert text_as_published("x", "see " + LONG_URL, LONG_URL) == "see " + LONG_URL  # not twice


def test_bluesky_counts_graphemes_so_300_emoji_families_fit():
    family = "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
    assert check_variant("bluesky", family * 300) == []
    [problem] = check_variant("bluesky", family * 301)
    assert problem.message == "Text is 301 characters; Bluesky allows 300."


def test_byte_counted_networks_say_bytes():
    [problem] = check_variant("youtube", "é" * 2501, media=[MP4])
    assert problem.message.startswith("Text is 5002 bytes; YouTube allows 5000")


def test_telegram_caption_limit_applies_only_with_media():
    text = "a" * 2000
    assert check_variant("telegram", text) == []
    [problem] = check_variant("telegram", text, media=[JPEG])
    assert problem.code == "too_long"
    assert "1024 in a caption" in problem.message
    assert count_for("telegram", text, has_media=True) == (2000, 1024)


def test_too_many_media_wrong_type_and_oversized_files():
    problems = check_variant("x", "hi", media=[JPEG] * 5)
    assert codes(problems) == ["too_many_media"]
    assert problems[0].message == "5 files attached; X allows 4."
    [wrong] = check_variant("instagram", "hi", media=[PNG])
    assert (wrong.field, wrong.code) == ("media[0]", "media_type")
    assert wrong.message == "photo.png: Instagram accepts JPEG, MOV, MP4 only."
    [big] = check_variant("bluesky", "hi", media=[MediaInfo("image/jpeg", 1_048_576, "big.jpg")])
    assert big.code == "media_too_large"
    assert big.message == "big.jpg is 1.05 MB; Bluesky allows 1 MB."


def test_content_type_is_guessed_from_the_name_when_missing():
    assert check_variant("x", "hi", media=[MediaInfo("", 1000, "photo.jpg")]) == []
    [problem] = check_variant("x", "hi", media=[MediaInfo("application/octet-stream", 1000, "notes.pdf")])
    assert problem.code == "media_type"


def test_video_rules():
    assert codes(check_variant("x", "hi", media=[JPEG, MP4])) == ["mixed_media"]
    assert codes(check_variant("x", "hi", media=[MP4, MP4])) == ["too_many_videos"]
    assert check_variant("instagram", "hi", media=[JPEG, MP4]) == []  # carousels mix
    assert codes(check_variant("x", "hi", media=[GIF, JPEG])) == ["gif_not_alone"]
    assert check_variant("x", "hi", media=[MediaInfo("image/gif", 12 * 1024 * 1024, "big.gif")]) == []


def test_required_media():
    assert codes(check_variant("instagram", "hi")) == ["media_required"]
    assert codes(check_variant("pinterest", "hi")) == ["media_required"]
    [problem] = check_variant("youtube", "hi")
    assert problem.message == "YouTube needs a video."
    assert codes(check_variant("tiktok", "hi", media=[PNG])) == ["media_type"]
    assert check_variant("tiktok", "hi", media=[JPEG]) == []  # a photo post (JPEG or WebP)
    assert check_variant("tiktok", "hi", media=[MP4]) == []


def test_empty_posts_and_networks_that_need_text():
    assert codes(check_variant("x", "  ")) == ["empty"]
    assert check_variant("x", "", media=[JPEG]) == []
    assert codes(check_variant("reddit", "", media=[JPEG])) == ["text_required"]


def test_instagram_hashtags_and_mentions():
    tags = " ".join(f"#tag{i}a" for i in range(31))
    problems = check_variant("instagram", tags, media=[JPEG])
    assert codes(problems) == ["too_many_hashtags"]
    assert problems[0].message == "31 hashtags; Instagram allows 30."
    assert check_variant("instagram", " ".join(f"#tag{i}a" for i in range(30)), media=[JPEG]) == []
    mentions = " ".join(f"@user{i}" for i in range(21))
    assert codes(check_variant("instagram", mentions, media=[JPEG])) == ["too_many_mentions"]
    assert codes(check_variant("instagram", "hi", media=[JPEG], first_comment=tags)) == ["too_many_hashtags"]


def test_link_warnings_and_limits():
    [problem] = check_variant("instagram", "Lien : https://shop.fr", media=[JPEG])
    assert (problem.code, problem.severity) == ("link_not_clickable", "warning")
    six = " ".join(f"https://site{i}.fr" for i in range(6))
    assert codes(check_variant("threads", six)) == ["too_many_links"]
    assert codes(check_variant("x", "hi", "ftp://files.example.com/a")) == ["invalid_link"]
    [extra] = check_variant("threads", "#un #deux #trois")
    assert (extra.code, extra.severity) == ("extra_hashtags", "warning")


def test_first_comment_support_and_length():
    [problem] = check_variant("pinterest", "hi", media=[JPEG], first_comment="Lien en bio")
    assert problem.code == "first_comment_unsupported"
    assert problem.message == "Pinterest does not support a first comment."
    [problem] = check_variant("linkedin", "hi", first_comment="a" * 1251)
    assert (problem.field, problem.code) == ("first_comment", "first_comment_too_long")
    assert problem.message == "First comment is 1251 characters; LinkedIn allows 1250."


def test_youtube_refuses_angle_brackets():
    [problem] = check_variant("youtube", "1 < 2", media=[MP4])
    assert problem.code == "forbidden_chars"


def test_discord_total_size():
    files = [MediaInfo("image/png", 9 * 1024 * 1024, f"p{i}.png") for i in range(3)]
    assert codes(check_variant("discord", "hi", media=files)) == ["media_total_too_large"]


def test_spelling_problems_are_warnings_with_offsets_and_suggestions():
    text = "Merci ! Bonjoure à tous."
    [problem] = check_variant("linkedin", text, lang="fr")
    assert problem.severity == "warning"
    assert problem.code == "spelling"
    assert text[problem.start : problem.end] == "Bonjoure"
    assert problem.suggestions[0] == "Bonjour"
    assert "Bonjour" in problem.message
    assert not has_errors([problem])
    [comment] = check_variant("linkedin", "Thanks", first_comment="I recieve", lang="en")
    assert (comment.field, comment.suggestions[0]) == ("first_comment", "receive")


def test_spelling_is_skipped_without_a_supported_language_or_on_request():
    assert check_variant("linkedin", "Bonjoure", lang="") == []
    assert check_variant("linkedin", "Bonjoure", lang="de") == []
    assert check_variant("linkedin", "Bonjoure", lang="fr", spelling=False) == []
    assert check_variant("linkedin", "Bonjoure Tamtamix", lang="fr", extra_words=["bonjoure"]) == []


def test_count_for_is_the_live_counter():
    assert count_for("x", "Voir " + LONG_URL) == (28, 280)
    assert count_for("x", "Voir", link=LONG_URL) == (28, 280)
    assert count_for("youtube", "été") == (5, 5000)


def test_unknown_network_is_a_key_error():
    with pytest.raises(KeyError):
        check_variant("myspace", "hi")


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(NETWORK_KEYS),
    st.text(max_size=300),
    st.lists(
        st.builds(
            MediaInfo,
            st.sampled_from(["image/jpeg", "image/png", "video/mp4", "image/gif", "text/plain"]),
            st.integers(0, 10**9),
            st.just("f"),
        ),
        max_size=12,
    ),
)
def test_any_variant_is_checked_without_crashing_and_length_errors_match_the_counter(network, text, media):
    problems = check_variant(network, text, media=media, lang="en")
    for problem in problems:
        assert problem.severity in {"error", "warning"}
        assert problem.message
    used, maximum = count_for(network, text, has_media=bool(media))
    assert ("too_long" in codes(problems)) == (used > maximum)
    assert maximum <= limits_for(network).max_chars
