from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "gardien.demo"
    verbose_name = "Demo site"
