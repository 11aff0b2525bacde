from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackupConfig(AppConfig):
    name = "gardien.backup"
    verbose_name = _("Backups")

    def ready(self) -> None:
        from gardien.backup import tombstones

        tombstones.connect()
