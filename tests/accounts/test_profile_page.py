"""The profile page: personal settings and API tokens shown once."""

from __future__ import annotations

from django.urls import reverse

from tamtam.accounts.models import ApiToken


def test_a_new_api_token_is_shown_once_and_only_its_prefix_afterwards(members, login):
    client = login(members["analyst"])
    page = client.post(reverse("accounts:create_token"), {"name": "reporting"}).content.decode()
    token = ApiToken.objects.get(user=members["analyst"])
    assert 'data-testid="new-token"' in page
    assert f'value="{token.prefix}' in page
    again = client.get(reverse("accounts:profile")).content.decode()
    assert 'data-testid="new-token"' not in again
    assert f"<code>{token.prefix}…</code>" in again


def test_the_profile_saves_the_language(members, login):
    client = login(members["analyst"])
    response = client.post(
        reverse("accounts:profile"), {"first_name": "Ana", "last_name": "", "email": "", "language": "fr"}
    )
    assert response.status_code == 302
    members["analyst"].refresh_from_db()
    assert members["analyst"].language == "fr"
