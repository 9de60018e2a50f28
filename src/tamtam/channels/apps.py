from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "tamtam.channels"
    label = "channels"
