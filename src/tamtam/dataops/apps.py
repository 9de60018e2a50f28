from django.apps import AppConfig


class DataopsConfig(AppConfig):
    name = "tamtam.dataops"
    label = "dataops"
    verbose_name = "Data operations"
