"""The demo agency: two brands with sandbox channels, a strategy, and two weeks of posts in every state.

Posts are made the way users make them (publishing.services: compose, submit, approve, schedule) and
the past ones are really published by the engine on the sandbox network, then moved back to the day
they were planned for; so remote ids, URLs and attempt rows are what the engine writes. A few outcomes
are forced with the sandbox's dials for one call (a lost answer, a 503) so that every state shows.

`seed()` does nothing when the demo agency already exists: running it twice is harmless.
"""

from __future__ import annotations

import hashlib
import secrets
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tamtam.accounts.models import Agency, AuditEvent, Membership, Role, User, Workspace
from tamtam.accounts.services import audit
from tamtam.channels.models import Channel, ChannelStatus
from tamtam.lib import timeutil
from tamtam.publishing import planning, services
from tamtam.publishing.models import (
    Approval,
    ApprovalStep,
    AttemptOutcome,
    Media,
    Post,
    PostComment,
    PostSource,
    PostTarget,
    PublishAttempt,
    Queue,
    QueueSlot,
)
from tamtam.publishing.services import PostInput, VariantInput
from tamtam.publishing.states import TargetState
from tamtam.strategy.models import Campaign, Persona, Pillar
from tamtam.web.demo import crisis as demo_crisis
from tamtam.web.demo import insights
from tamtam.web.demo.content import BRANDS, BrandSpec, PostSpec

S = TargetState
AGENCY_NAME = "Agence Tamtam (démo)"
AGENCY_SLUG = "agence-tamtam-demo"
ENGINE_OWNER = "demo-seed"
# (username, role, first name, last name); the admin owns both brands and is a superuser.
PEOPLE = (
    ("admin", Role.OWNER, "Camille", "Durand"),
    ("manager", Role.MANAGER, "Sophie", "Martin"),
    ("community", Role.COMMUNITY, "Lucas", "Bernard"),
    ("analyst", Role.ANALYST, "Emma", "Chen"),
    ("client", Role.CLIENT, "Marc", "Dubois"),
)
# States reached by running the engine now, then dated back to the planned day.
ENGINE_STATES = {S.PUBLISHED, S.FAILED, S.NEEDS_USER, S.UNCONFIRMED, S.RETRY_WAIT}
# One call with these dials gives the wanted outcome whatever the channel's usual dice say.
FORCED_DIALS: dict[str, dict[str, object]] = {
    S.UNCONFIRMED: {"ambiguous_rate": 1.0, "error_rate": 0.0},
    S.RETRY_WAIT: {"error_rate": 1.0},
}
# A small brand's audience writes a message every day or two, not every half hour (the sandbox's
# default), so the week the demo's accounts have been open fills the inbox without flooding it (and
# without making the seed slow: every item goes through the inbox's language and sentiment analysis).
AUDIENCE = {
    "audience_dm_every_s": 48 * 3600.0,
    "audience_mention_every_s": 36 * 3600.0,
    "audience_comments_per_post": 6,
}
PUBLISH_TRIES = 4  # a "published" post that meets the channel's small error rate is tried again


@dataclass
class Credential:
    label: str
    username: str
    password: str | None  # None: the user existed already and keeps their password


@dataclass
class SeedResult:
    created: bool
    agency: Agency
    credentials: list[Credential] = field(default_factory=list)
    workspaces: list[Workspace] = field(default_factory=list)
    used_engine: bool = False


def seed(*, password: str | None = None, now: datetime | None = None) -> SeedResult:
    existing = Agency.objects.filter(slug=AGENCY_SLUG).first()
    if existing is not None:
        return SeedResult(created=False, agency=existing, workspaces=list(existing.workspaces.all()))
    engine = _engine()
    with transaction.atomic():
        agency = Agency.objects.create(name=AGENCY_NAME, slug=AGENCY_SLUG, brand_color="#c2410c")
        users, credentials = _people(password)
        result = SeedResult(
            created=True, agency=agency, credentials=credentials, used_engine=engine is not None
        )
        for spec in BRANDS:
            result.workspaces.append(_Brand(spec, agency, users, engine, now or timezone.now()).build())
        # Yesterday's bad buzz through the live evaluator, once every brand's rules exist.
        demo_crisis.after_brands(timezone.now(), result.workspaces)
        # The periodic job's work, done now so the recurring posts show in the calendar at once.
        planning.expand_recurrences(now)
    return result


