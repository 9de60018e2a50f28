"""Checks of one post variant against its network: what the composer shows, what blocks scheduling.

    check_variant("x", text, link, media, first_comment, "fr")
    → [Problem(field="text", code="too_long", severity="error",
               message="Text is 312 characters; X allows 280 (links count 23)."), …]

Errors are what the network would refuse (publishing would fail); warnings are advice the user may
ignore (spelling, a link that will not be clickable, hashtags that will stay plain text). Texts are
counted the network's way (networks/<network>/limits.py), so the figure in a message is the one the
network itself would compute. Messages go through gettext with named placeholders for translators.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tamtam.networks.base import Limits
from tamtam.networks.limits import ExtraRules, label_for, limits_for, rules_for
from tamtam.nlp import spellcheck
from tamtam.nlp.text import find_bare_domains, find_hashtags, find_mentions, find_urls

__all__ = ["MediaInfo", "Problem", "check_variant", "count_for", "has_errors", "text_as_published"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class MediaInfo:
    """What the checks need to know of an attached file."""

    content_type: str
    size: int
    name: str = ""


@dataclass(frozen=True)
class Problem:
    """One finding about a variant. `field` is "text", "link", "media", "media[<index>]" or
    "first_comment"; spelling problems also carry the word's offsets and suggestions."""

    field: str
    code: str
    message: str
    severity: Severity = "error"
    start: int | None = None
    end: int | None = None
    suggestions: tuple[str, ...] = ()


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)


def text_as_published(network_key: str, text: str, link: str = "") -> str:
    """The text the network receives: where the link has no field of its own, it is appended after a
    line break (unless the text already holds it) and then counts like any other text."""
    text = text or ""
    if link and rules_for(network_key).link_placement == "text" and link not in text:
        return f"{text}\n{link}" if text.strip() else link
    return text


def count_for(network_key: str, text: str, *, link: str = "", has_media: bool = False) -> tuple[int, int]:
    """(used, max) for a live counter, counted the network's way (X weights, graphemes, bytes…).

    With `link`, the link is counted where the network puts it in the text; with `has_media`, `max`
    is the caption limit where captions are shorter (Telegram)."""
    limits = limits_for(network_key)
    rules = rules_for(network_key)
    return limits.count(text_as_published(network_key, text, link)), _max_chars(limits, rules, has_media)


def _max_chars(limits: Limits, rules: ExtraRules, has_media: bool) -> int:
    if has_media and rules.media_caption_max_chars is not None:
        return min(limits.max_chars, rules.media_caption_max_chars)
    return limits.max_chars


# --- media helpers -----------------------------------------------------------------------------------

_SHORT_TYPES = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "image/heic": "HEIC",
    "image/heif": "HEIF",
    "image/avif": "AVIF",
    "image/bmp": "BMP",
    "image/tiff": "TIFF",
    "video/mp4": "MP4",
    "video/quicktime": "MOV",
    "video/webm": "WebM",
    "video/x-m4v": "M4V",
    "video/x-msvideo": "AVI",
    "video/x-ms-wmv": "WMV",
    "video/mpeg": "MPEG",
    "video/x-flv": "FLV",
    "video/3gpp": "3GP",
    "video/mp2t": "MPEG-TS",
    "video/x-matroska": "MKV",
}


def _content_type(item: MediaInfo) -> str:
    declared = (item.content_type or "").split(";", 1)[0].strip().lower()
    if declared and declared != "application/octet-stream":
        return declared
    guessed, _encoding = mimetypes.guess_type(item.name or "")
    return (guessed or declared or "application/octet-stream").lower()


def _kind(content_type: str) -> str:
    if content_type == "image/gif":
        return "gif"
    major = content_type.split("/", 1)[0]
    return "video" if major == "audio" else major  # audio attaches like a video (Mastodon)


def _accepted(types: Iterable[str]) -> str:
    names = {_SHORT_TYPES.get(t, t.split("/", 1)[-1].upper()) for t in types if not t.startswith("audio/")}
    return ", ".join(sorted(names))


def _human_size(size: int) -> str:
    for unit, factor in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= factor:
            # Two decimals at most, so that 1,048,576 bytes ("1.05 MB") is not shown as the 1 MB limit.
            return f"{size / factor:.2f}".rstrip("0").rstrip(".") + f" {unit}"
    return ngettext("%(count)d byte", "%(count)d bytes", size) % {"count": size}


def _name(item: MediaInfo, index: int) -> str:
    return item.name or _("File %(number)d") % {"number": index + 1}


# --- the checks --------------------------------------------------------------------------------------


