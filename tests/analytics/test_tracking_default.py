"""Link tracking by default: on for a workspace that never chose when tamtam's address is public,
off when the short links would point to an address nobody outside can reach; a choice is kept."""

from __future__ import annotations

import pytest

from tamtam.analytics import conversions, links
from tamtam.analytics.defaults import public_base_url
from tamtam.analytics.models import TrackingSettings

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "public"),
    [
        ("https://social.agence-durand.fr", True),
        ("https://tamtam.agency.com:8443/", True),
        ("http://8.8.8.8", True),
        ("http://127.0.0.1:8000", False),
        ("http://localhost:8000", False),
        ("http://192.168.1.20", False),
        ("http://10.0.0.5:8000", False),
        ("http://[::1]:8000", False),
        ("http://tamtam.local", False),
        ("http://nas", False),
        ("", False),
    ],
)
def test_public_addresses(url, public):
    assert public_base_url(url) is public


def test_a_workspace_that_never_chose_follows_the_address(workspace, settings):
    settings.BASE_URL = "https://social.agence-durand.fr"
    assert links.tracking_on(workspace.pk)
    settings.BASE_URL = "http://127.0.0.1:8000"
    assert not links.tracking_on(workspace.pk)


def test_a_choice_is_kept(workspace, settings):
    settings.BASE_URL = "https://social.agence-durand.fr"
    row = conversions.settings_for(workspace)
    TrackingSettings.objects.filter(pk=row.pk).update(shorten_links=False)
    assert not links.tracking_on(workspace.pk)  # turned off stays off on a public server
    settings.BASE_URL = "http://127.0.0.1:8000"
    TrackingSettings.objects.filter(pk=row.pk).update(shorten_links=True)
    assert links.tracking_on(workspace.pk)  # turned on stays on
