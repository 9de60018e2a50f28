"""The composer's form: typing and parsing of what the page sends. The rules of the trade stay in services.

The composer posts one flat form: the post's own fields, then one variant per channel named
`v<channel id>-text`, `v<channel id>-first_comment`, `v<channel id>-media`, plus the media already
attached (`media_ids`, `alt-<media id>`) and new files (`upload`, with `upload_alt` in the same order).
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from tamtam.accounts.models import Workspace
from tamtam.channels.models import Channel, ChannelStatus
from tamtam.lib import timeutil
from tamtam.publishing.checks import MediaInfo
from tamtam.publishing.models import Media, Post, Queue
from tamtam.publishing.services import PostInput, VariantInput
from tamtam.strategy.models import Campaign, Persona, Pillar

ACTIONS = ("draft", "submit", "schedule", "publish", "queue")
# Actions that put the post on its way to a network: they need the Schedule capability and clean checks.
SENDING_ACTIONS = frozenset({"schedule", "publish", "queue"})
MAX_PENDING_FILES = 20
# Browsers and old tools send a few non-standard names for the same types.
_TYPE_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "video/x-mp4": "video/mp4"}
_MEDIA_MAJOR = frozenset({"image", "video"})


class ChannelChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ComposerForm(forms.Form):
    text = forms.CharField(label=_lazy("Text"), required=False, widget=forms.Textarea(attrs={"rows": 6}))
    link = forms.URLField(
        label=_lazy("Link"),
        required=False,
        max_length=2000,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    utm_source = forms.CharField(
        label=_lazy("Source"), required=False, max_length=80, help_text=_lazy("Empty: the network's name.")
    )
    utm_medium = forms.CharField(label=_lazy("Medium"), required=False, max_length=80, initial="social")
    utm_campaign = forms.CharField(
        label=_lazy("Campaign"),
        required=False,
        max_length=80,
        help_text=_lazy("Empty: the campaign's own UTM name."),
    )
    utm_content = forms.CharField(label=_lazy("Content"), required=False, max_length=80)
    campaign = forms.ModelChoiceField(
        label=_lazy("Campaign"), queryset=Campaign.objects.none(), required=False
    )
    pillar = forms.ModelChoiceField(
        label=_lazy("Editorial pillar"), queryset=Pillar.objects.none(), required=False
    )
    personas = forms.ModelMultipleChoiceField(
        label=_lazy("Personas"),
        queryset=Persona.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    channels = ChannelChoiceField(
        label=_lazy("Channels"),
        queryset=Channel.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    scheduled_local = forms.CharField(
        label=_lazy("Date and time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    queue = forms.ModelChoiceField(label=_lazy("Queue"), queryset=Queue.objects.none(), required=False)

    def __init__(
        self,
        data: Any = None,
        *,
        workspace: Workspace,
        action: str = "draft",
        post: Post | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.workspace = workspace
        self.action = action
        usable = ~Q(status=ChannelStatus.DISCONNECTED)
        if post is not None:  # a channel disconnected since keeps its place in the post being edited
            usable |= Q(targets__post=post)
        channels = Channel.objects.filter(usable, workspace=workspace).distinct().order_by("name", "id")
        self.fields["channels"].queryset = channels  # type: ignore[attr-defined]
        self.fields["campaign"].queryset = Campaign.objects.filter(workspace=workspace)  # type: ignore[attr-defined]
        self.fields["pillar"].queryset = Pillar.objects.filter(workspace=workspace)  # type: ignore[attr-defined]
        self.fields["personas"].queryset = Persona.objects.filter(workspace=workspace)  # type: ignore[attr-defined]
        self.fields["queue"].queryset = Queue.objects.filter(workspace=workspace)  # type: ignore[attr-defined]
        self.fields["scheduled_local"].help_text = _("In %(zone)s") % {"zone": workspace.time_zone}

    def clean_scheduled_local(self) -> datetime | None:
        """The wall-clock time typed in the workspace's zone, as a UTC instant (DST-safe)."""
        raw = (self.cleaned_data.get("scheduled_local") or "").strip()
        if not raw:
            if self.action == "schedule":
                raise forms.ValidationError(_("Choose the date and time of publication."))
            return None
        try:
            local = datetime.fromisoformat(raw.replace(" ", "T"))
        except ValueError:
            raise forms.ValidationError(_("Enter a date and time such as 2026-05-04 09:30.")) from None
        if local.tzinfo is not None:
            raise forms.ValidationError(
                _("Enter the time without a zone: it is read in %(zone)s.")
                % {"zone": self.workspace.time_zone}
            )
        return timeutil.local_to_utc(local.date(), local.time(), self.workspace.tz)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.action == "queue" and not data.get("queue"):
            self.add_error("queue", _("Choose a queue."))
        return data


