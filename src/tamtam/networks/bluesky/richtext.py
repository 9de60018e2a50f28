"""Rich text of a post: facets (links, mentions, hashtags) located by UTF-8 byte offsets.

Bluesky does not parse the text of a post: the client says where each link, mention and tag is, as a
byte range of the UTF-8 text (app.bsky.richtext.facet). Detection is the `atproto` SDK's port of the
official TypeScript detector; mentions need the handle resolved to a DID, which is the caller's network
call (`resolve`), and a handle that does not resolve stays plain text, as in the official app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from atproto_client.utils import facet_detection

from tamtam.networks.bluesky.limits import LIMITS

LINK = "app.bsky.richtext.facet#link"
MENTION = "app.bsky.richtext.facet#mention"
TAG = "app.bsky.richtext.facet#tag"


def text_as_published(text: str, link: str) -> str:
    """The link goes in the text (Bluesky has no link field), after it, unless the text carries it."""
    if link and link not in text:
        return f"{text}\n{link}" if text.strip() else link
    return text


def too_long(text: str) -> str:
    """A reason when the text is over the grapheme limit, else ""."""
    used = LIMITS.count(text)
    if used > LIMITS.max_chars:
        return f"the text is {used} characters (graphemes); Bluesky allows {LIMITS.max_chars}"
    return ""


def build_facets(text: str, resolve: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """Facets for `text`, sorted by position. `resolve(handle)` gives a DID, or None when unknown."""
    facets: list[dict[str, Any]] = []
    for found in facet_detection.detect_facets(text):
        feature = found.features[0]
        if isinstance(feature, facet_detection.models.AppBskyRichtextFacet.Link):
            feat: dict[str, Any] = {"$type": LINK, "uri": feature.uri}
        elif isinstance(feature, facet_detection.models.AppBskyRichtextFacet.Tag):
            feat = {"$type": TAG, "tag": feature.tag}
        else:
            continue
        facets.append(_facet(found.index.byte_start, found.index.byte_end, feat))
    resolved: dict[str, str | None] = {}
    for mention in facet_detection.detect_mentions(text):
        handle = mention.handle.lower()
        if handle not in resolved:
            resolved[handle] = resolve(handle)
        did = resolved[handle]
        if did:
            facets.append(_facet(mention.byte_start, mention.byte_end, {"$type": MENTION, "did": did}))
    return sorted(facets, key=lambda f: f["index"]["byteStart"])


def _facet(start: int, end: int, feature: dict[str, Any]) -> dict[str, Any]:
    return {
        "$type": "app.bsky.richtext.facet",
        "index": {"byteStart": start, "byteEnd": end},
        "features": [feature],
    }


def facet_text(text: str, facet: dict[str, Any]) -> str:
    """The part of `text` a facet covers (for tests and display)."""
    raw = text.encode("utf-8")
    index = facet["index"]
    return raw[index["byteStart"] : index["byteEnd"]].decode("utf-8")
