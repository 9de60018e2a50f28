from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "tamtam.reports"
    label = "reports"
