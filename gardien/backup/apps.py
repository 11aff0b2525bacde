from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackupConfig(AppConfig):
    name = "gardien.backup"
    verbose_name = _("Backups")

    def ready(self) -> None:
        from django.core.checks import register

        from gardien.backup import restoring, services, tombstones

        tombstones.connect()
        register(restoring.check_no_unfinished_restore, "gardien", deploy=True)
        register(services.check_no_stale_scratch, "gardien", deploy=True)
