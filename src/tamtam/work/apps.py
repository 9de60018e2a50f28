from django.apps import AppConfig


class WorkConfig(AppConfig):
    name = "tamtam.work"
    label = "work"
