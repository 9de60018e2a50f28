"""Admin for listening: queries and sources are edited in the app; the admin is for inspection."""

from django.contrib import admin

from tamtam.listening import models


@admin.register(models.Query)
class QueryAdmin(admin.ModelAdmin):
    list_display = ("name", "workspace", "kind", "enabled", "updated_at")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "expression")


@admin.register(models.Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "workspace", "kind", "state", "due_at", "consecutive_failures", "last_error")
    list_filter = ("kind", "state")


@admin.register(models.Mention)
class MentionAdmin(admin.ModelAdmin):
    list_display = ("published_at", "network", "author_handle", "lang", "sentiment")
    list_filter = ("network", "lang", "sentiment")
    search_fields = ("text", "author_handle")
    raw_id_fields = ("author",)


@admin.register(models.ListeningAuthor)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ("handle", "network", "followers", "influence", "mentions_seen")
    search_fields = ("handle", "name")


@admin.register(models.MentionCounter)
class CounterAdmin(admin.ModelAdmin):
    list_display = ("query", "bucket_start", "mentions", "negative")
