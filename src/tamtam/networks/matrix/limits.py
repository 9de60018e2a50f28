"""Matrix limits (m.room.message events on a homeserver such as Synapse).

Sources: Matrix Client-Server API spec "Size limits" (an event, JSON-encoded, may not exceed 65,536
bytes), Synapse configuration "max_upload_size" (default 50M).
"""

from __future__ import annotations

from tamtam.networks.base import Limits, MediaRules
from tamtam.networks.limits import MIB, ExtraRules
from tamtam.nlp.text import utf8_len

LIMITS = Limits(
    # The event carries the text twice (body and HTML formatted_body) plus its envelope inside 64 KiB,
    # so the plain text gets a little under half of it.
    max_chars=30000,
    count=utf8_len,
    media=MediaRules(
        max_count=10,  # each attachment is its own event; 10 keeps one post one screenful
        image_types=frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"}),
        video_types=frozenset({"video/mp4", "video/webm", "video/quicktime"}),
        max_image_bytes=50 * MIB,
        max_video_bytes=50 * MIB,
        mix_images_and_video=True,
    ),
    daily_cap=None,
    first_comment_max_chars=30000,  # a threaded reply
    unit="bytes",
)

RULES = ExtraRules(
    max_videos=10,
    link_placement="text",
    sources=(
        "Matrix Client-Server API spec: Size limits",
        "Synapse configuration manual: max_upload_size",
    ),
)
