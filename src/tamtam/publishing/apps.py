from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "tamtam.publishing"
    label = "publishing"
