"""RSS/Atom input pages: watched feeds."""

from django.urls import path

from tamtam.publishing.views import feeds

urlpatterns = [
    path("w/<int:ws>/feeds/", feeds.feed_list, name="feeds"),
    path("w/<int:ws>/feeds/new/", feeds.feed_create, name="feed_create"),
    path("w/<int:ws>/feeds/<int:watch_id>/", feeds.feed_edit, name="feed_edit"),
    path("w/<int:ws>/feeds/<int:watch_id>/pause/", feeds.feed_pause, name="feed_pause"),
    path("w/<int:ws>/feeds/<int:watch_id>/delete/", feeds.feed_delete, name="feed_delete"),
]
