from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AudienceConfig(AppConfig):
    name = "gardien.audience"
    verbose_name = _("Audience measurement")

    def ready(self) -> None:
        from gardien.audience import jobs

        jobs.register_periodic_jobs()
