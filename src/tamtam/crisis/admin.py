"""Admin for crisis: rules, incidents and statements are edited in the app; the admin is for inspection."""

from django.contrib import admin

from tamtam.crisis import models


@admin.register(models.AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "workspace", "query", "series", "sensitivity", "enabled")
    list_filter = ("series", "sensitivity", "enabled")
    exclude = ("webhook_url_enc",)  # a secret


@admin.register(models.Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("rule_name", "workspace", "bucket_start", "observed", "expected", "incident")
    list_filter = ("series",)


@admin.register(models.Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("title", "workspace", "status", "owner", "opened_at", "last_alert_at")
    list_filter = ("status",)


@admin.register(models.Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("alert", "channel", "state", "attempts", "due_at", "last_error")
    list_filter = ("channel", "state")
    exclude = ("webhook_url_enc",)


admin.site.register(models.HoldingStatement)
admin.site.register(models.CrisisPeriod)
admin.site.register(models.Evaluator)
