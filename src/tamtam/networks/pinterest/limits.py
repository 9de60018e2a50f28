"""Pinterest limits (API v5, Pins).

Sources: Pinterest developer docs "Create Pin" (title 100 characters; description — the API schema
accepts 800, the Pinterest app shows and enforces 500; media sources: one image, one video, or a
carousel of 2-5 images), Pinterest help "Image and video specs" (images up to 20 MB: BMP, JPEG, PNG,
TIFF, GIF, WEBP; videos MP4/MOV/M4V up to 2 GB), "Create Pin" media_source `image_base64` (JPEG or PNG
content types only).
"""

from __future__ import annotations

from tamtam.networks.base import Limits, MediaRules
from tamtam.networks.limits import GB, MB, ExtraRules

LIMITS = Limits(
    # 500, the length Pinterest itself lets people type and shows on the Pin; the API's 800 would
    # be cut in display.
    max_chars=500,
    count=len,
    media=MediaRules(
        max_count=5,  # a carousel Pin: 2 to 5 images
        # Pinterest shows BMP, GIF, TIFF and WebP Pins too, but the API takes an uploaded file (a
        # base64 image source) as JPEG or PNG only: the connector refuses the others, so the composer
        # does first.
        image_types=frozenset({"image/jpeg", "image/png"}),
        video_types=frozenset({"video/mp4", "video/quicktime", "video/x-m4v"}),
        max_image_bytes=20 * MB,
        max_video_bytes=2 * GB,
        mix_images_and_video=False,
        requires_media=True,  # a Pin is an image or a video
    ),
    daily_cap=None,
    first_comment_max_chars=None,  # the API cannot comment on Pins
)

RULES = ExtraRules(
    max_videos=1,
    title_max_chars=100,
    link_placement="field",  # the Pin's destination link
    sources=(
        "Pinterest API v5 reference: Create Pin",
        "Pinterest help: Pin image and video specifications",
    ),
)
