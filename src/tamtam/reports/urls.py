from django.urls import path

from tamtam.reports import views

app_name = "reports"

R = "w/<int:ws>/reports/<int:report_id>/"
S = R + "schedules/<int:schedule_id>/"

urlpatterns = [
    path("w/<int:ws>/reports/", views.report_list, name="list"),
    path("w/<int:ws>/reports/new/", views.report_new, name="new"),
    path("w/<int:ws>/reports/branding/", views.branding_page, name="branding"),
    path(R, views.report_detail, name="detail"),
    path(R + "edit/", views.report_edit, name="edit"),
    path(R + "delete/", views.report_delete, name="delete"),
    path(R + "pdf/", views.report_pdf, name="pdf"),
    path(R + "csv/", views.report_csv, name="csv"),
    path(R + "schedules/new/", views.schedule_new, name="schedule_new"),
    path(S, views.schedule_edit, name="schedule_edit"),
    path(S + "delete/", views.schedule_delete, name="schedule_delete"),
    path(S + "send/", views.schedule_send, name="schedule_send"),
    path(R + "shares/new/", views.share_new, name="share_new"),
    path(R + "shares/<int:share_id>/revoke/", views.share_revoke, name="share_revoke"),
    # Read-only links for people without an account; the token is the only key.
    path("r/<str:token>/", views.shared, name="shared"),
    path("r/<str:token>/pdf/", views.shared_pdf, name="shared_pdf"),
    path("r/<str:token>/csv/", views.shared_csv, name="shared_csv"),
]
