from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "tamtam.listening"
    label = "listening"