def initial_for(post: Post) -> dict[str, Any]:
    """The composer's initial values for an existing post, times in the workspace's zone."""
    when = ""
    if post.scheduled_at:
        when = timeutil.to_local(post.scheduled_at, post.workspace.tz).strftime("%Y-%m-%dT%H:%M")
    return {
        "text": post.text,
        "link": post.link,
        "utm_source": post.utm_source,
        "utm_medium": post.utm_medium,
        "utm_campaign": post.utm_campaign,
        "utm_content": post.utm_content,
        "campaign": post.campaign_id,
        "pillar": post.pillar_id,
        "personas": list(post.personas.values_list("id", flat=True)),
        "channels": list(post.targets.values_list("channel_id", flat=True)),
        "scheduled_local": when,
        "queue": post.queue_id,
    }


# --- variants -------------------------------------------------------------------------------------


@dataclass
class VariantValues:
    """What the page shows for one channel's variant (text override, first comment, chosen media)."""

    channel_id: int
    text: str = ""
    first_comment: str = ""
    media_ids: list[int] | None = None  # None: every file of the post

    def to_input(self) -> VariantInput:
        return VariantInput(
            channel_id=self.channel_id,
            text=self.text if self.text.strip() else None,
            first_comment=self.first_comment,
            media_ids=self.media_ids,
        )


def _ints(values: Iterable[str]) -> list[int]:
    out: list[int] = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if number not in out:
            out.append(number)
    return out


def media_ids_from(data: Any) -> list[int]:
    """The files attached so far, minus those the user removed."""
    removed = set(_ints(data.getlist("media_remove")))
    return [mid for mid in _ints(data.getlist("media_ids")) if mid not in removed]


def variants_from(
    data: Any,
    channel_ids: Sequence[int],
    prior_media_ids: Sequence[int],
    new_media_ids: Sequence[int] = (),
) -> dict[int, VariantValues]:
    """Each channel's variant from the page. `prior_media_ids` are the files the page showed as
    checkboxes; files uploaded with this request (`new_media_ids`) reach every variant."""
    variants: dict[int, VariantValues] = {}
    for cid in channel_ids:
        prefix = f"v{cid}-"
        chosen: list[int] | None = None
        if data.get(prefix + "media_shown"):
            # A variant that keeps every file follows the post, so files added later reach it too.
            picked = [m for m in _ints(data.getlist(prefix + "media")) if m in prior_media_ids]
            chosen = None if picked == list(prior_media_ids) else picked + list(new_media_ids)
        variants[cid] = VariantValues(
            channel_id=cid,
            text=data.get(prefix + "text", ""),
            first_comment=data.get(prefix + "first_comment", ""),
            media_ids=chosen,
        )
    return variants


def variants_for(post: Post) -> dict[int, VariantValues]:
    """The variants of a saved post as the page shows them (an override only where the text differs)."""
    base = base_media_ids(post)
    variants: dict[int, VariantValues] = {}
    for target in post.targets.all():
        ids = [tm.media_id for tm in target.targetmedia_set.order_by("position")]
        variants[target.channel_id] = VariantValues(
            channel_id=target.channel_id,
            text="" if target.text == post.text else target.text,
            first_comment=target.first_comment,
            media_ids=None if ids == base else ids,
        )
    return variants


def base_media_ids(post: Post) -> list[int]:
    """A post keeps its files on its targets; the post's own list is their union, in order."""
    ids: list[int] = []
    for target in post.targets.order_by("id"):
        for tm in target.targetmedia_set.order_by("position"):
            if tm.media_id not in ids:
                ids.append(tm.media_id)
    return ids


