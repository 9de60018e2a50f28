from django.urls import include, path

app_name = "publishing"

# Two url modules so that the composer/review pages and the calendar/planning pages can grow apart.
urlpatterns = [
    path("", include("tamtam.publishing.urls_posts")),
    path("", include("tamtam.publishing.urls_calendar")),
    path("", include("tamtam.publishing.urls_feeds")),
]
