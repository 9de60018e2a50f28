"""What each network accepts: `limits_for("x")` → its `Limits`, `rules_for("x")` → its `ExtraRules`.

Each network folder has a `limits.py` exporting `LIMITS: Limits` (networks/base.py: text length counted
the network's way, media rules, daily cap, first comment) and, where the network has rules `Limits`
cannot express (Instagram's 30 hashtags, Telegram's shorter media captions, YouTube's video-only
uploads…), `RULES: ExtraRules`. publishing/checks.py turns both into problems shown in the composer;
the planner reads `daily_cap`. Every figure carries, in its module, the name of the document it comes
from; docs/networks-limits.md is the table of them all.

Network modules are imported on first use, so that importing this module stays cheap and so that a
network folder (the sandbox, a future one) can provide its own `limits.py` without being listed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType
from typing import Literal

from tamtam.networks.base import Limits

__all__ = [
    "GB",
    "GIB",
    "MB",
    "MIB",
    "NETWORK_KEYS",
    "NETWORK_LABELS",
    "ExtraRules",
    "all_limits",
    "label_for",
    "limits_for",
    "rules_for",
]

# Display names, as each network writes its own name.
NETWORK_LABELS: dict[str, str] = {
    "x": "X",
    "bluesky": "Bluesky",
    "mastodon": "Mastodon",
    "linkedin": "LinkedIn",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "threads": "Threads",
    "pinterest": "Pinterest",
    "youtube": "YouTube",
    "tiktok": "TikTok",
    "reddit": "Reddit",
    "telegram": "Telegram",
    "discord": "Discord",
    "matrix": "Matrix",
}
NETWORK_KEYS: tuple[str, ...] = tuple(NETWORK_LABELS)

# Sizes as the documents state them: "MB" pages are taken as decimal (the smaller, safer reading) unless
# the network's own error messages or docs show binary units (X: 5,242,880 bytes; Discord: MiB).
MB = 1_000_000
MIB = 1024 * 1024
GB = 1_000_000_000
GIB = 1024**3

MediaKind = Literal["image", "video"]
LinkPlacement = Literal["text", "field", "none"]


@dataclass(frozen=True)
class ExtraRules:
    """Rules beyond `Limits`/`MediaRules`; every field's default means "no such rule"."""

    max_hashtags: int | None = None  # error above it (Instagram: 30)
    soft_max_hashtags: int | None = None  # warning above it: extra tags are kept as plain text (Threads)
    max_mentions: int | None = None  # Instagram: 20 @tags
    max_links: int | None = None  # distinct URLs, the link field included (Threads: 5)
    text_required: bool = False  # text even when media is attached (Reddit: the post needs a title)
    media_caption_max_chars: int | None = None  # with media the text is a caption (Telegram: 1,024)
    title_max_chars: int | None = None  # a separate title field (YouTube, Pinterest, Reddit): informative
    forbidden_chars: str = ""  # characters the network refuses (YouTube: < and >)
    required_media_kind: MediaKind | None = None  # with MediaRules.requires_media: what must be there
    max_videos: int = 1  # videos (or audio) per post
    min_media_when_several: int = 2  # carousels/galleries have a minimum; informative
    max_total_bytes: int | None = None  # all attachments of one request together (Discord)
    gif_alone: bool = False  # an animated GIF must be the only media (X)
    max_gif_bytes: int | None = None  # when GIFs have their own size limit (X: 15 MB)
    # Where the post's link goes: appended to the text (so it counts), a separate link field, or
    # nowhere clickable (Instagram, TikTok: a link in a caption is plain text).
    link_placement: LinkPlacement = "text"
    sources: tuple[str, ...] = ()  # the documents the figures come from, for docs and reviewers


_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def _module(network_key: str) -> ModuleType:
    key = (network_key or "").strip().lower()
    known = ", ".join(NETWORK_KEYS)
    if not _KEY.match(key):
        raise KeyError(f"unknown network {network_key!r}; known networks: {known}")
    try:
        module = import_module(f"tamtam.networks.{key}.limits")
    except ModuleNotFoundError as exc:
        if exc.name and not f"tamtam.networks.{key}.limits".startswith(exc.name):
            raise  # a real import error inside the module, not a missing network
        raise KeyError(f"unknown network {network_key!r}; known networks: {known}") from None
    if not isinstance(getattr(module, "LIMITS", None), Limits):
        raise KeyError(f"network {network_key!r} has a limits module without LIMITS")
    return module


def limits_for(network_key: str) -> Limits:
    """The `Limits` of a network by key ("x", "bluesky"…); KeyError naming the known keys otherwise."""
    limits: Limits = _module(network_key).LIMITS
    return limits


def rules_for(network_key: str) -> ExtraRules:
    """The network's `ExtraRules` (all defaults when it declares none); KeyError for unknown keys."""
    rules = getattr(_module(network_key), "RULES", None)
    return rules if isinstance(rules, ExtraRules) else ExtraRules()


def label_for(network_key: str) -> str:
    """Display name; unknown keys are shown title-cased rather than failing in a template."""
    return NETWORK_LABELS.get(network_key, network_key.replace("_", " ").title())


def all_limits() -> dict[str, Limits]:
    """Every real network's limits, keyed and ordered like NETWORK_LABELS."""
    return {key: limits_for(key) for key in NETWORK_KEYS}
