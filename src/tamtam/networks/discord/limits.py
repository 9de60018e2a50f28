"""Discord limits (bot or webhook messages in a channel).

Sources: Discord developer docs "Create Message" / "Execute Webhook" (content up to 2,000 characters,
up to 10 attachments), "Uploading Files" (per-file limit depends on the server's boost level, 10 MiB
without boosts since 2024; a request body may not exceed 25 MiB).
"""

from __future__ import annotations

from tamtam.networks.base import Limits, MediaRules
from tamtam.networks.limits import MIB, ExtraRules

LIMITS = Limits(
    max_chars=2000,
    count=len,
    media=MediaRules(
        max_count=10,
        image_types=frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"}),
        video_types=frozenset({"video/mp4", "video/webm", "video/quicktime"}),
        # Unboosted servers accept 10 MiB per file (25 MiB before September 2024); boosted ones 50 or
        # 100 MiB. The safe default is the unboosted one.
        max_image_bytes=10 * MIB,
        max_video_bytes=10 * MIB,
        mix_images_and_video=True,
    ),
    daily_cap=None,
    first_comment_max_chars=2000,  # a reply to the message, itself a message
)

RULES = ExtraRules(
    max_videos=10,
    max_total_bytes=25 * MIB,  # the whole multipart request
    link_placement="text",
    sources=(
        "Discord developer docs: Create Message, Execute Webhook",
        "Discord developer docs: Uploading Files",
    ),
)
