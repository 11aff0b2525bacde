from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcessorsConfig(AppConfig):
    name = "gardien.processors"
    verbose_name = _("Processors and outbox")
