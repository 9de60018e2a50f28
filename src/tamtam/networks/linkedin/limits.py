"""LinkedIn limits (member and organization posts through the Posts API).

Sources: Microsoft Learn, LinkedIn Marketing "Posts API" (commentary up to 3,000 characters),
"MultiImage API" (a multi-image post holds 2 to 20 images), "Images API" (JPG, PNG, GIF; < 36,152,320
pixels), "Videos API" (MP4, 75 KB-500 MB, 3 s-30 min), "Comments API" (1,250 characters), LinkedIn
API throttling (150 post creations per member per day).
"""

from __future__ import annotations

from tamtam.networks.base import Limits, MediaRules
from tamtam.networks.limits import MB, ExtraRules
from tamtam.nlp.text import utf16_len

LIMITS = Limits(
    max_chars=3000,
    # LinkedIn's back end is Java: its lengths are UTF-16 code units, so an emoji costs 2. Counting
    # that way never lets a post through that LinkedIn would refuse.
    count=utf16_len,
    media=MediaRules(
        # Up to 20 images per the MultiImage API (the app long showed 9); documents (PDF carousels) are
        # a separate post type that this check does not cover.
        max_count=20,
        image_types=frozenset({"image/jpeg", "image/png", "image/gif"}),
        video_types=frozenset({"video/mp4"}),
        max_image_bytes=5 * MB,  # LinkedIn help "image specifications": 5 MB; the API states pixels only
        max_video_bytes=500 * MB,
        mix_images_and_video=False,
    ),
    daily_cap=150,  # 150 share creations per member per 24 h (LinkedIn API throttling)
    first_comment_max_chars=1250,
)

RULES = ExtraRules(
    max_videos=1,
    link_placement="field",  # an article link is its own content type, not counted in the commentary
    sources=(
        "LinkedIn Marketing docs: Posts API",
        "LinkedIn Marketing docs: MultiImage API, Images API, Videos API",
        "LinkedIn Marketing docs: Comments API",
        "LinkedIn API rate limiting (member share creation)",
    ),
)