class _Checks:
    def __init__(self, network_key: str) -> None:
        self.key = network_key
        self.limits = limits_for(network_key)
        self.rules = rules_for(network_key)
        self.network = label_for(network_key)
        self.problems: list[Problem] = []

    def add(
        self,
        field: str,
        code: str,
        message: str,
        severity: Severity = "error",
        *,
        start: int | None = None,
        end: int | None = None,
        suggestions: tuple[str, ...] = (),
    ) -> None:
        self.problems.append(Problem(field, code, message, severity, start, end, suggestions))

    def text(self, text: str, link: str, media: Sequence[MediaInfo]) -> None:
        if not text.strip():
            if not media and not link:
                self.add("text", "empty", _("The post is empty: write some text or attach a file."))
            elif self.rules.text_required:
                self.add(
                    "text",
                    "text_required",
                    _("%(network)s needs text for this post.") % {"network": self.network},
                )
        refused = sorted({c for c in text if c in self.rules.forbidden_chars})
        if refused:
            self.add(
                "text",
                "forbidden_chars",
                _("%(network)s refuses these characters: %(chars)s.")
                % {"network": self.network, "chars": " ".join(refused)},
            )
        self.length(text, link, bool(media))
        self.entities(text, link)

    def length(self, text: str, link: str, has_media: bool) -> None:
        published = text_as_published(self.key, text, link)
        used = self.limits.count(published)
        maximum = _max_chars(self.limits, self.rules, has_media)
        if used <= maximum:
            return
        values = {"used": used, "max": maximum, "network": self.network, "link": self.limits.link_counts_as}
        if self.limits.unit == "bytes":
            message = (
                _(
                    "Text is %(used)d bytes; %(network)s allows %(max)d (accented letters and emoji "
                    "take several bytes)."
                )
                % values
            )
        elif has_media and maximum < self.limits.max_chars:
            message = (
                _(
                    "Text is %(used)d characters; %(network)s allows %(max)d in a caption when media "
                    "is attached."
                )
                % values
            )
        elif self.limits.link_counts_as is not None:
            message = (
                _("Text is %(used)d characters; %(network)s allows %(max)d (links count %(link)d).") % values
            )
        else:
            message = _("Text is %(used)d characters; %(network)s allows %(max)d.") % values
        if published != text:
            message += " " + _("The link is counted in the text.")
        self.add("text", "too_long", message)

    def entities(self, text: str, link: str, field: str = "text") -> None:
        rules, values = self.rules, {"network": self.network}
        tags = find_hashtags(text)
        if rules.max_hashtags is not None and len(tags) > rules.max_hashtags:
            self.add(
                field,
                "too_many_hashtags",
                _("%(count)d hashtags; %(network)s allows %(max)d.")
                % {**values, "count": len(tags), "max": rules.max_hashtags},
            )
        elif rules.soft_max_hashtags is not None and len(tags) > rules.soft_max_hashtags:
            extra = len(tags) - rules.soft_max_hashtags
            self.add(
                field,
                "extra_hashtags",
                ngettext(
                    "%(network)s makes only the first hashtag a topic; the other one stays plain text.",
                    "%(network)s makes only the first hashtag a topic; the other %(count)d stay plain text.",
                    extra,
                )
                % {**values, "count": extra},
                "warning",
            )
        mentions = find_mentions(text)
        if rules.max_mentions is not None and len(mentions) > rules.max_mentions:
            self.add(
                field,
                "too_many_mentions",
                _("%(count)d mentions; %(network)s allows %(max)d.")
                % {**values, "count": len(mentions), "max": rules.max_mentions},
            )
        if field != "text":
            return
        urls = {u.text.lower().rstrip("/") for u in find_urls(text) + find_bare_domains(text)}
        if link:
            urls.add(link.lower().rstrip("/"))
        if rules.max_links is not None and len(urls) > rules.max_links:
            self.add(
                field,
                "too_many_links",
                _("%(count)d different links; %(network)s allows %(max)d.")
                % {**values, "count": len(urls), "max": rules.max_links},
            )
        if rules.link_placement == "none" and urls:
            self.add(
                "link" if link else field,
                "link_not_clickable",
                _("Links are not clickable on %(network)s; readers will have to copy them.") % values,
                "warning",
            )

    def link(self, link: str) -> None:
        parts = urlsplit(link.strip())
        if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
            self.add("link", "invalid_link", _("The link must be a full web address (https://…)."))

    def media(self, media: Sequence[MediaInfo]) -> None:
        rules, media_rules, values = self.rules, self.limits.media, {"network": self.network}
        accepted_types = media_rules.image_types | media_rules.video_types
        kinds: list[str] = []
        for index, item in enumerate(media):
            content_type = _content_type(item)
            kind = _kind(content_type)
            kinds.append(kind)
            field, name = f"media[{index}]", _name(item, index)
            if content_type not in accepted_types:
                self.add(
                    field,
                    "media_type",
                    _("%(name)s: %(network)s accepts %(accepted)s only.")
                    % {**values, "name": name, "accepted": _accepted(accepted_types) or _("no files")},
                )
                continue
            if kind == "gif" and rules.max_gif_bytes is not None:
                maximum = rules.max_gif_bytes
            elif kind == "video" or content_type in media_rules.video_types:
                maximum = media_rules.max_video_bytes
            else:
                maximum = media_rules.max_image_bytes
            if item.size > maximum:
                self.add(
                    field,
                    "media_too_large",
                    _("%(name)s is %(size)s; %(network)s allows %(max)s.")
                    % {**values, "name": name, "size": _human_size(item.size), "max": _human_size(maximum)},
                )
        videos = kinds.count("video")
        images = kinds.count("image") + kinds.count("gif")
        if len(media) > media_rules.max_count:
            self.add(
                "media",
                "too_many_media",
                _("%(count)d files attached; %(network)s allows %(max)d.")
                % {**values, "count": len(media), "max": media_rules.max_count},
            )
        if videos > rules.max_videos:
            self.add(
                "media",
                "too_many_videos",
                ngettext(
                    "%(network)s allows one video per post.",
                    "%(network)s allows %(max)d videos per post.",
                    rules.max_videos,
                )
                % {**values, "max": rules.max_videos},
            )
        if videos and images and not media_rules.mix_images_and_video:
            self.add(
                "media", "mixed_media", _("%(network)s cannot mix images and videos in one post.") % values
            )
        if rules.gif_alone and "gif" in kinds and len(media) > 1:
            self.add(
                "media", "gif_not_alone", _("On %(network)s an animated GIF must be the only file.") % values
            )
        total = sum(m.size for m in media)
        if rules.max_total_bytes is not None and total > rules.max_total_bytes:
            message = _("Files total %(size)s; %(network)s allows %(max)s.") % {
                **values,
                "size": _human_size(total),
                "max": _human_size(rules.max_total_bytes),
            }
            self.add("media", "media_total_too_large", message)
        self.required_media(kinds)

    def required_media(self, kinds: list[str]) -> None:
        values = {"network": self.network}
        if self.rules.required_media_kind == "video" and "video" not in kinds:
            self.add("media", "media_required", _("%(network)s needs a video.") % values)
        elif self.limits.media.requires_media and not kinds:
            self.add("media", "media_required", _("%(network)s needs at least one image or video.") % values)

    def first_comment(self, comment: str) -> None:
        values = {"network": self.network}
        if self.limits.first_comment_max_chars is None:
            self.add(
                "first_comment",
                "first_comment_unsupported",
                _("%(network)s does not support a first comment.") % values,
            )
            return
        used = self.limits.count(comment)
        if used > self.limits.first_comment_max_chars:
            self.add(
                "first_comment",
                "first_comment_too_long",
                _("First comment is %(used)d characters; %(network)s allows %(max)d.")
                % {**values, "used": used, "max": self.limits.first_comment_max_chars},
            )
        self.entities(comment, "", field="first_comment")

    def spelling(self, field: str, text: str, lang: str, extra_words: Iterable[str]) -> None:
        for miss in spellcheck.check(text, lang, extra_words):
            values = {"word": miss.word, "suggestions": ", ".join(miss.suggestions)}
            message = (
                _('"%(word)s" may be misspelled; suggestions: %(suggestions)s.') % values
                if miss.suggestions
                else _('"%(word)s" may be misspelled.') % values
            )
            self.add(
                field,
                "spelling",
                message,
                "warning",
                start=miss.start,
                end=miss.end,
                suggestions=tuple(miss.suggestions),
            )


def check_variant(
    network_key: str,
    text: str,
    link: str = "",
    media: Sequence[MediaInfo] = (),
    first_comment: str = "",
    lang: str = "",
    *,
    extra_words: Iterable[str] = (),
    spelling: bool = True,
) -> list[Problem]:
    """Everything `network_key` would refuse (errors) or that deserves a second look (warnings).

    `lang` ("fr", "en", "fr-FR"…) turns on the spell check when a dictionary exists for it;
    `extra_words` is the workspace's own word list. Raises KeyError for an unknown network."""
    checks = _Checks(network_key)
    text, link, first_comment = text or "", (link or "").strip(), first_comment or ""
    checks.text(text, link, media)
    if link:
        checks.link(link)
    checks.media(media)
    if first_comment.strip():
        checks.first_comment(first_comment)
    if spelling and lang and spellcheck.supports(lang):
        words = tuple(extra_words)
        checks.spelling("text", text, lang, words)
        if first_comment.strip():
            checks.spelling("first_comment", first_comment, lang, words)
    return checks.problems
