from django.apps import AppConfig


class SwapsConfig(AppConfig):
    name = "oncall.swaps"
    label = "swaps"
    verbose_name = "Shift swaps, cover requests and time off"
