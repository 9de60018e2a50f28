"""The publishing engine with the Bluesky connector, against the real AT Protocol stack: a crash or a
lost answer after the post was written is reconciled, never posted twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from bsky_stack import Account, Stack, wait_for
from django.utils import timezone
from test_bluesky_peer import SINCE, posts_with_key, record, refs

from tamtam.accounts.models import Workspace
from tamtam.channels.models import Channel
from tamtam.networks.bluesky import connector as bluesky_connector
from tamtam.networks.bluesky.connector import connect
from tamtam.publishing import engine
from tamtam.publishing.models import PostTarget, PublishAttempt
from tamtam.work import drill
from tamtam.work.runner import Runner

pytestmark = [pytest.mark.peers, pytest.mark.django_db]


@pytest.fixture
def channel(bluesky_stack: Stack, brand: Account, workspace: Workspace) -> Channel:
    did, handle, credentials = connect(brand.handle, bluesky_stack.app_password(brand), bluesky_stack.pds)
    channel = Channel.objects.create(
        workspace=workspace,
        network="bluesky",
        name="Bluesky",
        handle=handle,
        external_id=did,
        options={"api_base": bluesky_stack.pds},
    )
    channel.set_credentials(credentials)
    channel.save()
    return channel


@pytest.fixture
def runner() -> Runner:
    return Runner(name="bluesky-test", concurrency=2, inline=True)


def target_on(channel: Channel, text: str, **kwargs: str) -> PostTarget:
    [pk] = drill.create_targets([channel], [timezone.now() - timedelta(seconds=1)], text=text, **kwargs)
    return PostTarget.objects.get(pk=pk)


def outcomes(target: PostTarget) -> list[tuple[str, str]]:
    return list(
        PublishAttempt.objects.filter(target=target).order_by("number").values_list("step", "outcome")
    )


def listed(stack: Stack, channel: Channel, key: str) -> None:
    """Wait until the author feed (what reconcile reads) shows the post with this key."""

    def shown() -> bool:
        stack.process_all()
        return key in {r.idempotency_key for r in engine.connector_for(channel).list_recent(SINCE)}

    wait_for(shown, f"the author feed to list the post with key {key}")


def tick_until(runner: Runner, target: PostTarget, done: Any, rounds: int = 10) -> PostTarget:
    for _ in range(rounds):
        target.refresh_from_db()
        if done(target):
            return target
        runner.tick(now=max(timezone.now(), target.due_at or timezone.now()) + timedelta(seconds=1))
    target.refresh_from_db()
    return target


def test_a_post_written_before_a_crash_is_reconciled_and_its_first_comment_follows(
    bluesky_stack: Stack, brand: Account, channel: Channel, runner: Runner
) -> None:
    target = target_on(channel, "Publié juste avant la panne", first_comment="Et le premier commentaire")
    # What a worker killed mid-call leaves: `sending`, a started attempt, an expired lease, and on the
    # network the post, written under the record key of the target's idempotency key.
    [pk] = engine.claim_due(timezone.now(), 1, "doomed")
    past = timezone.now() - timedelta(seconds=engine.lease_seconds() + 1)
    engine.move(pk, ["claimed"], "doomed", state="sending", lease_until=past)
    engine.start_attempt(pk, "post", target.idempotency_key, "doomed", past - timedelta(seconds=1))
    written = engine.connector_for(channel).publish(engine.build_request(target))
    listed(bluesky_stack, channel, target.idempotency_key)

    target = tick_until(runner, target, lambda t: t.state == "published" and t.first_comment_remote_id)

    assert (target.state, target.remote_id, target.remote_url) == (
        "published",
        written.remote_id,
        written.url,
    )
    assert outcomes(target)[:2] == [("post", "ambiguous"), ("reconcile", "reconciled")]
    assert outcomes(target)[-1] == ("first_comment", "success")
    assert posts_with_key(brand, target.idempotency_key) == [written.remote_id]
    comment_key = engine.first_comment_key(target)
    assert posts_with_key(brand, comment_key) == [target.first_comment_remote_id]
    cid, _ = record(brand.client, written.remote_id)
    _, comment = record(brand.client, target.first_comment_remote_id)
    assert comment["text"] == "Et le premier commentaire"
    assert refs(comment)["parent"] == refs(comment)["root"] == {"uri": written.remote_id, "cid": cid}


class LoseAnswers(httpx.BaseTransport):
    """A network that delivers the first createRecord, loses its answer, then is unreachable until
    healed: what a cut connection right after sending looks like from tamtam's side."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.armed = True
        self.down = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("network unreachable", request=request)
        response = self.inner.handle_request(request)
        if self.armed and request.url.path.endswith("/com.atproto.repo.createRecord"):
            response.read()
            response.close()
            self.armed, self.down = False, True
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


@pytest.fixture
def lossy(monkeypatch: pytest.MonkeyPatch) -> LoseAnswers:
    transport = LoseAnswers()
    original = bluesky_connector._sdk_client
    monkeypatch.setattr(bluesky_connector, "_sdk_client", lambda url, _t: original(url, transport))
    return transport


def test_a_lost_answer_after_the_post_was_written_is_unconfirmed_then_reconciled_once(
    bluesky_stack: Stack, brand: Account, channel: Channel, runner: Runner, lossy: LoseAnswers
) -> None:
    target = target_on(channel, "La réponse se perd en route")

    runner.tick()

    target.refresh_from_db()
    assert (target.state, target.last_error_kind) == ("unconfirmed", "ambiguous")
    assert "no answer" in target.last_error
    assert outcomes(target) == [("post", "ambiguous")]
    [written] = posts_with_key(brand, target.idempotency_key)  # it did reach the network

    lossy.down = False
    listed(bluesky_stack, channel, target.idempotency_key)
    target = tick_until(runner, target, lambda t: t.state == "published")

    assert (target.state, target.remote_id) == ("published", written)
    assert outcomes(target) == [("post", "ambiguous"), ("reconcile", "reconciled")]
    assert posts_with_key(brand, target.idempotency_key) == [written]


def test_a_resend_of_an_idempotent_step_returns_the_record_already_there(
    bluesky_stack: Stack, brand: Account, channel: Channel
) -> None:
    target = target_on(channel, "Envoyé deux fois, publié une fois")
    request = engine.build_request(target)

    first = engine.connector_for(channel).publish(request)
    again = engine.connector_for(channel).publish(request)  # a new process: nothing remembered locally

    assert again.remote_id == first.remote_id
    assert posts_with_key(brand, target.idempotency_key) == [first.remote_id]


def test_a_new_session_made_while_publishing_is_stored_encrypted_on_the_channel(
    bluesky_stack: Stack, brand: Account, channel: Channel, runner: Runner
) -> None:
    credentials = channel.get_credentials()
    parts = credentials["session"].split(":::")
    parts[2] = parts[2][:-6] + "AAAAAA"  # the stored access token no longer passes: a new log-in follows
    channel.set_credentials({**credentials, "session": ":::".join(parts)})
    channel.save()
    target = target_on(channel, "Publié avec une session renouvelée")

    runner.tick()

    target.refresh_from_db()
    channel.refresh_from_db()
    assert target.state == "published"
    stored = channel.get_credentials()
    assert stored["session"] not in (credentials["session"], ":::".join(parts))
    assert stored["app_password"] == credentials["app_password"]
    assert stored["session"].split(":::")[2] not in channel.credentials_encrypted  # encrypted at rest
    assert engine.connector_for(channel).check_connection() == brand.handle  # the stored one works
