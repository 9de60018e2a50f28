"""Facebook Page limits (Graph API).

Sources: Meta for Developers, Graph API "Page Feed" (message up to 63,206 characters; multi-photo posts
through attached_media), "Page Photos" (JPEG, BMP, PNG, GIF, TIFF; 4 MB), "Video API" (non-resumable
upload up to 1 GB; larger files need the resumable upload), "Comments" (8,000 characters).
"""

from __future__ import annotations

from tamtam.networks.base import Limits, MediaRules
from tamtam.networks.limits import GB, MB, ExtraRules

LIMITS = Limits(
    max_chars=63206,
    count=len,  # code points
    media=MediaRules(
        # The Graph API sets no hard number of attached photos; 10 keeps posts within what the Page
        # composer and the feed render as one album.
        max_count=10,
        image_types=frozenset(
            {
                "image/jpeg",
                "image/png",
                "image/gif",
                "image/bmp",
                "image/tiff",
                "image/webp",
            }
        ),
        video_types=frozenset({"video/mp4", "video/quicktime"}),
        max_image_bytes=4 * MB,
        max_video_bytes=1 * GB,  # the simple (non-resumable) upload's ceiling
        mix_images_and_video=False,  # a video is its own post (/videos), photos go in attached_media
    ),
    # No documented publishing cap for Pages: rate limits scale with the Page's engagement.
    daily_cap=None,
    first_comment_max_chars=8000,
)

RULES = ExtraRules(
    max_videos=1,
    link_placement="field",  # /feed takes `link` beside `message`
    sources=(
        "Meta Graph API reference: Page Feed",
        "Meta Graph API reference: Page Photos, Video API",
        "Meta Graph API reference: Comments",
    ),
)