def first_weekly_occurrence(rule: str, now: datetime, tz: ZoneInfo) -> datetime:
    """The first instant of a weekly BYDAY/BYHOUR rule strictly after `now`: today's when its hour is
    still ahead, so the next occurrence (a week later) always falls within the planning horizon."""
    weekday = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}[rule.split("BYDAY=")[1][:2]]
    hour = int(rule.split("BYHOUR=")[1].split(";", maxsplit=1)[0])
    today = timeutil.to_local(now, tz).date()
    day = today + timedelta(days=(weekday - today.weekday()) % 7)
    first = timeutil.local_to_utc(day, time(hour, 0), tz)
    return first if first > now else timeutil.local_to_utc(day + timedelta(days=7), time(hour, 0), tz)


def _engine() -> Any:
    try:
        from tamtam.publishing import engine
    except ImportError:  # the demo still seeds, writing what the engine would have written
        return None
    return engine if hasattr(engine, "process_target") else None


def _people(password: str | None) -> tuple[dict[str, tuple[User, str]], list[Credential]]:
    users: dict[str, tuple[User, str]] = {}
    credentials = []
    for username, role, first, last in PEOPLE:
        user = User.objects.filter(username=username).first()
        secret: str | None = None
        if user is None:
            secret = password or secrets.token_urlsafe(12)
            superuser = role == Role.OWNER
            user = User.objects.create_user(
                username=username,
                password=secret,
                email=f"{username}@demo.tamtam.invalid",
                first_name=first,
                last_name=last,
                is_staff=superuser,
                is_superuser=superuser,
            )
        users[username] = (user, role)
        credentials.append(Credential(username.capitalize(), username, secret))
    return users, credentials


