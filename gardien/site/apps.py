from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SiteConfig(AppConfig):
    name = "gardien.site"
    label = "site"
    verbose_name = _("Site settings")

    def ready(self) -> None:
        from gardien.policy import services as policy
        from gardien.site import services

        # The tests (and a restored database) clear the published policy's cache; the
        # allowed origins are forgotten with it, so they are read again from the database.
        policy.on_change(services.forget)
