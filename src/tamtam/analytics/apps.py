from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "tamtam.analytics"
    label = "analytics"

    def ready(self) -> None:
        # The dashboards' kept figures are dropped when their data is saved (figurecache).
        from tamtam.analytics import figurecache

        figurecache.connect()
