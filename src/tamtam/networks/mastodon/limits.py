"""Mastodon limits (defaults of a stock server; an instance may raise them).

Sources: Mastodon source StatusLengthValidator (500 grapheme clusters; each http(s) URL counts 23;
a remote mention counts as its local part only), docs.joinmastodon.org "Posting" / MediaAttachment
(4 attachments; one video or audio alone; images 16 MB, video/audio 99 MB in Mastodon 4.x), API docs
"Rate limits" (300 statuses per 3 hours per account).
"""

from __future__ import annotations

from tamtam.networks.base import Limits, MediaRules
from tamtam.networks.limits import MIB, ExtraRules
from tamtam.nlp.text import Span, find_mentions, find_urls, grapheme_len, replace_spans

URL_LENGTH = 23


def _countable(span: Span) -> str:
    if span.text[:1] == "@":
        return "@" + span.text[1:].split("@", 1)[0]  # the instance part is free
    return "x" * URL_LENGTH


def count(text: str) -> int:
    """Mastodon's countable length: URLs count 23, `@user@instance` counts as `@user`, in graphemes."""
    if not text:
        return 0
    # find_mentions already leaves out @ signs inside URLs, so the spans never overlap.
    spans = sorted(find_urls(text) + find_mentions(text), key=lambda s: s.start)
    return grapheme_len(replace_spans(text, spans, [_countable(s) for s in spans]))


LIMITS = Limits(
    max_chars=500,
    count=count,
    media=MediaRules(
        max_count=4,
        image_types=frozenset(
            {
                "image/jpeg",
                "image/png",
                "image/gif",
                "image/webp",
                "image/heic",
                "image/heif",
                "image/avif",
            }
        ),
        # Audio is attached like a video (alone), so it is listed here.
        video_types=frozenset(
            {
                "video/mp4",
                "video/quicktime",
                "video/webm",
                "video/x-m4v",
                "audio/mpeg",
                "audio/mp3",
                "audio/ogg",
                "audio/wav",
                "audio/x-wav",
                "audio/flac",
                "audio/opus",
                "audio/aac",
                "audio/mp4",
                "audio/x-m4a",
                "audio/3gpp",
            }
        ),
        max_image_bytes=16 * MIB,  # Rails' 16.megabytes
        max_video_bytes=99 * MIB,
        mix_images_and_video=False,  # "Cannot attach a video to a post that already contains images"
    ),
    # 300 statuses per 3 h is a rate limit (2,400/day), not a publishing cap worth a calendar warning.
    daily_cap=None,
    link_counts_as=URL_LENGTH,
    first_comment_max_chars=500,
)

RULES = ExtraRules(
    max_videos=1,
    link_placement="text",
    sources=(
        "Mastodon source: app/validators/status_length_validator.rb",
        "docs.joinmastodon.org: Posting (media attachments)",
        "docs.joinmastodon.org: API rate limits",
    ),
)
