"""The bearer-token cache (tamtam.accounts.tokens): revocation and deactivation still refuse at once in
this process and, through the shared epoch, in every other one; a change made outside tamtam within
the TTL; last_used_at is not written per call,
and a request's user is its own object."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tamtam.accounts import tokens
from tamtam.accounts.models import ApiToken


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    tokens.forget()


def _get(client, raw: str, path: str = "/api/workspaces") -> int:  # type: ignore[no-untyped-def]
    return int(client.get(path, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code)


def test_a_token_revoked_on_the_profile_page_is_refused_on_the_next_call(client, token_for, members):
    owner = members["owner"]
    raw = token_for(owner)
    assert _get(client, raw) == 200  # now cached
    token = ApiToken.objects.get(user=owner)
    client.force_login(owner)
    response = client.post(f"/accounts/profile/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    client.logout()
    assert _get(client, raw) == 401


def test_a_change_made_outside_tamtam_is_seen_within_the_ttl(client, token_for, members, monkeypatch):
    raw = token_for(members["owner"])
    assert _get(client, raw) == 200
    # SQL by hand: no signal, no epoch; the kept row still says usable until the TTL runs out.
    ApiToken.objects.update(revoked_at=timezone.now())
    assert _get(client, raw) == 200
    monkeypatch.setattr(tokens, "TTL_S", 0.0)  # the TTL has run out
    assert _get(client, raw) == 401


def test_a_revocation_in_another_process_is_refused_at_once(client, token_for, members):
    # tamtam run serves with a process per core: a token revoked through one of them (or the admin,
    # or the CLI) must stop working in all of them, not 10 s later.
    import subprocess
    import sys

    raw = token_for(members["owner"])
    assert _get(client, raw) == 200  # kept by this process
    ApiToken.objects.update(revoked_at=timezone.now())  # the other process's write, committed
    code = "import django; django.setup(); from tamtam.accounts import tokens; tokens.changed()"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    assert _get(client, raw) == 401


def test_an_expiry_is_checked_on_every_call_against_the_kept_row(client, members):
    token, raw = ApiToken.issue(members["owner"], "short", expires_at=timezone.now() + timedelta(seconds=30))
    assert _get(client, raw) == 200
    kept = tokens._entries[token.key_hash]
    kept.token.expires_at = timezone.now() - timedelta(seconds=1)  # the clock went past it
    assert _get(client, raw) == 401


def test_a_user_deactivated_after_a_call_is_refused_at_once(client, token_for, members):
    owner = members["owner"]
    raw = token_for(owner)
    assert _get(client, raw) == 200
    owner.is_active = False
    owner.save()
    assert _get(client, raw) == 401


def test_last_used_at_is_written_once_per_window_not_per_call(client, token_for, members, monkeypatch):
    raw = token_for(members["owner"])
    assert _get(client, raw) == 200
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    for _ in range(3):
        assert _get(client, raw) == 200
    assert ApiToken.objects.get().last_used_at == first
    monkeypatch.setattr(tokens, "LAST_USED_EVERY_S", 0.0)
    assert _get(client, raw) == 200
    assert ApiToken.objects.get().last_used_at > first


def test_each_request_gets_its_own_user_object(token_for, members):
    raw = token_for(members["owner"])
    one, two = tokens.authenticate(raw), tokens.authenticate(raw)
    assert one is not None
    assert two is not None
    assert one.user is not two.user
    assert one.user.pk == two.user.pk
    one.user.language = "fr"  # what a request may do to its user
    assert two.user.language != "fr"
    assert tokens.authenticate(raw).user.language != "fr"  # type: ignore[union-attr]


def test_an_unknown_token_is_not_kept(client, workspace):
    assert _get(client, "tt_" + "x" * 40) == 401
    assert tokens._entries == {}


def test_the_api_speaks_the_token_users_language(client, token_for, members):
    owner = members["owner"]
    owner.language = "fr"
    owner.save()
    raw = token_for(owner)
    response = client.get("/api/workspaces/999999", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 404
    assert response.json()["detail"] == "introuvable"
