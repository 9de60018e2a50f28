"""What the composer shows beside the form for each chosen channel: the counter (the network's way),
problems from publishing.checks, spelling suggestions, and a preview that looks roughly like the network.

The review pages reuse the previews, built from saved targets instead of the form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from urllib.parse import urlsplit

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from tamtam.accounts.models import Workspace
from tamtam.channels.models import Channel
from tamtam.channels.services import SANDBOX, flavor_of, network_label
from tamtam.lib.utm import add_utm
from tamtam.networks.limits import limits_for
from tamtam.nlp import spellcheck
from tamtam.nlp.text import find_hashtags, find_mentions, find_urls
from tamtam.publishing.checks import MediaInfo, Problem, check_variant, count_for, text_as_published
from tamtam.publishing.forms import file_problem
from tamtam.publishing.models import Media, Post, PostTarget

# A sandbox account with no flavor is a generous generic network (networks/sandbox/connector.py).
GENERIC_MAX_CHARS = 100_000


@dataclass
class MediaThumb:
    url: str
    name: str
    is_video: bool
    alt: str


@dataclass
class Preview:
    network_key: str  # "x", "linkedin"…, or "" for a generic sandbox account
    network_label: str
    name: str
    handle: str
    is_sandbox: bool
    html: SafeString
    media: list[MediaThumb]
    link: str  # with its UTM tags, as it will be published
    link_host: str

    @property
    def initial(self) -> str:
        return (self.name[:1] or "?").upper()


@dataclass
class SpellingHint:
    """A possibly misspelled word, where it is (code-point offsets in `field_id`'s value), and fixes."""

    field_id: str
    start: int
    end: int
    word: str
    message: str
    suggestions: tuple[str, ...]


@dataclass
class ChannelCheck:
    channel: Channel
    used: int
    maximum: int
    unit: str
    errors: list[Problem]
    warnings: list[Problem]
    spelling: list[SpellingHint]
    preview: Preview

    @property
    def over(self) -> bool:
        return self.used > self.maximum


@dataclass
class VariantDraft:
    """One channel's content as it would be published (variant override or the post's own)."""

    channel: Channel
    text: str
    link: str
    first_comment: str = ""
    media: list[Media] = field(default_factory=list)
    pending: list[MediaInfo] = field(default_factory=list)
    text_field: str = "id_text"


def network_key(channel: Channel) -> str:
    """The key of the network whose rules apply, or "" when none is known (generic sandbox)."""
    key = flavor_of(channel)
    if not key:
        return ""
    try:
        limits_for(key)
    except KeyError:
        return ""
    return key


def tagged_link(link: str, channel: Channel, utm: dict[str, str]) -> str:
    # Mirrors publishing.engine.ledger.with_utm, so that the preview shows the link that will be sent.
    if not link:
        return ""
    return add_utm(
        link,
        utm.get("source") or channel.network,
        utm.get("medium") or "social",
        utm.get("campaign", ""),
        utm.get("content", ""),
    )


def highlight(text: str) -> SafeString:
    """The text, escaped, with links, hashtags and mentions wrapped for the preview's colours."""
    spans = sorted(
        [(s, "link") for s in find_urls(text)]
        + [(s, "tag") for s in find_hashtags(text)]
        + [(s, "mention") for s in find_mentions(text)],
        key=lambda item: (item[0].start, -item[0].end),
    )
    out: list[str] = []
    position = 0
    for span, kind in spans:
        if span.start < position:  # a hashtag inside a URL belongs to the URL
            continue
        out.append(escape(text[position : span.start]))
        out.append(f'<span class="pv-{kind}">{escape(span.text)}</span>')
        position = span.end
    out.append(escape(text[position:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece of user text above went through escape()


def published_text(key: str, text: str, link: str) -> str:
    """The text as the network receives it; the generic sandbox appends the link like most networks."""
    if key:
        return text_as_published(key, text, link)
    if link and link not in text:
        return f"{text}\n{link}" if text.strip() else link
    return text


def file_name(media: Media) -> str:
    return PurePath(media.file.name or "").name


def _media_infos(draft: VariantDraft) -> list[MediaInfo]:
    saved = [MediaInfo(content_type=m.content_type, size=m.size, name=file_name(m)) for m in draft.media]
    return saved + list(draft.pending)


def preview_for(draft: VariantDraft, link: str) -> Preview:
    key = network_key(draft.channel)
    shown = published_text(key, draft.text, link)
    thumbs = [
        MediaThumb(
            url=m.file.url,
            name=file_name(m),
            is_video=m.content_type.startswith("video/"),
            alt=m.alt_text,
        )
        for m in draft.media
    ]
    return Preview(
        network_key=key,
        network_label=network_label(draft.channel),
        name=draft.channel.name,
        handle=draft.channel.handle,
        is_sandbox=draft.channel.network == SANDBOX,
        html=highlight(shown),
        media=thumbs,
        link=link,
        link_host=(urlsplit(link).hostname or "").removeprefix("www.") if link else "",
    )


def _generic_problems(draft: VariantDraft, lang: str) -> list[Problem]:
    problems: list[Problem] = []
    if not draft.text.strip() and not draft.media and not draft.pending and not draft.link:
        problems.append(Problem("text", "empty", _("The post is empty: write some text or attach a file.")))
    if lang and spellcheck.supports(lang):
        for name, value in (("text", draft.text), ("first_comment", draft.first_comment)):
            for miss in spellcheck.check(value, lang):
                values = {"word": miss.word, "suggestions": ", ".join(miss.suggestions)}
                problems.append(
                    Problem(
                        name,
                        "spelling",
                        _('"%(word)s" may be misspelled.') % values,
                        "warning",
                        miss.start,
                        miss.end,
                        tuple(miss.suggestions),
                    )
                )
    return problems


def check_draft(workspace: Workspace, draft: VariantDraft, utm: dict[str, str]) -> ChannelCheck:
    key = network_key(draft.channel)
    link = tagged_link(draft.link, draft.channel, utm)
    media = _media_infos(draft)
    if key:
        problems = check_variant(key, draft.text, link, media, draft.first_comment, workspace.language)
        used, maximum = count_for(key, draft.text, link=link, has_media=bool(media))
        unit = limits_for(key).unit
    else:
        problems = _generic_problems(draft, workspace.language)
        used, maximum, unit = len(published_text("", draft.text, link)), GENERIC_MAX_CHARS, "characters"
    spelling: list[SpellingHint] = []
    seen: set[tuple[str, str]] = set()
    for p in problems:
        if p.code != "spelling" or p.start is None or p.end is None:
            continue
        # One hint per word and field: fixing the first occurrence re-runs the checks for the next.
        if (p.field, p.message) in seen:
            continue
        seen.add((p.field, p.message))
        comment = p.field == "first_comment"
        source = draft.first_comment if comment else draft.text
        field_id = f"v{draft.channel.pk}-first_comment" if comment else draft.text_field
        spelling.append(
            SpellingHint(field_id, p.start, p.end, source[p.start : p.end], p.message, p.suggestions)
        )
    return ChannelCheck(
        channel=draft.channel,
        used=used,
        maximum=maximum,
        unit=unit,
        errors=[p for p in problems if p.severity == "error"],
        warnings=[p for p in problems if p.severity == "warning" and p.code != "spelling"],
        spelling=spelling,
        preview=preview_for(draft, link),
    )


def check_drafts(
    workspace: Workspace, drafts: Sequence[VariantDraft], utm: dict[str, str]
) -> list[ChannelCheck]:
    return [check_draft(workspace, d, utm) for d in drafts]


def pending_problems(pending: Sequence[MediaInfo]) -> list[str]:
    """Files tamtam itself would refuse, whatever the network: shown once above the channels."""
    return [p for p in (file_problem(m.name, m.size, m.content_type) for m in pending) if p]


def utm_of(post: Post) -> dict[str, str]:
    return {
        "source": post.utm_source,
        "medium": post.utm_medium,
        "campaign": post.utm_campaign,
        "content": post.utm_content,
    }


def preview_target(target: PostTarget) -> Preview:
    """The preview of a saved target (review pages, post detail)."""
    post = target.post
    media = [tm.media for tm in target.targetmedia_set.select_related("media").order_by("position")]
    draft = VariantDraft(
        channel=target.channel,
        text=target.text or post.text,
        link=target.link or post.link,
        first_comment=target.first_comment,
        media=media,
    )
    return preview_for(draft, tagged_link(draft.link, target.channel, utm_of(post)))
