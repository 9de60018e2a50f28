"""Listening pages, under /w/<ws>/listening/ like every page of a workspace."""

from django.urls import path

from tamtam.listening import views

app_name = "listening"

P = "w/<int:ws>/listening/"

urlpatterns = [
    path(P, views.overview, name="overview"),
    path(P + "mentions/", views.mention_list, name="mentions"),
    path(P + "mentions.csv", views.mention_csv, name="mentions_csv"),
    path(P + "queries/", views.query_list, name="queries"),
    path(P + "queries/new/", views.query_new, name="query_new"),
    path(P + "queries/preview/", views.query_preview, name="query_preview"),
    path(P + "queries/<int:query_id>/", views.query_edit, name="query_edit"),
    path(P + "queries/<int:query_id>/delete/", views.query_delete, name="query_delete"),
    path(P + "sources/", views.source_list, name="sources"),
    path(P + "sources/<int:source_id>/revive/", views.source_revive, name="source_revive"),
    path(P + "sources/<int:source_id>/pause/", views.source_pause, name="source_pause"),
    path(P + "authors/", views.author_list, name="authors"),
    path(P + "authors/<int:author_id>/watch/", views.author_watch, name="author_watch"),
    path(P + "watchlist/", views.watch_list, name="watchlist"),
    path(P + "watchlist/<int:watched_id>/", views.watch_detail, name="watch"),
    path(P + "trends/", views.trend_list, name="trends"),
]
