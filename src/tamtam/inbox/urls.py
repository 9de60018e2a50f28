from django.urls import path

from tamtam.inbox.views import manage, pages, webhook

app_name = "inbox"

urlpatterns = [
    path("w/<int:ws>/inbox/", pages.inbox, name="inbox"),
    path("w/<int:ws>/inbox/conversation/", pages.conversation, name="conversation"),
    path("w/<int:ws>/inbox/act/", pages.act, name="act"),
    path("w/<int:ws>/inbox/bulk/", pages.bulk, name="bulk"),
    path("w/<int:ws>/inbox/approvals/", pages.approvals, name="approvals"),
    path("w/<int:ws>/inbox/settings/", manage.inbox_settings, name="settings"),
    path("w/<int:ws>/inbox/metrics/", manage.metrics_page, name="metrics"),
    path("w/<int:ws>/inbox/contests/", manage.contest_list, name="contests"),
    path("w/<int:ws>/inbox/contests/contest/", manage.contest_detail, name="contest"),
    path("inbox/webhook/<int:channel_id>/", webhook.receive, name="webhook"),
]
