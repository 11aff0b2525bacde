from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AntispamConfig(AppConfig):
    name = "gardien.antispam"
    verbose_name = _("Anti-spam")

    def ready(self) -> None:
        # Registered here, once the apps are loaded, so that the worker finds the purge
        # whichever modules happen to be imported first.
        from gardien.antispam import services

        services.register_periodic_jobs()
