"""Crisis pages, under /w/<ws>/crisis/ like every page of a workspace."""

from django.urls import path

from tamtam.crisis import views

app_name = "crisis"

P = "w/<int:ws>/crisis/"

urlpatterns = [
    path(P, views.overview, name="overview"),
    path(P + "mode/on/", views.mode_on, name="mode_on"),
    path(P + "mode/off/", views.mode_off, name="mode_off"),
    path(P + "alerts/", views.alert_list, name="alerts"),
    path(P + "alerts/<int:alert_id>/", views.alert_detail, name="alert"),
    path(P + "alerts/<int:alert_id>/ack/", views.alert_ack, name="alert_ack"),
    path(P + "incidents/", views.incident_list, name="incidents"),
    path(P + "incidents/<int:incident_id>/", views.incident_detail, name="incident"),
    path(P + "incidents/<int:incident_id>/note/", views.incident_note, name="incident_note"),
    path(P + "incidents/<int:incident_id>/status/", views.incident_status, name="incident_status"),
    path(P + "incidents/<int:incident_id>/owner/", views.incident_owner, name="incident_owner"),
    path(P + "incidents/<int:incident_id>/post-mortem.md", views.incident_markdown, name="incident_md"),
    path(P + "incidents/<int:incident_id>/timeline.csv", views.incident_csv, name="incident_csv"),
    path(
        P + "notifications/<int:notification_id>/retry/", views.notification_retry, name="notification_retry"
    ),
    path(P + "rules/", views.rule_list, name="rules"),
    path(P + "rules/new/", views.rule_new, name="rule_new"),
    path(P + "rules/<int:rule_id>/", views.rule_edit, name="rule_edit"),
    path(P + "rules/<int:rule_id>/delete/", views.rule_delete, name="rule_delete"),
    path(P + "statements/", views.statement_list, name="statements"),
    path(P + "statements/new/", views.statement_new, name="statement_new"),
    path(P + "statements/<int:statement_id>/", views.statement_edit, name="statement_edit"),
    path(P + "statements/<int:statement_id>/delete/", views.statement_delete, name="statement_delete"),
    path(P + "statements/<int:statement_id>/publish/", views.statement_publish, name="statement_publish"),
    path(P + "statements/posts/<int:post_id>/approve/", views.statement_approve, name="statement_approve"),
    path(P + "backtest/", views.backtest, name="backtest"),
]