def post_input(form: ComposerForm, variants: dict[int, VariantValues], media_ids: list[int]) -> PostInput:
    data = form.cleaned_data
    campaign: Campaign | None = data.get("campaign")
    utm_campaign = data.get("utm_campaign", "").strip()
    if not utm_campaign and campaign is not None:
        utm_campaign = campaign.utm_campaign
    channel_ids = [c.id for c in data.get("channels") or []]
    return PostInput(
        text=data.get("text", ""),
        link=data.get("link", ""),
        channel_ids=channel_ids,
        variants=[variants[cid].to_input() for cid in channel_ids if cid in variants],
        media_ids=media_ids,
        campaign_id=campaign.id if campaign else None,
        pillar_id=data["pillar"].id if data.get("pillar") else None,
        persona_ids=[p.id for p in data.get("personas") or []],
        utm_source=data.get("utm_source", "").strip(),
        utm_medium=data.get("utm_medium", "").strip() or "social",
        utm_campaign=utm_campaign,
        utm_content=data.get("utm_content", "").strip(),
    )


# --- media ----------------------------------------------------------------------------------------


def content_type_of(name: str, declared: str) -> str:
    declared = (declared or "").split(";", 1)[0].strip().lower()
    declared = _TYPE_ALIASES.get(declared, declared)
    if declared and declared != "application/octet-stream":
        return declared
    guessed, _encoding = mimetypes.guess_type(name)
    return (guessed or declared or "application/octet-stream").lower()


def human_size(size: int) -> str:
    for unit, factor in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= factor:
            return f"{size / factor:.1f}".rstrip("0").rstrip(".") + f" {unit}"
    return _("%(count)d bytes") % {"count": size}


def file_problem(name: str, size: int, content_type: str) -> str | None:
    """Why tamtam refuses a file whatever the network (the networks' own rules are checked per channel)."""
    if size > settings.MEDIA_MAX_BYTES:
        return _("%(name)s is %(size)s; tamtam accepts files up to %(max)s.") % {
            "name": name,
            "size": human_size(size),
            "max": human_size(settings.MEDIA_MAX_BYTES),
        }
    if content_type.split("/", 1)[0] not in _MEDIA_MAJOR:
        return _("%(name)s is not an image or a video.") % {"name": name}
    if size == 0:
        return _("%(name)s is empty.") % {"name": name}
    return None


@dataclass
class UploadResult:
    stored: list[Media] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def store_uploads(workspace: Workspace, files: Sequence[UploadedFile], alts: Sequence[str]) -> UploadResult:
    """Keep every acceptable file (so nothing the user sent is lost) and name each refused one."""
    result = UploadResult()
    for index, upload in enumerate(files):
        name = PurePath(upload.name or f"file-{index + 1}").name
        content_type = content_type_of(name, upload.content_type or "")
        problem = file_problem(name, upload.size or 0, content_type)
        if problem:
            result.errors.append(problem)
            continue
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        alt = alts[index].strip() if index < len(alts) else ""
        result.stored.append(
            Media.objects.create(
                workspace=workspace,
                file=upload,
                content_type=content_type,
                size=upload.size or 0,
                alt_text=alt[:1500],
                sha256=digest.hexdigest(),
            )
        )
    return result


def save_alt_texts(workspace: Workspace, data: Any, media_ids: Sequence[int]) -> None:
    """Alt text typed next to files already attached (it describes the file, so it lives on the file)."""
    for media in Media.objects.filter(workspace=workspace, id__in=media_ids):
        key = f"alt-{media.pk}"
        if key in data and data[key].strip() != media.alt_text:
            media.alt_text = data[key].strip()[:1500]
            media.save(update_fields=["alt_text"])


def pending_files(data: Any) -> list[MediaInfo]:
    """Files picked but not uploaded yet, described by the page's script (name, size, type) so that the
    live checks can warn about them before the user sends hundreds of megabytes."""
    try:
        items = json.loads(data.get("pending_files") or "[]")
    except ValueError:
        return []
    if not isinstance(items, list):
        return []
    out: list[MediaInfo] = []
    for item in items[:MAX_PENDING_FILES]:
        if not isinstance(item, dict):
            continue
        name = str(item.get("name", ""))[:200]
        try:
            size = max(0, int(item.get("size", 0)))
        except (TypeError, ValueError):
            continue
        out.append(
            MediaInfo(content_type=content_type_of(name, str(item.get("type", ""))), size=size, name=name)
        )
    return out
