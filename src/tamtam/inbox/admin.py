from django.contrib import admin

from tamtam.inbox.models import (
    Contest,
    Conversation,
    ExcludedAccount,
    InboxFetch,
    InboxSettings,
    Message,
    Reply,
    ReplyAttempt,
    SavedReply,
)


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "workspace", "channel", "kind", "status", "priority", "sentiment", "last_item_at")
    list_filter = ("status", "kind", "sentiment")
    raw_id_fields = ("channel", "assignee", "first_responder", "closed_by")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "channel",
        "remote_id",
        "kind",
        "direction",
        "author_handle",
        "priority",
        "created_at",
    )
    search_fields = ("remote_id", "author_handle", "text")
    raw_id_fields = ("conversation", "channel")


@admin.register(Reply)
class ReplyAdmin(admin.ModelAdmin):
    list_display = ("id", "conversation", "state", "attempts", "remote_id", "created_at")
    list_filter = ("state",)
    raw_id_fields = ("conversation", "parent")


admin.site.register([InboxSettings, InboxFetch, ReplyAttempt, SavedReply, ExcludedAccount, Contest])
