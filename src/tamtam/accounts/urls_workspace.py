"""Workspace administration pages, under /w/<ws>/ like every page of a workspace."""

from django.urls import path

from tamtam.accounts import views

app_name = "workspace"

urlpatterns = [
    path("w/<int:ws>/settings/", views.workspace_settings, name="settings"),
    path("w/<int:ws>/settings/ical/rotate/", views.rotate_ical, name="rotate_ical"),
    path("w/<int:ws>/settings/members/add/", views.member_add, name="member_add"),
    path("w/<int:ws>/settings/members/<int:membership_id>/role/", views.member_role, name="member_role"),
    path(
        "w/<int:ws>/settings/members/<int:membership_id>/remove/", views.member_remove, name="member_remove"
    ),
    path("w/<int:ws>/audit/", views.audit_log, name="audit"),
]
