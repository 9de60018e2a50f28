from django.urls import path

from tamtam.analytics import public, views

app_name = "analytics"

urlpatterns = [
    path("w/<int:ws>/analytics/", views.overview, name="dashboard"),
    path("w/<int:ws>/analytics/posts/", views.posts, name="posts"),
    path("w/<int:ws>/analytics/best-time/", views.best_time, name="best_time"),
    path("w/<int:ws>/analytics/links/", views.links_page, name="links"),
    path("w/<int:ws>/analytics/links/tracking/", views.tracking, name="tracking"),
    path("w/<int:ws>/analytics/conversions/", views.conversions_page, name="conversions"),
    path("w/<int:ws>/analytics/conversions/import/", views.conversions_import, name="conversions_import"),
    path("w/<int:ws>/analytics/conversions/secret/", views.conversions_secret, name="conversions_secret"),
    path("w/<int:ws>/analytics/roi/", views.roi_page, name="roi"),
    path("w/<int:ws>/analytics/good-slots.json", views.good_slots, name="good_slots"),
    path("analytics/agency/", views.agency, name="agency"),
    path("l/p/<str:token>.gif", public.pixel, name="pixel"),
    path("l/<str:code>", public.follow, name="follow"),
    path("analytics/conversions/<int:ws>/webhook", public.webhook, name="webhook"),
]
