"""Workspace settings, members and roles: what an owner manages, and the rules that protect it."""

from __future__ import annotations

from django.urls import reverse

from tamtam.accounts.models import AuditEvent, Membership, Role


def settings_url(ws) -> str:
    return reverse("workspace:settings", kwargs={"ws": ws.id})


def form(ws, **changes: str) -> dict[str, str]:
    values = {
        "name": ws.name,
        "time_zone": ws.time_zone,
        "language": ws.language,
        "approval_policy": ws.approval_policy,
    }
    values.update(changes)
    return values


def test_settings_refuse_an_unknown_time_zone(workspace, members, login):
    response = login(members["owner"]).post(
        settings_url(workspace), form(workspace, time_zone="Europe/Parsi")
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="error-time_zone"' in html
    assert "Unknown time zone “Europe/Parsi”" in html
    workspace.refresh_from_db()
    assert workspace.time_zone == "Europe/Paris"


def test_settings_save_the_zone_language_and_policy_with_an_audit_entry(workspace, members, login):
    response = login(members["owner"]).post(
        settings_url(workspace),
        form(workspace, time_zone="America/New_York", language="fr", approval_policy="manager_client"),
    )
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert (workspace.time_zone, workspace.language, workspace.approval_policy) == (
        "America/New_York",
        "fr",
        "manager_client",
    )
    event = AuditEvent.objects.get(action="workspace.updated")
    assert "time_zone: Europe/Paris → America/New_York" in event.summary


def test_only_owners_open_the_settings(workspace, members, login):
    assert login(members["manager"]).get(settings_url(workspace)).status_code == 403
    assert login(members["owner"]).get(settings_url(workspace)).status_code == 200


def test_rotating_the_ical_secret_changes_it(workspace, members, login):
    before = workspace.ical_token
    login(members["owner"]).post(reverse("workspace:rotate_ical", kwargs={"ws": workspace.id}))
    workspace.refresh_from_db()
    assert workspace.ical_token != before


def test_members_are_added_by_username_or_email(workspace, members, login, make_user):
    make_user("newbie", email="newbie@agency.example")
    client = login(members["owner"])
    response = client.post(
        reverse("workspace:member_add", kwargs={"ws": workspace.id}),
        {"user": "NEWBIE@agency.example", "role": "analyst"},
    )
    assert response.status_code == 302
    assert Membership.objects.get(workspace=workspace, user__username="newbie").role == Role.ANALYST
    again = client.post(
        reverse("workspace:member_add", kwargs={"ws": workspace.id}), {"user": "newbie", "role": "client"}
    )
    assert again.status_code == 400
    assert "already a member" in again.content.decode()
    unknown = client.post(
        reverse("workspace:member_add", kwargs={"ws": workspace.id}), {"user": "ghost", "role": "client"}
    )
    assert "no single active user" in unknown.content.decode()


def test_the_last_owner_cannot_be_removed_or_demoted(workspace, members, login, make_user):
    owner = Membership.objects.get(workspace=workspace, user=members["owner"])
    client = login(members["owner"])
    client.post(reverse("workspace:member_remove", kwargs={"ws": workspace.id, "membership_id": owner.id}))
    assert Membership.objects.filter(pk=owner.pk).exists()
    response = client.post(
        reverse("workspace:member_role", kwargs={"ws": workspace.id, "membership_id": owner.id}),
        {"role": "manager"},
        follow=True,
    )
    assert "is the last owner" in response.content.decode()
    owner.refresh_from_db()
    assert owner.role == Role.OWNER

    second = make_user("second-owner", workspace, "owner")
    client.post(reverse("workspace:member_remove", kwargs={"ws": workspace.id, "membership_id": owner.id}))
    assert not Membership.objects.filter(pk=owner.pk).exists()
    assert Membership.objects.get(workspace=workspace, user=second).role == Role.OWNER


def test_changing_a_role_is_audited(workspace, members, login):
    analyst = Membership.objects.get(workspace=workspace, user=members["analyst"])
    login(members["owner"]).post(
        reverse("workspace:member_role", kwargs={"ws": workspace.id, "membership_id": analyst.id}),
        {"role": "community"},
    )
    analyst.refresh_from_db()
    assert analyst.role == Role.COMMUNITY
    assert AuditEvent.objects.filter(
        action="member.role_changed", summary="analyst: analyst → community"
    ).exists()
