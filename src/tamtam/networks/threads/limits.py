"""Threads limits.

Sources: Meta for Developers, Threads API "Posts" (text limited to 500 characters, emojis counted as
their UTF-8 byte length; media specifications: JPEG/PNG up to 8 MB, MOV/MP4 up to 1 GB and 5 min;
carousels), "Text attachments" (at most 5 links per post), "Overview" (250 API-published posts and
1,000 replies per 24 h), "Reply management".
"""

from __future__ import annotations

from tamtam.networks.base import Limits, MediaRules
from tamtam.networks.limits import GB, MB, ExtraRules
from tamtam.nlp.text import graphemes, is_emoji, utf8_len


def count(text: str) -> int:
    """Threads' length: one per grapheme, except that an emoji counts its UTF-8 bytes (👍 = 4)."""
    if text.isascii():
        return len(text) - text.count("\r\n")
    return sum(utf8_len(g) if is_emoji(g) else 1 for g in graphemes(text))


LIMITS = Limits(
    max_chars=500,
    count=count,
    media=MediaRules(
        # Carousels: 10 items is the documented figure we rely on (some recent pages say 20).
        max_count=10,
        image_types=frozenset({"image/jpeg", "image/png"}),
        video_types=frozenset({"video/mp4", "video/quicktime"}),
        max_image_bytes=8 * MB,
        max_video_bytes=1 * GB,
        mix_images_and_video=True,
    ),
    daily_cap=250,
    first_comment_max_chars=500,  # a reply; replies have their own 1,000 / 24 h quota
)

RULES = ExtraRules(
    max_links=5,  # more fail with THREADS_API__LINK_LIMIT_EXCEEDED
    soft_max_hashtags=1,  # one topic tag per post; further #words stay plain text
    max_videos=10,
    link_placement="text",
    sources=(
        "Threads API docs: Posts (limitations, media specifications)",
        "Threads API docs: Text attachments (link limit)",
        "Threads API docs: Overview (publishing limits)",
    ),
)
