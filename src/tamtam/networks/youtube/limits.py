"""YouTube limits (Data API v3, videos.insert).

Sources: YouTube Data API reference "Videos" (snippet.title: 100 characters; snippet.description:
5,000 bytes, no < or >), YouTube help "Supported file formats" and "Upload videos longer than 15
minutes" (256 GB or 12 hours), "Quota costs" (default 10,000 units/day per project; videos.insert
1,600 units), "CommentThreads: insert" (10,000 characters).
"""

from __future__ import annotations

from tamtam.networks.base import Limits, MediaRules
from tamtam.networks.limits import GB, ExtraRules
from tamtam.nlp.text import utf8_len

LIMITS = Limits(
    # The post text becomes the video description, whose limit is in UTF-8 bytes: an "é" costs 2.
    max_chars=5000,
    count=utf8_len,
    media=MediaRules(
        max_count=1,
        image_types=frozenset(),  # thumbnails are set separately
        video_types=frozenset(
            {
                "video/mp4",
                "video/quicktime",
                "video/x-msvideo",
                "video/x-ms-wmv",
                "video/mpeg",
                "video/webm",
                "video/x-flv",
                "video/3gpp",
                "video/mp2t",
                "video/x-matroska",
            }
        ),
        max_video_bytes=256 * GB,
        requires_media=True,
    ),
    # The default API quota (10,000 units/day per Google Cloud project) pays for 6 uploads at 1,600
    # units each; the quota is per project, so all channels of a tamtam share it — 6 is an upper bound.
    daily_cap=6,
    first_comment_max_chars=10000,
    unit="bytes",
)

RULES = ExtraRules(
    required_media_kind="video",
    title_max_chars=100,
    forbidden_chars="<>",
    link_placement="text",  # links go in the description
    sources=(
        "YouTube Data API v3 reference: Videos (snippet.title, snippet.description)",
        "YouTube help: Supported file formats; upload size",
        "YouTube Data API: Quota costs",
        "YouTube Data API v3 reference: CommentThreads insert",
    ),
)
