"""X (Twitter) limits.

Sources: X developer docs "Counting characters" (twitter-text weighting, every URL counts 23), "Media
best practices" / "Upload media" (4 photos or 1 GIF or 1 video; 5 MB images, 15 MB GIFs, 512 MB video),
"X API rate limits" (POST /2/tweets per user per 24 h).
"""

from __future__ import annotations

import warnings

from tamtam.networks.base import Limits, MediaRules
from tamtam.networks.limits import MIB, ExtraRules

with warnings.catch_warnings():
    # twitter-text-parser reads its emoji table through pkg_resources, which warns on import that it
    # is deprecated: a line in every process's log that nobody can act on (the dependency is pinned
    # to a setuptools that still has it, pyproject.toml).
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    from twitter_text import parse_tweet


def count(text: str) -> int:
    """X's weighted length: most scripts 1, CJK and emoji 2, any URL 23 (the t.co length), after NFC."""
    return parse_tweet(text).weightedLength if text else 0


LIMITS = Limits(
    max_chars=280,
    count=count,
    media=MediaRules(
        max_count=4,
        image_types=frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"}),
        video_types=frozenset({"video/mp4", "video/quicktime"}),
        # X's upload errors quote 5,242,880 bytes: binary megabytes.
        max_image_bytes=5 * MIB,
        max_video_bytes=512 * MIB,
        mix_images_and_video=False,
    ),
    # POST /2/tweets allows 17 requests / 24 h per user on the Free access level (100 on Basic). A
    # self-hosted tamtam most often runs on a Free app, so the conservative figure is the default;
    # a channel with a paid app raises it with its own `daily_cap`. The x-user-limit-24hour-* response
    # headers are the live truth the connector reads.
    daily_cap=17,
    link_counts_as=23,
    first_comment_max_chars=280,  # the first comment is a reply, itself a post
)

RULES = ExtraRules(
    max_videos=1,
    gif_alone=True,  # "up to 4 photos, 1 GIF or 1 video"
    max_gif_bytes=15 * MIB,
    link_placement="text",
    sources=(
        "X developer docs: Counting characters",
        "X developer docs: Media best practices (upload media)",
        "X developer docs: X API rate limits (POST /2/tweets)",
    ),
)
