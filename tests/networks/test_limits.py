"""Per-network limits: each network counts text its own way and declares its media rules and caps."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tamtam.networks.base import Limits
from tamtam.networks.limits import (
    NETWORK_KEYS,
    NETWORK_LABELS,
    ExtraRules,
    all_limits,
    label_for,
    limits_for,
    rules_for,
)

FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
FLAG_FR = "\U0001f1eb\U0001f1f7"
THUMB = "\U0001f44d"
REAL_NETWORKS = {
    "x",
    "bluesky",
    "mastodon",
    "linkedin",
    "facebook",
    "instagram",
    "threads",
    "pinterest",
    "youtube",
    "tiktok",
    "reddit",
    "telegram",
    "discord",
    "matrix",
}


def test_every_real_network_has_limits_rules_and_a_label():
    assert set(NETWORK_KEYS) == REAL_NETWORKS
    for key, limits in all_limits().items():
        assert isinstance(limits, Limits)
        assert limits.max_chars > 0
        assert limits.count("") == 0
        assert isinstance(rules_for(key), ExtraRules)
        assert rules_for(key).sources, f"{key} names no source for its figures"
    assert NETWORK_LABELS["x"] == "X"
    assert NETWORK_LABELS["linkedin"] == "LinkedIn"
    assert NETWORK_LABELS["instagram"] == "Instagram"
    assert NETWORK_LABELS["tiktok"] == "TikTok"
    assert NETWORK_LABELS["youtube"] == "YouTube"


def test_an_unknown_network_is_a_key_error_that_names_the_known_ones():
    with pytest.raises(KeyError, match=r"unknown network 'myspace'.*known networks: x, bluesky"):
        limits_for("myspace")
    with pytest.raises(KeyError, match="unknown network"):
        rules_for("../etc")
    with pytest.raises(KeyError):
        limits_for("")


def test_keys_are_case_insensitive_and_labels_never_fail():
    assert limits_for("X") is limits_for("x")
    assert label_for("mastodon") == "Mastodon"
    assert label_for("some_thing") == "Some Thing"


# --- X -------------------------------------------------------------------------------------------------


def test_x_counts_any_url_as_23():
    x = limits_for("x")
    long_url = "https://example.com/" + "a" * 200
    assert x.count(long_url) == 23
    assert x.count("Voir " + long_url) == 5 + 23
    assert x.count("https://t.co") == 23
    assert x.link_counts_as == 23


def test_x_weighs_emoji_and_cjk_double_and_stops_at_280():
    x = limits_for("x")
    assert x.count(THUMB) == 2
    assert x.count(FAMILY) == 2
    assert x.count("日本") == 4
    assert x.count("é" * 280) == 280
    assert x.max_chars == 280


def test_x_media_and_cap():
    x = limits_for("x")
    assert x.media.max_count == 4
    assert not x.media.mix_images_and_video
    assert rules_for("x").max_videos == 1
    assert rules_for("x").gif_alone
    assert x.daily_cap == 17
    assert x.first_comment_max_chars == 280


# --- Bluesky, Mastodon, Threads ----------------------------------------------------------------------


# The machine running the tests is shared: generation speed is not what this test is about.
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([FAMILY, FLAG_FR, THUMB, "é", "e\u0301", "a"]), max_size=400))
def test_bluesky_counts_graphemes(items):
    assert limits_for("bluesky").count("".join(items)) == len(items)


def test_bluesky_300_graphemes_and_1mb_images():
    bluesky = limits_for("bluesky")
    assert bluesky.max_chars == 300
    assert bluesky.count(FAMILY * 300) == 300
    assert bluesky.media.max_count == 4
    assert bluesky.media.max_image_bytes == 1_000_000
    assert "video/mp4" in bluesky.media.video_types
    assert rules_for("bluesky").max_videos == 1


def test_mastodon_counts_urls_23_and_remote_mentions_by_their_local_part():
    mastodon = limits_for("mastodon")
    assert mastodon.count("https://example.com/" + "a" * 100) == 23
    assert mastodon.count("@alice@mastodon.social") == len("@alice")
    assert mastodon.count(FAMILY) == 1
    assert mastodon.max_chars == 500
    assert mastodon.media.max_count == 4


def test_threads_counts_emoji_by_their_utf8_bytes():
    threads = limits_for("threads")
    assert threads.count("abc") == 3
    assert threads.count(THUMB) == 4
    assert threads.count("été") == 3
    assert threads.count(FLAG_FR) == 8
    assert threads.max_chars == 500
    assert threads.daily_cap == 250
    assert rules_for("threads").max_links == 5


# --- others ------------------------------------------------------------------------------------------


def test_instagram_caption_hashtags_media_and_cap():
    instagram = limits_for("instagram")
    assert instagram.max_chars == 2200
    assert rules_for("instagram").max_hashtags == 30
    assert rules_for("instagram").max_mentions == 20
    assert instagram.media.max_count == 10
    assert instagram.media.requires_media
    assert instagram.media.mix_images_and_video
    assert instagram.daily_cap == 50
    assert instagram.first_comment_max_chars == 2200
    assert rules_for("instagram").link_placement == "none"


def test_text_limits_of_the_long_form_networks():
    expected = {
        "linkedin": 3000,
        "facebook": 63206,
        "pinterest": 500,
        "youtube": 5000,
        "tiktok": 2200,
        "reddit": 40000,
        "telegram": 4096,
        "discord": 2000,
    }
    for key, maximum in expected.items():
        assert limits_for(key).max_chars == maximum, key
    assert limits_for("matrix").max_chars >= 30000


def test_networks_that_count_utf16_units_or_bytes():
    assert limits_for("telegram").count(THUMB) == 2
    assert limits_for("tiktok").count(THUMB) == 2
    assert limits_for("linkedin").count(THUMB) == 2
    assert limits_for("youtube").count("é") == 2
    assert limits_for("youtube").unit == "bytes"
    assert limits_for("facebook").count(THUMB) == 1


def test_telegram_captions_are_shorter():
    assert rules_for("telegram").media_caption_max_chars == 1024
    assert limits_for("telegram").media.max_count == 10


def test_media_requirements():
    assert limits_for("pinterest").media.requires_media
    # Reddit: images only (the connector does not drive Reddit's video upload).
    assert limits_for("reddit").media.video_types == frozenset()
    # What the API takes as an uploaded image (image_base64): JPEG and PNG, as the connector sends.
    assert limits_for("pinterest").media.image_types == {"image/jpeg", "image/png"}
    assert limits_for("youtube").media.requires_media
    assert rules_for("youtube").required_media_kind == "video"
    assert limits_for("tiktok").media.requires_media
    assert rules_for("tiktok").required_media_kind is None  # a video, or a photo post


def test_tiktok_takes_the_photos_its_api_takes_and_refuses_the_others():
    # Content Posting API: photo posts of JPEG/WebP only (PNG refused), up to 35, never with a video.
    from tamtam.publishing.checks import MediaInfo, check_variant

    def codes(*media: MediaInfo) -> list[str]:
        return [p.code for p in check_variant("tiktok", "Atelier", media=list(media), spelling=False)]

    jpeg, webp = MediaInfo("image/jpeg", 1000, "a.jpg"), MediaInfo("image/webp", 1000, "b.webp")
    mp4 = MediaInfo("video/mp4", 1000, "v.mp4")
    assert codes(jpeg, webp) == []
    assert codes(mp4) == []
    assert codes(MediaInfo("image/png", 1000, "a.png")) == ["media_type"]
    assert codes(MediaInfo("image/gif", 1000, "a.gif")) == ["media_type"]
    assert codes(mp4, jpeg) == ["mixed_media"]
    assert codes(mp4, mp4) == ["too_many_videos"]
    assert codes(*[jpeg] * 36) == ["too_many_media"]
    assert codes(MediaInfo("image/jpeg", 21_000_000, "big.jpg")) == ["media_too_large"]
    assert codes() == ["media_required"]
    assert limits_for("discord").media.max_count == 10
    assert limits_for("facebook").media.max_count == 10
    assert limits_for("linkedin").media.max_count == 20


def test_first_comment_support():
    assert limits_for("pinterest").first_comment_max_chars is None
    assert limits_for("tiktok").first_comment_max_chars is None
    assert limits_for("telegram").first_comment_max_chars is None
    assert limits_for("linkedin").first_comment_max_chars == 1250
    assert limits_for("facebook").first_comment_max_chars == 8000
