"""A workspace with something in every part of the product, for the export and deletion tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from tamtam.accounts.models import ApiToken, User, Workspace
from tamtam.accounts.services import audit

# Every secret planted below; none may appear in an export.
SECRETS = ("SECRET-ACCESS-tok", "SECRET-REFRESH-tok", "SECRET-WEBHOOK-key")


@dataclass
class Planted:
    workspace: Workspace
    media_name: str
    shared_mention: int
    own_mention: int
    api_token: str
    share_hash: str


def populate(ws: Workspace, user: User, make_channel: Callable[..., Any], tag: str, shared: Any) -> Planted:
    from tamtam.analytics.models import TrackingSettings
    from tamtam.crisis.models import AlertRule, Incident
    from tamtam.inbox.models import Conversation, Message
    from tamtam.lib import crypto
    from tamtam.listening.models import ListeningAuthor, Mention, MentionMatch, Query, Source
    from tamtam.publishing import services
    from tamtam.publishing.models import Media, PostComment, TargetMedia
    from tamtam.publishing.services import PostInput
    from tamtam.reports.models import Report, ReportShare
    from tamtam.strategy.models import Persona, Pillar

    channel = make_channel(ws=ws)
    channel.set_credentials({"access_token": SECRETS[0], "refresh_token": SECRETS[1]})
    channel.save()
    media = Media(workspace=ws, content_type="image/png", size=3, alt_text=f"alt {tag}")
    media.file.save(f"photo-{tag}.png", ContentFile(b"png"), save=True)
    post = services.create_post(ws, user, PostInput(text=f"Bonjour {tag}", channel_ids=[channel.id]))
    TargetMedia.objects.create(target=post.targets.get(), media=media)
    PostComment.objects.create(post=post, author=user, body=f"note {tag}")
    persona = Persona.objects.create(workspace=ws, name=f"Parents {tag}")
    persona.channels.set([channel])
    Pillar.objects.create(workspace=ws, name=f"Tips {tag}", target_share=50)
    conv = Conversation.objects.create(workspace=ws, channel=channel, kind="thread", key=f"thread:{tag}")
    Message.objects.create(
        workspace=ws,
        channel=channel,
        conversation=conv,
        remote_id=f"c-{tag}",
        kind="comment",
        text=f"Livré quand ? {tag}",
        created_at=timezone.now(),
    )
    query = Query.objects.create(workspace=ws, name=f"Marque {tag}", expression="lumen")
    source = Source.objects.create(workspace=ws, kind="sandbox", name=f"Flux {tag}")
    author = ListeningAuthor.objects.create(network="sandbox", remote_id=f"u-{tag}", handle=f"fan_{tag}")
    now = timezone.now()
    own = Mention.objects.create(
        remote_key=f"k-{tag}", content_hash=f"h-{tag}", network="sandbox", text=f"lumen {tag}",
        published_at=now, author=author,
    )  # fmt: skip
    for mention in (own, shared):
        MentionMatch.objects.create(mention=mention, query=query, workspace=ws, published_at=now)
    source.mention_links.create(mention=own)
    rule = AlertRule.objects.create(workspace=ws, query=query, name=f"Pic {tag}")
    Incident.objects.create(workspace=ws, query=query, title=f"Bad buzz {tag}")
    assert rule.pk
    report = Report.objects.create(workspace=ws, name=f"Mensuel {tag}", sections=["kpis"])
    share_hash = crypto.token_hash(f"share-{tag}")
    ReportShare.objects.create(report=report, prefix="rp_x", token_hash=share_hash)
    tracking = TrackingSettings.objects.create(workspace=ws, secret_encrypted=crypto.encrypt_json(
        {"secret": SECRETS[2]}, b"tracking"))  # fmt: skip
    _token, raw = ApiToken.issue(user, f"ci {tag}", workspace=ws, expires_at=now + timedelta(days=1))
    audit(ws, user, "test.planted", post, summary=f"planted {tag}")
    return Planted(ws, media.file.name, shared.pk, own.pk, raw, share_hash + tracking.pixel_token)


@pytest.fixture
def two_workspaces(workspace, members, make_workspace, make_user, make_channel):
    """(planted in `workspace`, planted in another workspace of the same agency) sharing one mention."""
    from tamtam.listening.models import Mention

    shared = Mention.objects.create(
        remote_key="k-shared", content_hash="h-shared", network="sandbox", text="lumen everywhere",
        published_at=timezone.now(),
    )  # fmt: skip
    other = make_workspace(name="Autre marque", slug="autre")
    other_owner = make_user("other-owner", other, "owner")
    return (
        populate(workspace, members["owner"], make_channel, "a", shared),
        populate(other, other_owner, make_channel, "b", shared),
    )


@pytest.fixture
def planted_secrets() -> tuple[str, ...]:
    return SECRETS
