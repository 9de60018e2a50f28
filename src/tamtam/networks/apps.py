from django.apps import AppConfig


class NetworksConfig(AppConfig):
    name = "tamtam.networks"
    label = "networks"
