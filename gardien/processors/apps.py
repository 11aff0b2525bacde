from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcessorsConfig(AppConfig):
    name = "gardien.processors"
    verbose_name = _("Processors and outbox")

    def ready(self) -> None:
        # Periodic jobs are registered here, once the apps are loaded, so that the worker
        # finds them whichever modules happen to be imported first.
        from gardien.processors import outbox

        outbox.register_periodic_jobs()
