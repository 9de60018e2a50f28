"""Telegram limits (Bot API posting to channels and groups).

Sources: Telegram Bot API "sendMessage" (text 1-4,096 characters after entities parsing), "sendPhoto"
/ "sendVideo" / "sendMediaGroup" (caption 0-1,024 characters; media groups of 2-10 photos and videos;
photos up to 10 MB; uploads by bots up to 50 MB), "Formatting options" (lengths in UTF-16 code units).
"""

from __future__ import annotations

from tamtam.networks.base import Limits, MediaRules
from tamtam.networks.limits import MB, ExtraRules
from tamtam.nlp.text import utf16_len

LIMITS = Limits(
    max_chars=4096,
    count=utf16_len,  # Telegram measures text and entity offsets in UTF-16 code units
    media=MediaRules(
        max_count=10,  # media group
        image_types=frozenset({"image/jpeg", "image/png", "image/webp"}),
        video_types=frozenset({"video/mp4"}),
        max_image_bytes=10 * MB,
        max_video_bytes=50 * MB,  # the Bot API's upload ceiling (a local Bot API server lifts it)
        mix_images_and_video=True,  # an album mixes photos and videos
    ),
    daily_cap=None,  # only per-second/per-minute flood limits
    first_comment_max_chars=None,  # comments live in a linked discussion group, not via the channel
)

RULES = ExtraRules(
    media_caption_max_chars=1024,  # with media, the text is the caption of the first item
    max_videos=10,
    link_placement="text",
    sources=(
        "Telegram Bot API: sendMessage, sendPhoto, sendVideo, sendMediaGroup",
        "Telegram Bot API: Formatting options (UTF-16 offsets)",
    ),
)
