"""Bluesky limits.

Sources: AT Protocol lexicons app.bsky.feed.post (text maxGraphemes 300), app.bsky.embed.images (4
images, maxSize 1,000,000 bytes each), app.bsky.embed.video (video/mp4, maxSize 100,000,000 bytes);
Bluesky docs "Rate limits" (PDS write points: 5,000/hour and 35,000/day, a create costs 3).
"""

from __future__ import annotations

from tamtam.networks.base import Limits, MediaRules
from tamtam.networks.limits import ExtraRules
from tamtam.nlp.text import grapheme_len

LIMITS = Limits(
    # The record's text is limited in grapheme clusters: an emoji ZWJ family or a flag counts 1.
    # Links count with their full text (the app may shorten what it displays, the record keeps it).
    max_chars=300,
    count=grapheme_len,
    media=MediaRules(
        max_count=4,
        image_types=frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"}),
        video_types=frozenset({"video/mp4"}),
        max_image_bytes=1_000_000,  # the lexicon's maxSize, exactly: not 1 MiB
        max_video_bytes=100_000_000,
        mix_images_and_video=False,  # a post embeds images or one video, never both
    ),
    # No publishing cap: the PDS write budget (35,000 points/day, 3 per post ≈ 11,666 posts) is far
    # beyond any brand's calendar.
    daily_cap=None,
    first_comment_max_chars=300,  # a reply is a post
)

RULES = ExtraRules(
    max_videos=1,
    link_placement="text",
    sources=(
        "AT Protocol lexicon app.bsky.feed.post",
        "AT Protocol lexicons app.bsky.embed.images and app.bsky.embed.video",
        "Bluesky docs: Rate limits",
    ),
)
