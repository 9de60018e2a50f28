from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "tamtam.web"
    label = "web"
