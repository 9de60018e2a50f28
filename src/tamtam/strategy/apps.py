from django.apps import AppConfig


class StrategyConfig(AppConfig):
    name = "tamtam.strategy"
    label = "strategy"
