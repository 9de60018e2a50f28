"""TikTok limits (Content Posting API: direct post of one video, or of a photo post).

Sources: TikTok for Developers "Content Posting API — Direct Post" (post_info.title, the caption: up to
2,200 UTF-16 runes; 6 requests per minute per user token; a cap on posts per creator per 24 h, about
15), "Content Posting API — Photo Post" (`content/init`, media_type PHOTO, PULL_FROM_URL only, up to
35 photos), "Media transfer guide" (videos: MP4 recommended, WebM, MOV, up to 4 GB and 10 minutes;
photos: JPEG and WebP only, up to 20 MB each; PNG, GIF and HEIC are refused).
"""

from __future__ import annotations

from tamtam.networks.base import Limits, MediaRules
from tamtam.networks.limits import GIB, MB, ExtraRules
from tamtam.nlp.text import utf16_len

# The photo formats TikTok's media transfer guide accepts; anything else fails at TikTok after the
# post was accepted, so the composer and the connector refuse it first.
PHOTO_TYPES = frozenset({"image/jpeg", "image/webp"})
MAX_PHOTOS = 35

LIMITS = Limits(
    max_chars=2200,
    count=utf16_len,  # "UTF-16 runes"
    media=MediaRules(
        max_count=MAX_PHOTOS,  # a photo post; a video post has one video (RULES.max_videos)
        image_types=PHOTO_TYPES,
        video_types=frozenset({"video/mp4", "video/webm", "video/quicktime"}),
        max_image_bytes=20 * MB,
        max_video_bytes=4 * GIB,
        mix_images_and_video=False,
        requires_media=True,
    ),
    daily_cap=15,  # TikTok caps Direct Post API posts per creator at about 15 per 24 h
    first_comment_max_chars=None,  # no comment API for posting
)

RULES = ExtraRules(
    max_videos=1,
    link_placement="none",  # links in captions are not clickable
    sources=(
        "TikTok for Developers: Content Posting API — Direct Post reference",
        "TikTok for Developers: Content Posting API — Photo Post reference",
        "TikTok for Developers: Content Posting API — Media transfer guide",
    ),
)
