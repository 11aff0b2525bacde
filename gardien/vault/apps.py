from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VaultConfig(AppConfig):
    name = "gardien.vault"
    verbose_name = _("Personal data vault")

    def ready(self) -> None:
        from gardien.vault import checks  # noqa: F401  (registers the registry check)
