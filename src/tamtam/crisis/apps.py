from django.apps import AppConfig


class CrisisConfig(AppConfig):
    name = "tamtam.crisis"
    label = "crisis"
