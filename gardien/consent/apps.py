from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "gardien.consent"
    verbose_name = _("Cookie consent")

    def ready(self) -> None:
        from gardien.consent import jobs

        jobs.register_periodic_jobs()
        jobs.listen_to_the_purge()
