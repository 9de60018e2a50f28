"""TikTok limits (Content Posting API, direct post of videos).

Sources: TikTok for Developers "Content Posting API — Direct Post" (post_info.title, the caption: up to
2,200 UTF-16 runes; 6 requests per minute per user token; a cap on posts per creator per 24 h, about
15), "Media transfer guide" (MP4 recommended, WebM, MOV; up to 4 GB, 10 minutes).
"""

from __future__ import annotations

from tamtam.networks.base import Limits, MediaRules
from tamtam.networks.limits import GIB, ExtraRules
from tamtam.nlp.text import utf16_len

LIMITS = Limits(
    max_chars=2200,
    count=utf16_len,  # "UTF-16 runes"
    media=MediaRules(
        max_count=1,
        image_types=frozenset(),  # photo posts (a different API mode) are not supported by tamtam yet
        video_types=frozenset({"video/mp4", "video/webm", "video/quicktime"}),
        max_video_bytes=4 * GIB,
        requires_media=True,
    ),
    daily_cap=15,  # TikTok caps Direct Post API posts per creator at about 15 per 24 h
    first_comment_max_chars=None,  # no comment API for posting
)

RULES = ExtraRules(
    required_media_kind="video",
    link_placement="none",  # links in captions are not clickable
    sources=(
        "TikTok for Developers: Content Posting API — Direct Post reference",
        "TikTok for Developers: Content Posting API — Media transfer guide",
    ),
)
