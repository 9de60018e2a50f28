from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "tamtam.analytics"
    label = "analytics"
