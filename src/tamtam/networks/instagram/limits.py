"""Instagram limits (professional accounts, Content Publishing API).

Sources: Meta for Developers, Instagram Platform "IG User Media" (caption: 2,200 characters, 30 hashtags,
20 @tags; images JPEG only, 8 MB; reels MOV/MP4 up to 300 MB; carousels up to 10 items, images and
videos mixed), "IG User Media Publish" (publishing limit), "IG User Content Publishing Limit",
"IG Comment" (comments up to 2,200 characters).
"""

from __future__ import annotations

from tamtam.networks.base import Limits, MediaRules
from tamtam.networks.limits import MB, ExtraRules

LIMITS = Limits(
    max_chars=2200,
    count=len,
    media=MediaRules(
        max_count=10,  # carousel
        image_types=frozenset({"image/jpeg"}),  # "JPEG is the only image format supported"
        video_types=frozenset({"video/mp4", "video/quicktime"}),
        max_image_bytes=8 * MB,
        max_video_bytes=300 * MB,
        mix_images_and_video=True,  # a carousel mixes images and videos
        requires_media=True,
    ),
    # Meta's pages disagree: the media_publish reference says 50 posts per moving 24 h, older guides
    # 25, some newer pages 100. We take 50, the figure of the endpoint that enforces it; the live
    # quota is GET /{ig-user-id}/content_publishing_limit (quota_total), which the connector can read,
    # and a channel can set its own `daily_cap`. A carousel counts as one post.
    daily_cap=50,
    first_comment_max_chars=2200,
)

RULES = ExtraRules(
    max_hashtags=30,
    max_mentions=20,
    max_videos=10,
    link_placement="none",  # links in captions are not clickable
    sources=(
        "Instagram Platform reference: IG User Media (caption and media specifications)",
        "Instagram Platform reference: IG User Media Publish, IG User Content Publishing Limit",
        "Instagram Platform reference: IG Comment",
    ),
)
