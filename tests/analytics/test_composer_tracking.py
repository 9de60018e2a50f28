"""The composer says whether the post's links will be shortened and counted (the workspace's link
tracking switch), in English and in French; the switch's settings link only for those who may
change it."""

from __future__ import annotations

import pytest

from tamtam.analytics import conversions
from tamtam.analytics.models import TrackingSettings


def composer(client, user, workspace, language="en"):
    user.language = language
    user.save()
    client.force_login(user)
    response = client.get(f"/w/{workspace.id}/posts/new/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("on", [True, False])
def test_the_composer_says_whether_links_are_tracked(workspace, members, client, on):
    row = conversions.settings_for(workspace)
    TrackingSettings.objects.filter(pk=row.pk).update(shorten_links=on)
    body = composer(client, members["manager"], workspace)
    assert f'data-tracking="{"on" if on else "off"}"' in body
    if on:
        assert "Link tracking is on" in body
        assert "short link" in body
    else:
        assert "Link tracking is off for this workspace" in body
    assert 'data-testid="link-tracking-settings"' in body  # a manager may change it
    french = composer(client, members["manager"], workspace, "fr")
    assert ("Le suivi des liens est activé" if on else "Le suivi des liens est désactivé") in french
    assert "Link tracking" not in french


def test_the_switch_is_followed_at_once_and_offered_only_to_those_who_may(workspace, members, client):
    row = conversions.settings_for(workspace)
    assert 'data-tracking="on"' in composer(client, members["manager"], workspace)
    client.post(f"/w/{workspace.id}/analytics/links/tracking/", {"on": "0"})
    assert not TrackingSettings.objects.get(pk=row.pk).shorten_links
    assert 'data-tracking="off"' in composer(client, members["manager"], workspace)
    community = composer(client, members["community"], workspace)  # composes, may not change it
    assert 'data-tracking="off"' in community
    assert 'data-testid="link-tracking-settings"' not in community
