"""The sandbox network: its dials, its reproducible dice, and its own record of what it received."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings

from tamtam.networks import registry
from tamtam.networks.base import (
    Ambiguous,
    Capability,
    ChannelContext,
    MediaItem,
    NeedsUser,
    Permanent,
    PublishRequest,
    RetryAfter,
)
from tamtam.networks.sandbox.connector import DEFAULT_LIMITS, SandboxConnector, dice
from tamtam.networks.sandbox.store import SandboxNetwork


def sandbox(**options: object) -> SandboxConnector:
    cls = registry.get("sandbox")
    assert cls is SandboxConnector
    return SandboxConnector(
        ChannelContext(channel_id=7, handle="@brand", credentials={}, options=dict(options))
    )


def post(key: str, text: str = "Hello", **kwargs: object) -> PublishRequest:
    return PublishRequest(text=text, idempotency_key=key, **kwargs)  # type: ignore[arg-type]


def test_it_is_registered_and_labelled_sandbox() -> None:
    assert registry.all_networks()["sandbox"].label == "Sandbox"


def test_it_publishes_and_returns_an_id_and_a_url() -> None:
    result = sandbox().publish(post("k1", link="https://example.org"))

    assert result.url == f"https://sandbox.tamtam.local/@brand/{result.remote_id}"
    [stored] = SandboxNetwork().posts()
    assert stored.idempotency_key == "k1"
    assert stored.text == "Hello\nhttps://example.org"


def test_it_keeps_its_record_in_its_own_sqlite_file() -> None:
    sandbox().publish(post("k1"))

    assert Path(settings.SANDBOX_DB_PATH).exists()
    # Another process sees the post: the network's side is not the caller's transaction.
    code = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
        "print(c.execute(\"select count(*) from posts where idempotency_key='k1'\").fetchone()[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(settings.SANDBOX_DB_PATH)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "1"


def test_a_non_idempotent_network_posts_twice_when_asked_twice() -> None:
    connector = sandbox()
    connector.publish(post("same"))
    connector.publish(post("same"))

    assert SandboxNetwork().duplicates() == {"same": 2}


def test_an_idempotent_network_returns_the_first_post_for_a_repeated_key() -> None:
    connector = sandbox(idempotent=True)
    assert connector.can(Capability.IDEMPOTENT_PUBLISH)
    first = connector.publish(post("same"))

    assert connector.publish(post("same")).remote_id == first.remote_id
    assert SandboxNetwork().count_for("same") == 1


def test_idempotence_is_off_by_default_so_reconcile_is_exercised() -> None:
    assert not sandbox().can(Capability.IDEMPOTENT_PUBLISH)
    assert sandbox().can(Capability.LIST_RECENT)
    assert sandbox().can(Capability.FIRST_COMMENT)


def test_a_5xx_is_a_retry_and_stores_nothing() -> None:
    with pytest.raises(RetryAfter) as error:
        sandbox(error_rate=1.0).publish(post("k"))

    assert error.value.status_code == 503
    assert SandboxNetwork().total_posts() == 0


def test_an_ambiguous_call_stored_the_post_before_losing_the_answer() -> None:
    with pytest.raises(Ambiguous):
        sandbox(ambiguous_rate=1.0).publish(post("k"))

    assert SandboxNetwork().count_for("k") == 1


def test_moderation_refuses_content_permanently() -> None:
    with pytest.raises(Permanent) as error:
        sandbox(permanent_rate=1.0).publish(post("k"))
    assert error.value.status_code == 422


def test_a_revoked_token_needs_the_user() -> None:
    connector = sandbox(needs_user=True)
    with pytest.raises(NeedsUser):
        connector.publish(post("k"))
    with pytest.raises(NeedsUser):
        connector.check_connection()


def test_the_rate_limit_answers_429_with_retry_after_and_rate_headers() -> None:
    connector = sandbox(rate_limit_per_minute=2)
    connector.publish(post("a"))
    assert connector.last_rate is not None
    assert (connector.last_rate.limit, connector.last_rate.remaining) == (2, 1)
    connector.publish(post("b"))
    assert connector.last_rate.remaining == 0

    with pytest.raises(RetryAfter) as error:
        connector.publish(post("c"))

    assert error.value.status_code == 429
    assert 0 < error.value.seconds <= 60
    assert connector.last_rate.reset_at is not None
    assert connector.last_rate.reset_at > datetime.now(UTC)
    assert SandboxNetwork().count_for("c") == 0


def test_the_dice_are_reproducible_and_change_with_the_attempt() -> None:
    assert dice(1, "key", 1) == dice(1, "key", 1)
    assert dice(1, "key", 1) != dice(1, "key", 2)
    assert dice(1, "key", 1) != dice(2, "key", 1)
    assert all(0 <= x < 1 for x in dice(3, "k", 9))


def test_a_retry_draws_new_dice_and_can_succeed() -> None:
    connector = sandbox(error_rate=0.5, seed=42)
    outcomes = []
    for _ in range(12):
        try:
            connector.publish(post("retry-me"))
            outcomes.append("ok")
            break
        except RetryAfter:
            outcomes.append("retry")
    assert outcomes[-1] == "ok"
    assert SandboxNetwork().calls_for("retry-me") == len(outcomes)


def test_the_same_seed_gives_the_same_run(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    def run(path: Path) -> list[str]:
        settings.SANDBOX_DB_PATH = path
        connector = sandbox(error_rate=0.3, ambiguous_rate=0.2, permanent_rate=0.1, seed=5)
        seen = []
        for i in range(40):
            try:
                connector.publish(post(f"k{i}"))
                seen.append("ok")
            except (RetryAfter, Ambiguous, Permanent) as exc:
                seen.append(type(exc).__name__)
        return seen

    first = run(tmp_path / "a.sqlite3")
    assert run(tmp_path / "b.sqlite3") == first
    assert {"ok", "RetryAfter", "Ambiguous", "Permanent"} <= set(first)


def test_list_recent_reads_the_accounts_posts_since_a_time() -> None:
    connector = sandbox()
    connector.publish(post("k1"))
    other = SandboxConnector(ChannelContext(channel_id=8, handle="@other", credentials={}, options={}))
    other.publish(post("k2"))

    recent = connector.list_recent(datetime.now(UTC) - timedelta(minutes=1))

    assert [r.idempotency_key for r in recent] == ["k1"]
    assert connector.list_recent(datetime.now(UTC) + timedelta(minutes=1)) == []


def test_a_reply_goes_under_its_parent_and_a_missing_parent_is_refused() -> None:
    connector = sandbox()
    parent = connector.publish(post("p"))
    connector.publish(post("p:first_comment", text="first!", reply_to_remote_id=parent.remote_id))

    [reply] = [p for p in SandboxNetwork().posts() if p.reply_to]
    assert reply.reply_to == parent.remote_id
    with pytest.raises(Permanent):
        connector.publish(post("q", reply_to_remote_id="999999"))


def test_delete_removes_the_post_from_the_account() -> None:
    connector = sandbox()
    result = connector.publish(post("k"))
    connector.delete(result.remote_id)

    assert SandboxNetwork().count_for("k") == 0
    with pytest.raises(Permanent):
        connector.delete(result.remote_id)


def test_a_flavor_takes_the_limits_of_the_network_it_poses_as() -> None:
    x = sandbox(flavor="x")
    assert x.effective_limits().max_chars == 280
    with pytest.raises(Permanent) as error:
        x.publish(post("long", text="a" * 281))
    assert "280" in error.value.message
    assert sandbox(flavor="no-such-network").effective_limits() is DEFAULT_LIMITS


def test_an_instagram_flavor_needs_media() -> None:
    insta = sandbox(flavor="instagram")
    with pytest.raises(Permanent):
        insta.publish(post("no-media"))
    insta.publish(
        post("with-media", media=[MediaItem(path="/tmp/x.jpg", content_type="image/jpeg", size=10)])
    )


def test_latency_is_simulated() -> None:
    started = time.monotonic()
    sandbox(latency_ms=100).publish(post("k"))

    assert 0.05 <= time.monotonic() - started < 1.0