def jpeg(color: str, size: int = 240, band: int = 5) -> bytes:
    """A baseline JPEG in `color` with diagonal bands: one flat colour per 8x8 block, so only DC terms.

    JPEG because Instagram accepts nothing else; written by hand because an image library would be a
    dependency for the demo alone."""
    rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]

    def ycc(r: float, g: float, b: float) -> list[int]:
        y = 0.299 * r + 0.587 * g + 0.114 * b
        cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
        cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
        return [max(-128, min(127, round(v) - 128)) for v in (y, cb, cr)]

    light, dark = ycc(*rgb), ycc(*(c * 0.86 for c in rgb))
    blocks = size // 8
    # Huffman: the standard luminance DC table (Annex K.3); an AC table holding only end-of-block.
    dc_bits = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    dc_codes: dict[int, tuple[int, int]] = {}
    code, symbol = 0, 0
    for length, count in enumerate(dc_bits, start=1):
        for _code in range(count):
            dc_codes[symbol] = (code, length)
            code, symbol = code + 1, symbol + 1
        code <<= 1
    out = bytearray()
    acc, nbits = 0, 0

    def put(value: int, length: int) -> None:
        nonlocal acc, nbits
        acc, nbits = (acc << length) | value, nbits + length
        while nbits >= 8:
            nbits -= 8
            byte = (acc >> nbits) & 0xFF
            out.append(byte)
            if byte == 0xFF:
                out.append(0)  # byte stuffing

    previous = [0, 0, 0]
    for by in range(blocks):
        for bx in range(blocks):
            values = light if ((bx + by) // band) % 2 else dark
            for comp in range(3):
                diff = values[comp] - previous[comp]
                previous[comp] = values[comp]
                category = abs(diff).bit_length()
                put(*dc_codes[category])
                if category:
                    put(diff if diff > 0 else diff + (1 << category) - 1, category)
                put(0, 1)  # end of block: every AC coefficient is zero
    if nbits:
        put((1 << (8 - nbits)) - 1, 8 - nbits)

    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">HH", 0xFF00 | marker, len(payload) + 2) + payload

    header = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    header += segment(0xDB, b"\x00" + bytes([8] * 64))  # DC quantised by 8: the level itself
    header += segment(
        0xC0, struct.pack(">BHHB", 8, size, size, 3) + b"".join(bytes([cid, 0x11, 0]) for cid in (1, 2, 3))
    )
    header += segment(0xC4, b"\x00" + bytes(dc_bits) + bytes(range(12)))
    header += segment(0xC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00")
    header += segment(0xDA, b"\x03" + b"".join(bytes([cid, 0x00]) for cid in (1, 2, 3)) + b"\x00\x3f\x00")
    return b"\xff\xd8" + header + bytes(out) + b"\xff\xd9"


Failure = tuple[dict[str, Any], str, int | None]


def _simulated_failure(options: dict[str, Any], now: datetime, *, lacks_media: bool) -> Failure | None:
    """(target fields, attempt outcome, status code) of the failure the dials (or the network's rules)
    call for, or None."""
    fields: dict[str, Any]
    if options.get("needs_user"):
        message = _("The access token was revoked. Reconnect the account.")
        fields = {
            "state": S.NEEDS_USER,
            "due_at": None,
            "last_error": message,
            "last_error_kind": "needs_user",
        }
        return fields, AttemptOutcome.NEEDS_USER, 401
    if options.get("ambiguous_rate") == 1.0:
        message = _("The network did not answer in time; the post may have been published.")
        fields = {
            "state": S.UNCONFIRMED,
            "due_at": now,
            "last_error": message,
            "last_error_kind": "ambiguous",
        }
        return fields, AttemptOutcome.AMBIGUOUS, None
    if lacks_media:
        message = _("This network needs an image or a video.")
        fields = {"state": S.FAILED, "due_at": None, "last_error": message, "last_error_kind": "permanent"}
        return fields, AttemptOutcome.PERMANENT, 400
    if options.get("error_rate") == 1.0:
        message = _("The network answered 503 Service Unavailable.")
        return (
            {
                "state": S.RETRY_WAIT,
                "due_at": now + timedelta(seconds=30),
                "last_error": message,
                "last_error_kind": "retry",
            },
            AttemptOutcome.RETRY,
            503,
        )
    return None


class _Brand:
    def __init__(
        self, spec: BrandSpec, agency: Agency, users: dict[str, tuple[User, str]], engine: Any, now: datetime
    ) -> None:
        self.spec, self.agency, self.users, self.engine, self.now = spec, agency, users, engine, now
        self.channels: dict[str, Channel] = {}
        self.pillars: list[Pillar] = []
        self.images: list[Media] = []
        self.personas: list[Persona] = []
        self.campaign: Campaign | None = None

    # --- setup --------------------------------------------------------------------------------------

    def build(self) -> Workspace:
        spec = self.spec
        self.ws = Workspace.objects.create(
            agency=self.agency,
            name=spec.name,
            slug=spec.slug,
            time_zone=spec.time_zone,
            language=spec.language,
            approval_policy=spec.approval_policy,
            color=spec.color,
        )
        self.tz = timeutil.zone(spec.time_zone)
        self.today = timeutil.to_local(self.now, self.tz).date()
        for user, role in self.users.values():
            Membership.objects.create(user=user, workspace=self.ws, role=role)
        self._channels()
        insights.before_posts(self)
        self._strategy()
        self._images()
        for post in spec.posts:
            self.post(post)
        self._queue()
        self._recurring()
        insights.after_posts(self)
        return self.ws

    def _channels(self) -> None:
        for spec in self.spec.channels:
            seed = zlib.crc32(f"{self.spec.slug}:{spec.key}".encode())
            self.channels[spec.key] = Channel.objects.create(
                workspace=self.ws,
                network="sandbox",
                name=spec.name,
                handle=spec.handle,
                external_id=f"sandbox-{seed}",
                options={"flavor": spec.flavor, "seed": seed, **AUDIENCE, **spec.dials},
            )

    def _strategy(self) -> None:
        for name, description, keys in self.spec.personas:
            persona = Persona.objects.create(workspace=self.ws, name=name, description=description)
            persona.channels.set([self.channels[k] for k in keys])
            self.personas.append(persona)
        self.pillars = [
            Pillar.objects.create(workspace=self.ws, name=name, target_share=share, color=color)
            for name, share, color in self.spec.pillars
        ]
        name, utm = self.spec.campaign
        self.campaign = Campaign.objects.create(
            workspace=self.ws,
            name=name,
            utm_campaign=utm,
            starts_on=self.today - timedelta(days=7),
            ends_on=self.today + timedelta(days=21),
            color=self.spec.color,
        )

    def _images(self) -> None:
        for index, (color, alt) in enumerate(self.spec.images, start=1):
            data = jpeg(color)
            self.images.append(
                Media.objects.create(
                    workspace=self.ws,
                    file=ContentFile(data, name=f"demo-{self.spec.slug}-{index}.jpg"),
                    content_type="image/jpeg",
                    size=len(data),
                    width=240,
                    height=240,
                    alt_text=alt,
                    sha256=hashlib.sha256(data).hexdigest(),
                )
            )

    def _queue(self) -> None:
        name, slots, keys = self.spec.queue
        queue = Queue.objects.create(workspace=self.ws, name=name)
        queue.channels.set([self.channels[k] for k in keys])
        for weekday, at in slots:
            QueueSlot.objects.create(queue=queue, weekday=weekday, time=time.fromisoformat(at))
        post = self._create(self.spec.queued)
        services.add_to_queue(post, self.user("community"), queue.pk)
        self._approve_all(post)

    def _recurring(self) -> None:
        text, keys, rule = self.spec.recurring
        template = self._create(PostSpec("scheduled", keys, text, pillar=1))
        services.schedule(template, self.user("community"), first_weekly_occurrence(rule, self.now, self.tz))
        self._approve_all(template)
        planning.make_recurring(template, rule)

    # --- people -------------------------------------------------------------------------------------

    def user(self, username: str) -> User:
        return self.users[username][0]

    def _approve_all(self, post: Post, comment: str = "") -> None:
        for step in services.required_steps(self.ws):
            reviewer = "manager" if step == ApprovalStep.MANAGER else "client"
            services.approve(post, self.user(reviewer), reviewer, comment)

    # --- posts --------------------------------------------------------------------------------------

    def at(self, when: tuple[int, str]) -> datetime:
        days, hhmm = when
        return timeutil.local_to_utc(self.today + timedelta(days=days), time.fromisoformat(hhmm), self.tz)

    def _create(self, spec: PostSpec) -> Post:
        ids = [self.channels[k].pk for k in spec.channels]
        personas = [p.pk for p in self.personas if set(p.channels.values_list("pk", flat=True)) & set(ids)]
        data = PostInput(
            text=self._fit(spec.text, spec.channels),
            link=spec.link,
            channel_ids=ids,
            variants=[
                VariantInput(channel_id=self.channels[k].pk, text=self._fit(text, (k,)))
                for k, text in spec.variants.items()
            ],
            media_ids=[self.images[spec.image].pk] if spec.image is not None else [],
            campaign_id=self.campaign.pk if spec.campaign and self.campaign else None,
            pillar_id=self.pillars[spec.pillar].pk if spec.pillar is not None else None,
            persona_ids=personas,
            utm_source="",
            utm_campaign=self.campaign.utm_campaign if spec.campaign and self.campaign else "",
        )
        post = services.create_post(self.ws, self.user("community"), data, source=PostSource.DEMO)
        if spec.first_comment:
            post.targets.update(first_comment=spec.first_comment)
        return post

    def _fit(self, text: str, keys: tuple[str, ...]) -> str:
        """The text cut to the strictest network's limit (counted its way), so no demo post is refused."""
        for key in keys:
            limits = planning.channel_limits(self.channels[key])
            while limits is not None and limits.count(text) > limits.max_chars:
                text = text[:-10].rstrip() + "…"
        return text

    def post(self, spec: PostSpec) -> Post:
        community, manager = self.user("community"), self.user("manager")
        post = self._create(spec)
        wanted = self.at(spec.when) if spec.when else None
        soon = timezone.now() + timedelta(minutes=2)  # what the services accept; moved back afterwards
        past = wanted is not None and wanted <= self.now
        if spec.state == S.DRAFT:
            for target in post.targets.all():
                if wanted is not None:
                    services.reschedule_target(target, community, wanted)
        elif spec.state == S.IN_REVIEW:
            services.schedule(post, community, wanted or soon)
            if spec.comment == "manager":
                services.approve(post, manager, "manager", "")
        elif spec.state == S.CHANGES_REQUESTED:
            services.schedule(post, community, wanted or soon)
            services.request_changes(post, manager, "manager", spec.comment)
        elif spec.state == S.APPROVED:
            services.submit(post, community)
            self._approve_all(post)
        else:  # every state from here on starts as an approved, scheduled post
            services.schedule(post, community, soon if past or wanted is None else wanted)
            self._approve_all(post, spec.comment)
            self._finish(post, spec.state)
        if past and wanted is not None:
            self._date_back(post, wanted)
        return post

    def _finish(self, post: Post, state: str) -> None:
        now = timezone.now()
        targets = post.targets.all()
        if state in ENGINE_STATES:
            for target in targets:
                self._publish(target, state)
        elif state == S.PAUSED:
            # What crisis mode does: hold the post where it was, resumable.
            targets.update(state=S.PAUSED, paused_from=S.SCHEDULED, due_at=None)
            audit(self.ws, None, "target.paused", post, summary=post.text[:80], actor_label="crisis mode")
        elif state == S.CANCELLED:
            services.cancel_post(post, self.user("manager"))
        elif state in (S.CLAIMED, S.SENDING):
            # A worker holds it right now; when its lease runs out the sweeper takes it back.
            targets.update(
                state=state,
                due_at=now,
                lease_owner="demo-worker",
                lease_until=now + timedelta(seconds=90),
                updated_at=now,
            )
            if state == S.SENDING:
                for target in targets:
                    PublishAttempt.objects.create(
                        target=target,
                        number=1,
                        worker="demo-worker",
                        started_at=now,
                        idempotency_key=target.idempotency_key,
                    )

    # --- the engine ---------------------------------------------------------------------------------

    def _publish(self, target: PostTarget, wanted: str) -> None:
        forced = FORCED_DIALS.get(wanted, {})
        tries = 1 if forced or wanted != S.PUBLISHED else PUBLISH_TRIES
        for _try in range(tries):
            # Without the channel's latency: the seed publishes some thirty posts and should take seconds.
            state = self._run_engine(target, {**forced, "latency_ms": 0})
            if state != S.RETRY_WAIT:
                return

    def _run_engine(self, target: PostTarget, dials: dict[str, object]) -> str:
        now = timezone.now()
        # The engine's claim, for this one target only: never someone else's due work.
        PostTarget.objects.filter(pk=target.pk, state__in=[S.SCHEDULED, S.RETRY_WAIT]).update(
            state=S.CLAIMED,
            due_at=now,
            lease_owner=ENGINE_OWNER,
            lease_until=now + timedelta(minutes=2),
            updated_at=now,
        )
        with self._dials(target.channel_id, dials):
            if self.engine is not None:
                self.engine.process_target(target.pk, ENGINE_OWNER)
            else:
                self._as_the_engine_would(target.pk, dials)
        return PostTarget.objects.get(pk=target.pk).state

    @contextmanager
    def _dials(self, channel_id: int, dials: dict[str, object]) -> Iterator[None]:
        if not dials:
            yield
            return
        options = dict(Channel.objects.get(pk=channel_id).options)
        Channel.objects.filter(pk=channel_id).update(options={**options, **dials})
        try:
            yield
        finally:
            Channel.objects.filter(pk=channel_id).update(options=options)

    def _as_the_engine_would(self, target_id: int, dials: dict[str, object]) -> None:
        """Without an engine module: the rows the engine writes, for the outcome the dials call for."""
        target = PostTarget.objects.select_related("channel").get(pk=target_id)
        now = timezone.now()
        options = {**target.channel.options, **dials}
        fields: dict[str, Any] = {"lease_owner": "", "lease_until": None, "attempts": F("attempts") + 1}
        attempt: dict[str, Any] = {"outcome": AttemptOutcome.SUCCESS, "status_code": 200, "error": ""}
        limits = planning.channel_limits(target.channel)
        lacks_media = bool(limits and limits.media.requires_media) and not target.media.exists()
        failure = _simulated_failure(options, now, lacks_media=lacks_media)
        if failure is not None:
            fields |= failure[0]
            attempt = {"outcome": failure[1], "status_code": failure[2], "error": fields["last_error"]}
            if fields["state"] == S.NEEDS_USER:
                Channel.objects.filter(pk=target.channel_id).update(status=ChannelStatus.NEEDS_USER)
        else:
            remote = secrets.token_hex(6)
            fields |= {
                "state": S.PUBLISHED,
                "due_at": None,
                "remote_id": remote,
                "published_at": now,
                "remote_url": f"https://sandbox.tamtam.local/@{target.channel.handle.lstrip('@')}/{remote}",
            }
        PostTarget.objects.filter(pk=target_id).update(**fields)
        PublishAttempt.objects.create(
            target=target,
            number=target.attempts + 1,
            worker=ENGINE_OWNER,
            idempotency_key=target.idempotency_key,
            started_at=now,
            finished_at=now,
            duration_ms=120,
            **attempt,
        )

    # --- dating back --------------------------------------------------------------------------------

    def _date_back(self, post: Post, when: datetime) -> None:
        """Move a post that just went through the engine to the past day it was planned for."""
        shift = when - timezone.now()
        before = shift - timedelta(days=1)  # it was written and approved the day before
        targets = PostTarget.objects.filter(post=post)
        Post.objects.filter(pk=post.pk).update(scheduled_at=when, created_at=F("created_at") + before)
        targets.update(scheduled_at=when)
        targets.filter(published_at__isnull=False).update(published_at=F("published_at") + shift)
        targets.filter(state__in=[S.FAILED, S.NEEDS_USER, S.CANCELLED]).update(due_at=None)
        attempts = PublishAttempt.objects.filter(target__post=post)
        attempts.update(started_at=F("started_at") + shift)
        attempts.filter(finished_at__isnull=False).update(finished_at=F("finished_at") + shift)
        Approval.objects.filter(post=post).update(created_at=F("created_at") + before)
        PostComment.objects.filter(post=post).update(created_at=F("created_at") + before)
        target_ids = [str(pk) for pk in targets.values_list("pk", flat=True)]
        events = AuditEvent.objects.filter(
            workspace=self.ws, object_type="posttarget", object_id__in=target_ids
        )
        events.filter(action="target.scheduled").update(created_at=F("created_at") + before)
        events.exclude(action="target.scheduled").update(created_at=F("created_at") + shift)
        AuditEvent.objects.filter(workspace=self.ws, object_type="post", object_id=str(post.pk)).update(
            created_at=F("created_at") + before
        )
